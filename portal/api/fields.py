from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A string that must arrive as a JSON string: numbers and booleans are refused, not turned into text."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false``: the strings and numbers DRF would read as booleans are refused, as the schema
    says."""

    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data
