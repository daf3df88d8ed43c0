from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings

from portal.json_input import JSONInputError, json_input_parse


class TextJSONParser(JSONParser):
    """The API's JSON parser: a body nested too deeply or holding a NUL character in a value is a 400, never a 500
    (``portal.json_input``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        constant = {"parse_constant": _refuse_constant} if api_settings.STRICT_JSON else {}
        try:
            return json_input_parse(text, keys=False, **constant)
        except JSONInputError as error:
            raise ParseError(str(error)) from None


def _refuse_constant(name: str):
    raise ValueError(f"Out of range float values are not JSON compliant: {name!r}")
