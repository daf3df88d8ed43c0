from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A refused operation the user can understand: an illegal transition, a broken rule, a conflicting state.

    ``field`` names the input at fault when there is one, so forms and the API can attach the message to it.
    ``details`` lists the separate problems behind a refusal, for pages that show them one per line (each a dict:
    ``what``, ``expected``, ``fix``, ``url``, ``rules``).
    """

    def __init__(
        self, message: str, *, field: str | None = None, code: str = "invalid", details: tuple[dict, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.details = tuple(details)


class AlreadyExists(DomainError):
    """A name or key already taken: the API answers 409 Conflict, forms attach it to the field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field, code="already_exists")


class TransitionNotAllowed(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="status", code="transition_not_allowed")


def require(allowed: bool, message: str = "You may not do this.") -> None:
    """Refuse (``PermissionDenied``: a 403 page, an API 403) unless a permission function said yes."""
    if not allowed:
        raise PermissionDenied(message)
