from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.json_input import JSONInputError, json_input_check


class StrictCharField(serializers.CharField):
    """A string that must arrive as a JSON string: numbers and booleans are refused, not turned into text."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``: the strings and numbers DRF would read as booleans are refused, as the schema
    says. A form-encoded body (the serializer's context says ``form_encoded``) gives ``true`` or ``false`` as text."""

    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if self.context.get("form_encoded") and data in ("true", "false"):
            return data == "true"
        self.fail("not_a_boolean")


@extend_schema_field({"type": "object", "additionalProperties": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (``{...}``): null, lists and scalars are refused naming the field, as the schema says, and so
    is a NUL anywhere in it, its keys included (the database stores it whole)."""

    default_error_messages = {"not_an_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_an_object")
        try:
            json_input_check(value)
        except JSONInputError as error:
            raise serializers.ValidationError(str(error)) from None
        return value
