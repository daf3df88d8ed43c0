from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString

from portal.errors import DomainError
from portal.json_input import JSONInputError, json_input_parse
from portal.services import API_TOKEN_DEFAULT_LIFETIME, API_TOKEN_LIFETIMES


def attach_domain_error(form: forms.BaseForm, error: DomainError, *, fallback: str | None = None) -> None:
    """Show a service's refusal on the form field it names, else on ``fallback`` (or the form as a whole)."""
    field = error.field if error.field in form.fields else fallback
    form.add_error(field, error.message)


def form_errors_text(form) -> str:
    """A bound form's errors as one line for a flash message: ``field: message; other: message``."""
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses the token, e.g. the pipeline or agent.")
    expires_in_days = forms.ChoiceField(
        label="Expires",
        choices=[(str(days) if days else "never", label) for days, label in API_TOKEN_LIFETIMES.items()],
        initial=str(API_TOKEN_DEFAULT_LIFETIME),
    )
    read_only = forms.BooleanField(
        label="Read-only",
        required=False,
        help_text="The token reads and never writes: for agents that only look things up (the API refuses its "
        "writing calls; the MCP server offers it no writing tool).",
    )

    def clean_expires_in_days(self) -> int | None:
        value = self.cleaned_data["expires_in_days"]
        return None if value == "never" else int(value)


class JSONInputField(forms.JSONField):
    """Django's JSON form field, with the API's limits (``portal.json_input``): too deep a nesting or a NUL is
    a form error on the field, not a server error."""

    def to_python(self, value):
        if self.disabled or value in self.empty_values or not isinstance(value, str | bytes):
            return super().to_python(value)
        try:
            converted = json_input_parse(value, cls=self.decoder)
        except JSONInputError as error:
            if str(error).startswith("JSON parse error"):
                raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from None
            raise ValidationError(str(error), code="invalid") from None
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled or not isinstance(data, str | bytes):
            return super().bound_data(data, initial)
        try:
            return json_input_parse(data, cls=self.decoder)
        except JSONInputError:
            return InvalidJSONInput(data)
