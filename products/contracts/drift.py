"""Drift: does a port's real table still look like its declared schema?

``table_columns_read(conn, engine, table)`` asks the warehouse what columns the table has
(``information_schema.columns`` on PostgreSQL, ``PRAGMA table_info`` on SQLite), through the connection layer of
``products.warehouse`` (read-only, with a statement timeout). ``drift_compare(declared, observed, engine)`` is pure:
it lists what differs —

- a declared column the table lacks, or a column the table has that the contract does not declare;
- a type of another family (the contract's ``integer`` against a ``text`` column). Precision and length are not
  compared. SQLite stores dates and booleans in TEXT, INTEGER or NUMERIC columns, so there a declared type only
  has to fit the column's affinity;
- a column the contract says is required while the table accepts nulls (a stricter table breaks no promise).
"""

import re
from dataclasses import dataclass

from products.warehouse import WarehouseError, quote_sqlite, split_table, table_columns_read  # noqa: F401

TABLE_MISSING, MISSING, EXTRA, TYPE, NULLABLE = "table_missing", "missing", "extra", "type", "nullable"

_FAMILIES = {
    "string": {"string", "varchar", "char", "character", "text", "nvarchar", "nchar", "citext", "bpchar", "name"},
    "uuid": {"uuid"},
    "bytes": {"bytes", "binary", "varbinary", "blob", "bytea"},
    "integer": {"int", "integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8", "long", "short", "serial"},
    "number": {"number", "numeric", "decimal", "float", "double", "real", "float4", "float8", "money"},
    "boolean": {"bool", "boolean"},
    "date": {"date"},
    "timestamp": {"timestamp", "timestamptz", "datetime", "datetime2"},
    "time": {"time", "timetz"},
    "object": {"object", "struct", "record", "json", "jsonb", "map", "variant"},
    "array": {"array", "list"},
}
_FAMILY_OF = {name: family for family, names in _FAMILIES.items() for name in names}
_FAMILY_OF["bigserial"] = "integer"

# SQLite column affinity → the declared families a column of that affinity can hold.
_SQLITE_HOLDS = {
    "TEXT": {"string", "uuid", "date", "timestamp", "time", "object", "array"},
    "INTEGER": {"integer", "boolean", "timestamp", "date"},
    "REAL": {"number"},
    "NUMERIC": {"number", "integer", "boolean", "date", "timestamp", "time"},
    "BLOB": {"bytes", "object"},
}


@dataclass(frozen=True)
class Difference:
    kind: str
    column: str
    declared: str
    actual: str
    summary: str


def type_family(data_type: str) -> str:
    """``character varying(40)`` → ``string``; an unknown type is its own family (its first word)."""
    text = " ".join((data_type or "").lower().split())
    if text.endswith("[]") or text.startswith("_") or text == "array":
        return "array"
    if text.startswith(("timestamp", "datetime")):
        return "timestamp"
    if text.startswith("time"):
        return "time"
    if text.startswith("double"):
        return "number"
    base = re.split(r"[\s(<\[]", text, maxsplit=1)[0]
    return _FAMILY_OF.get(base, base)


def sqlite_affinity(declared: str) -> str:
    """SQLite's rules for a column's affinity from its declared type (https://sqlite.org/datatype3.html, 3.1)."""
    text = (declared or "").upper()
    if "INT" in text:
        return "INTEGER"
    if any(word in text for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in text or not text:
        return "BLOB"
    if any(word in text for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def types_agree(declared: str, actual: str, engine: str) -> bool:
    family = type_family(declared)
    if engine == "sqlite":
        return family in _SQLITE_HOLDS[sqlite_affinity(actual)]
    actual_family = type_family(actual)
    if {family, actual_family} <= {"string", "uuid"}:
        return True
    return family == actual_family


def drift_compare(declared: list[dict], observed: list[dict] | None, engine: str) -> list[Difference]:
    """What differs between the declared columns (``name``, ``data_type``, ``nullable``) and the table's
    (``name``, ``type``, ``nullable``); ``observed`` None means the table does not exist."""
    if observed is None:
        return [Difference(TABLE_MISSING, "", "", "", "The table does not exist in the warehouse.")]
    actual = {column["name"].lower(): column for column in observed}
    names = {column["name"].lower() for column in declared}
    found = []
    for column in declared:
        real = actual.get(column["name"].lower())
        if real is None:
            found.append(
                Difference(
                    MISSING,
                    column["name"],
                    column["data_type"],
                    "",
                    f"{column['name']} is declared but not in the table.",
                )
            )
            continue
        if not types_agree(column["data_type"], real["type"], engine):
            found.append(
                Difference(
                    TYPE,
                    column["name"],
                    column["data_type"],
                    real["type"],
                    f"{column['name']} is declared {column['data_type']}; the table has {real['type']}.",
                )
            )
        if not column["nullable"] and real["nullable"]:
            found.append(
                Difference(
                    NULLABLE,
                    column["name"],
                    "required",
                    "nullable",
                    f"{column['name']} is declared required; the table accepts nulls.",
                )
            )
    for key, real in actual.items():
        if key not in names:
            found.append(
                Difference(EXTRA, real["name"], "", real["type"], f"{real['name']} is in the table but not declared.")
            )
    return found
