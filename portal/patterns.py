"""Regular expressions that people type (standards' naming and classification rules) run on RE2.

Python's ``re`` backtracks: a pattern such as ``^(a+)+$`` takes seconds, then minutes, on a name of 30 to 40
characters, in a web request or a worker. RE2 matches in time linear in the input whatever the pattern, so every
pattern that comes from a user is compiled here, and only here. RE2 has no backreferences and no look-arounds;
such a pattern is refused with a ``DomainError`` that names the key it came from.
"""

from functools import lru_cache

import re2

from portal.errors import DomainError

MAX_PATTERN_LENGTH = 200
# RE2's program for one pattern may use this much memory; a bigger one is refused rather than compiled.
MAX_PATTERN_MEMORY = 8 << 20
# How many texts one pattern remembers its answer for: column names repeat across a catalog (id, email,
# created_at), and a remembered answer costs a dictionary lookup where RE2's Python binding costs microseconds.
REMEMBERED_TEXTS = 65536


class PatternError(DomainError):
    pass


@lru_cache(maxsize=512)
def _compiled(text: str, ignore_case: bool):
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ignore_case
    options.max_mem = MAX_PATTERN_MEMORY
    return re2.compile(text, options)


def pattern_compile(text, *, key: str, field: str = "rule", ignore_case: bool = False):
    """The RE2 program for ``text`` (cached), with ``search``/``fullmatch`` like ``re``'s.

    ``key`` names where the pattern came from (``rule.pattern``) and leads the error message; ``field`` is the
    input the error is attached to."""
    if not isinstance(text, str) or not text:
        raise PatternError(f"{key}: must be a non-empty string holding a regular expression.", field=field)
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"{key}: must be at most {MAX_PATTERN_LENGTH} characters.", field=field)
    try:
        return _compiled(text, ignore_case)
    except re2.error as error:
        reason = error.args[0] if error.args else "cannot be compiled"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = ""
        if "\\" in text and any(f"\\{digit}" in text for digit in "123456789"):
            hint = " (backreferences are not supported)"
        elif any(token in text for token in ("(?=", "(?!", "(?<=", "(?<!")):
            hint = " (look-ahead and look-behind are not supported)"
        raise PatternError(
            f"{key}: not a valid regular expression: {reason}{hint}; patterns use RE2 syntax, which matches in "
            "linear time.",
            field=field,
        ) from None


# Only the standards in force are run over a catalog, a handful of patterns: this bounds what is remembered.
@lru_cache(maxsize=64)
def _remembering_search(text: str, ignore_case: bool):
    program = _compiled(text, ignore_case)

    @lru_cache(maxsize=REMEMBERED_TEXTS)
    def found_in(value: str) -> bool:
        # RE2 reads UTF-8 either way; given bytes, the binding skips mapping the match's offsets back to
        # characters, which is most of its cost, and only whether there is a match is asked here.
        return program.search(value.encode()) is not None

    return found_in


def pattern_matcher(text, *, key: str, field: str = "rule", ignore_case: bool = False):
    """``found_in(value) -> bool``: whether ``text`` (checked as ``pattern_compile`` checks it) occurs in
    ``value``, remembered per value, for a pattern run over many names in a row (enforcement)."""
    pattern_compile(text, key=key, field=field, ignore_case=ignore_case)
    return _remembering_search(text, ignore_case)
