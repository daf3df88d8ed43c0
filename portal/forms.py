from django import forms

from portal.errors import DomainError


def attach_domain_error(form: forms.BaseForm, error: DomainError, *, fallback: str | None = None) -> None:
    """Show a service's refusal on the form field it names, else on ``fallback`` (or the form as a whole)."""
    field = error.field if error.field in form.fields else fallback
    form.add_error(field, error.message)


def form_errors_text(form) -> str:
    """A bound form's errors as one line for a flash message: ``field: message; other: message``."""
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
