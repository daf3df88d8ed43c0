"""What an edit changed, as the before-and-after text its audit row keeps and history pages show.

A service takes a snapshot of the fields it may change before it writes and another after, and passes the
difference to ``audit_record`` as ``data["changes"]``: a list of ``{"field", "label", "from", "to"}``. Values are
kept as display text (a choice's label, a related row's name, JSON for structured values) cut to a short excerpt
around the first difference, so a history page never needs the model and a row stays small whatever the field
holds. A field named in ``hidden`` is
listed as changed with no values (a check's parameters, which only its editors see).
"""

import json
from collections.abc import Iterable

VALUE_LIMIT = 160


def value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
        return "" if text in ("{}", "[]") else text
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return " ".join(str(value).split())


def _excerpts(old: str, new: str) -> tuple[str, str]:
    """Both texts cut to ``VALUE_LIMIT`` around where they first differ, so an edit deep in a long text shows."""
    if len(old) <= VALUE_LIMIT and len(new) <= VALUE_LIMIT:
        return old, new
    same = 0
    for same, (a, b) in enumerate(zip(old, new, strict=False)):  # noqa: B007 - the index is what we want
        if a != b:
            break
    else:
        same = min(len(old), len(new))
    start = max(0, same - 40)

    def cut(text: str) -> str:
        piece = text[start : start + VALUE_LIMIT - 2]
        return ("…" if start else "") + piece + ("…" if start + len(piece) < len(text) else "")

    return cut(old), cut(new)


def audit_snapshot(instance, names: Iterable[str], **extra: str) -> dict[str, tuple[str, str]]:
    """``{field: (label, display text)}`` for ``names`` of ``instance``; ``extra`` adds values that are not model
    fields (a product's tags, a term's synonyms) as ``name=text``."""
    snapshot = {}
    for name in names:
        field = instance._meta.get_field(name)
        value = getattr(instance, name)
        if field.choices:
            value = dict(field.flatchoices).get(value, value)
        snapshot[name] = (str(field.verbose_name), value_text(value))
    for name, text in extra.items():
        snapshot[name] = (name.replace("_", " "), value_text(text))
    return snapshot


def audit_changes(before: dict, after: dict, *, hidden: Iterable[str] = ()) -> list[dict]:
    """The fields whose text differs between two snapshots, in the order of ``after``."""
    hidden = set(hidden)
    changes = []
    for name, (label, text) in after.items():
        old = before.get(name, (label, ""))[1]
        if old == text:
            continue
        if name in hidden:
            changes.append({"field": name, "label": label, "from": None, "to": None})
        else:
            old, text = _excerpts(old, text)
            changes.append({"field": name, "label": label, "from": old, "to": text})
    return changes
