from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError

# A refusal caused by the state of things rather than by the input's form: an illegal transition, a name taken.
CONFLICT_CODES = {"transition_not_allowed", "already_exists", "in_use", "unique"}
# Related objects named by the input that do not exist, or that the caller may not see (the same answer).
MISSING_CODES = {"does_not_exist"}


def _leaf_codes(codes):
    if isinstance(codes, dict):
        for value in codes.values():
            yield from _leaf_codes(value)
    elif isinstance(codes, list):
        for value in codes:
            yield from _leaf_codes(value)
    else:
        yield codes


def validation_status(exc: exceptions.ValidationError) -> int:
    """400 for input at fault; 404 when the only fault is naming objects that do not exist (or are hidden);
    409 when the only fault is a conflict with what is stored."""
    codes = set(_leaf_codes(exc.get_codes()))
    if codes and codes <= MISSING_CODES:
        return status.HTTP_404_NOT_FOUND
    if codes and codes <= CONFLICT_CODES:
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def exception_handler(exc, context):
    """DRF's handler, plus domain errors and model validation errors as answers that name the field, and a
    service's refusal (Django's ``PermissionDenied``) as a 403 that keeps the service's reason.

    The body always names the field at fault; the status says what kind of fault it is (see ``validation_status``).
    """
    if isinstance(exc, DjangoPermissionDenied) and exc.args:
        exc = exceptions.PermissionDenied(str(exc))
    if isinstance(exc, DomainError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        if exc.code in CONFLICT_CODES:
            code = status.HTTP_409_CONFLICT
        elif exc.code in MISSING_CODES:
            code = status.HTTP_404_NOT_FOUND
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(body, status=code)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.status_code = validation_status(exc)
    return response
