"""Validators the apps share."""

import re

from django.core.exceptions import ValidationError

# Line breaks and other control characters would split an HTTP header; quotes and backslashes would end or escape
# a quoted file name. Names that end up in headers or download file names refuse them.
HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\"'`\\]")


def header_safe_name_validate(value: str, *, field: str = "name") -> None:
    """Refuse, on ``field``, a name that holds a control character (CR, LF …), a quote or a backslash."""
    if value and HEADER_UNSAFE.search(value):
        raise ValidationError(
            {field: "Use no line breaks, control characters, quotes or backslashes in a name."}, code="header_unsafe"
        )
