"""JSON that arrives from people and programs (API bodies, JSON form fields) is checked once, the same way.

Python's parser recurses: ``'[' * 100000`` raises ``RecursionError``, which no caller expects, so a request
answered 500. Anything that parses is walked without recursion and refused when it nests deeper than
``MAX_JSON_DEPTH`` (no portal document comes close; deeper data would fail later, in a serializer, a copy or the
database) or holds a NUL character (no database stores one in text).
"""

import json

MAX_JSON_DEPTH = 64


class JSONInputError(ValueError):
    pass


def json_input_check(value, *, keys: bool = True) -> None:
    """Refuse (``JSONInputError``) a parsed document nested too deeply or holding a NUL character.

    ``keys=False`` looks for NUL in values only: an API body's member names pick serializer fields, and a name
    holding a NUL picks none, so it is ignored like any unknown member (a field that stores a whole object, such
    as a standard's rule, checks its own keys)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise JSONInputError("Text may not contain the NUL character (\\u0000).")
            continue
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JSONInputError(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.")
            if isinstance(item, dict):
                if keys:
                    stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def json_input_parse(text: str | bytes, *, keys: bool = True, **loads_kwargs):
    """``json.loads`` for input: a syntax error, too deep a nesting or a NUL is a ``JSONInputError`` (a
    ``ValueError``), never a ``RecursionError``. ``keys`` as for ``json_input_check``."""
    try:
        value = json.loads(text, **loads_kwargs)
    except RecursionError:
        raise JSONInputError(f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.") from None
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JSONInputError(f"JSON parse error - {error}") from None
    json_input_check(value, keys=keys)
    return value
