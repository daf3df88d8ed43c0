"""What a schema change means to a port's consumers, decided in one place (pure functions, no database).

A schema is a list of column dicts (``name``, ``data_type``, ``nullable``, ``classification``, ``primary_key``,
``description``), in order. ``schema_diff(old, new)`` lists every change with its level:

- **breaking**: a column removed (a rename reads as a removal plus an addition), a type changed, a required column
  made nullable, a classification lowered, the primary key changed;
- **additive**: a column added, a nullable column made required, a classification raised;
- **patch**: a description changed, columns reordered.

``version_required(old_version, changes)`` says which bump the changes need; breaking changes need a new major.
"""

from dataclasses import asdict, dataclass

import semver

BREAKING, ADDITIVE, PATCH = "breaking", "additive", "patch"
LEVEL_ORDER = {PATCH: 0, ADDITIVE: 1, BREAKING: 2}

# Column classifications from least to most protected; a move down the list is a declassification.
CLASSIFICATION_RANK = {"": 0, "confidential": 1, "sensitive": 2, "pii": 3}
COLUMN_KEYS = ("name", "data_type", "nullable", "classification", "primary_key", "description")


@dataclass(frozen=True)
class Change:
    level: str
    kind: str  # removed, added, type, nullable, required, declassified, classified, primary_key, description, order
    column: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def column_normalise(column: dict) -> dict:
    """A column with every key present, in the shape schema versions store."""
    return {
        "name": str(column.get("name", "")),
        "data_type": str(column.get("data_type", "string") or "string"),
        "nullable": bool(column.get("nullable", True)),
        "classification": str(column.get("classification", "") or ""),
        "primary_key": bool(column.get("primary_key", False)),
        "description": str(column.get("description", "") or ""),
    }


def schema_normalise(columns) -> list[dict]:
    return [column_normalise(column) for column in columns]


def _type_key(data_type: str) -> str:
    return " ".join(data_type.lower().split())


def classification_lowered(old: str, new: str) -> bool:
    return CLASSIFICATION_RANK.get(new or "", 0) < CLASSIFICATION_RANK.get(old or "", 0)


def schema_diff(old_columns, new_columns) -> list[Change]:
    """Every change from ``old_columns`` to ``new_columns``, breaking ones first, then by column order."""
    old = {column["name"]: column for column in schema_normalise(old_columns)}
    new = {column["name"]: column for column in schema_normalise(new_columns)}
    changes: list[Change] = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            changes.append(Change(BREAKING, "removed", name, f"Column {name} was removed."))
            continue
        if _type_key(before["data_type"]) != _type_key(after["data_type"]):
            changes.append(
                Change(BREAKING, "type", name, f"{name}: type {before['data_type']} → {after['data_type']}.")
            )
        if not before["nullable"] and after["nullable"]:
            changes.append(Change(BREAKING, "nullable", name, f"{name}: required → nullable."))
        elif before["nullable"] and not after["nullable"]:
            changes.append(Change(ADDITIVE, "required", name, f"{name}: nullable → required."))
        if before["classification"] != after["classification"]:
            label = f"{before['classification'] or 'none'} → {after['classification'] or 'none'}"
            if classification_lowered(before["classification"], after["classification"]):
                changes.append(Change(BREAKING, "declassified", name, f"{name}: classification lowered, {label}."))
            else:
                changes.append(Change(ADDITIVE, "classified", name, f"{name}: classification raised, {label}."))
        if before["description"] != after["description"]:
            changes.append(Change(PATCH, "description", name, f"{name}: description changed."))
    for name in new:
        if name not in old:
            changes.append(Change(ADDITIVE, "added", name, f"Column {name} was added."))
    old_keys = sorted(name for name, column in old.items() if column["primary_key"])
    new_keys = sorted(name for name, column in new.items() if column["primary_key"])
    if old_keys != new_keys:
        changes.append(
            Change(
                BREAKING,
                "primary_key",
                ", ".join(new_keys) or "-",
                f"Primary key ({', '.join(old_keys) or 'none'}) → ({', '.join(new_keys) or 'none'}).",
            )
        )
    kept_old = [name for name in old if name in new]
    kept_new = [name for name in new if name in old]
    if kept_old != kept_new:
        changes.append(Change(PATCH, "order", "-", "Columns were reordered."))
    changes.sort(key=lambda change: -LEVEL_ORDER[change.level])
    return changes


def change_level(changes: list[Change]) -> str | None:
    """The highest level among ``changes`` (None when nothing changed)."""
    if not changes:
        return None
    return max((change.level for change in changes), key=LEVEL_ORDER.__getitem__)


def version_parse(text: str) -> semver.Version:
    return semver.Version.parse(text)


def version_next(old_version: str, level: str | None) -> str:
    """The version a change of ``level`` proposes after ``old_version``."""
    version = version_parse(old_version)
    if level == BREAKING:
        return str(version.bump_major())
    if level == ADDITIVE:
        return str(version.bump_minor())
    return str(version.bump_patch())


def version_problem(old_version: str, new_version: str, changes: list[Change]) -> str | None:
    """Why ``new_version`` cannot carry ``changes`` after ``old_version`` (None when it can)."""
    old, new = version_parse(old_version), version_parse(new_version)
    if new < old:
        return f"The version cannot go back from {old_version} to {new_version}."
    breaking = [change for change in changes if change.level == BREAKING]
    if breaking and new.major <= old.major:
        items = "; ".join(change.detail for change in breaking)
        return (
            f"Breaking changes need a new major version (at least {version_next(old_version, BREAKING)}, "
            f"not {new_version}): {items}"
        )
    return None
