"""The quality check runner: validates a check's parameters, builds its SQL, runs it read-only, judges the value.

Every check becomes one SELECT that returns one row of numbers (or, for freshness, the newest timestamp).
Identifiers are validated (``products.warehouse.IDENTIFIER_RE``) and quoted by the engine's rules; values travel as
parameters. The statement runs on ``products.warehouse.warehouse_connection``: read-only (SQLite ``mode=ro``,
PostgreSQL ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``) with a statement timeout, so a custom SQL
check cannot write and cannot run for ever.

A check reads its own port's table and nothing else, whatever its SQL says:

- SQLite: an authorizer (``SqliteAuthorizer``) is installed for the check's statement only. It allows reading the
  port's table (and, when the port is a view, what the view itself reads), and a short list of harmless functions;
  it denies every other table (``sqlite_master``, temp tables, other products' tables), PRAGMA, ATTACH, recursive
  queries and every other function.
- PostgreSQL: the statement runs after ``SET LOCAL ROLE`` to the port's checker role, which may SELECT the port's
  table only (``products.access.provisioning`` creates it). Custom SQL runs inside the checker's SECURITY DEFINER
  function: there PostgreSQL refuses to change the role again (``set_config('role', …)`` would otherwise hand the
  statement back the warehouse user's rights). Without a checker role the check does not run.

A check yields a figure, never data: a custom SQL check must return one number; results carry figures and the
check's own column names. Database errors can quote values (``invalid input syntax for type integer: "…"``), so an
error outcome keeps the error's class and SQLSTATE and a redacted first line (``error_redact``); nothing here raises
to the job for a database problem.

Custom SQL names the port's table as ``{table}``; it must be a single SELECT (``WITH … SELECT`` included) and its
check must have a port. The static parse is a first filter only: the confinement above is what holds.
"""

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlparse
from django.utils import timezone

from portal.errors import DomainError
from products.models import OutputPort, Warehouse
from products.quality.models import QualityCheck
from products.warehouse import (
    IDENTIFIER_RE,
    WarehouseError,
    checker_function,
    checker_role,
    quote_sqlite,
    split_table,
    warehouse_connection,
)

Kind = QualityCheck.Kind
OPERATORS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}
NEEDS_COLUMN = {Kind.FRESHNESS, Kind.COMPLETENESS, Kind.UNIQUENESS, Kind.ACCEPTED_VALUES}
CHECK_TIMEOUT_MS = 10_000
NO_CHECKER = "The warehouse has no checker role for this port yet; provision the warehouse."
NOT_ONE_NUMBER = "The query must return one number."


@dataclass
class Outcome:
    state: str  # a CheckResult.State value
    observed_value: float | None
    message: str


# --- Validation ----------------------------------------------------------------------------------------------------


def _number(params: dict, key: str, *, minimum: float | None = None, maximum: float | None = None, integer=False):
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DomainError(f"params.{key} must be a number.", field="params")
    if integer and int(value) != value:
        raise DomainError(f"params.{key} must be a whole number.", field="params")
    if minimum is not None and value < minimum:
        raise DomainError(f"params.{key} must be at least {minimum}.", field="params")
    if maximum is not None and value > maximum:
        raise DomainError(f"params.{key} must be at most {maximum}.", field="params")
    return value


def custom_sql_validate(text: str) -> str:
    """The statement without a trailing semicolon, or a DomainError naming the field: one SELECT only."""
    statements = [s for s in sqlparse.split(text or "") if s.strip().rstrip(";").strip()]
    if len(statements) != 1:
        raise DomainError("Custom SQL must be exactly one statement.", field="sql")
    statement = statements[0].strip().rstrip(";").strip()
    if ";" in statement.replace("';'", ""):
        raise DomainError("Custom SQL must be exactly one statement.", field="sql")
    kind = sqlparse.parse(statement)[0].get_type()
    if kind != "SELECT":
        raise DomainError(f"Custom SQL must be a single SELECT statement, not {kind or 'this'}.", field="sql")
    return statement


def params_validate(kind: str, column: str, params: dict) -> dict:
    """Check the parameters of a check of ``kind``; return them cleaned. Refusals name the field at fault."""
    if not isinstance(params, dict):
        raise DomainError("params must be an object.", field="params")
    if kind in NEEDS_COLUMN and not column:
        raise DomainError(f"A {Kind(kind).label.lower()} check needs a column.", field="column")
    if column and not IDENTIFIER_RE.match(column):
        raise DomainError(f"Not a valid column name: {column!r}.", field="column")
    if kind == Kind.FRESHNESS:
        return {"max_age_minutes": _number(params, "max_age_minutes", minimum=1, integer=True)}
    if kind == Kind.COMPLETENESS:
        return {"min_percent": _number(params, "min_percent", minimum=0, maximum=100)}
    if kind == Kind.ROW_COUNT:
        clean = {}
        for key in ("min_rows", "max_rows"):
            if params.get(key) is not None:
                clean[key] = _number(params, key, minimum=0, integer=True)
        if not clean:
            raise DomainError("A row count check needs params.min_rows or params.max_rows.", field="params")
        if "min_rows" in clean and "max_rows" in clean and clean["min_rows"] > clean["max_rows"]:
            raise DomainError("params.min_rows is above params.max_rows.", field="params")
        return clean
    if kind == Kind.UNIQUENESS:
        if params.get("max_duplicates") is None:
            return {"max_duplicates": 0}
        return {"max_duplicates": _number(params, "max_duplicates", minimum=0, integer=True)}
    if kind == Kind.ACCEPTED_VALUES:
        values = params.get("values")
        if not isinstance(values, list) or not values or len(values) > 500:
            raise DomainError("params.values must be a list of 1 to 500 accepted values.", field="params")
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            raise DomainError("params.values may hold only text and numbers.", field="params")
        return {"values": [str(v) for v in values]}
    if kind == Kind.CUSTOM_SQL:
        sql_text = custom_sql_validate(params.get("sql", ""))
        operator = params.get("operator")
        if operator not in OPERATORS:
            raise DomainError(f"params.operator must be one of {', '.join(OPERATORS)}.", field="params")
        return {"sql": sql_text, "operator": operator, "threshold": _number(params, "threshold")}
    if kind == Kind.EXTERNAL:
        return {}
    raise DomainError(f"Unknown check kind {kind!r}.", field="kind")


# --- SQL per kind --------------------------------------------------------------------------------------------------


def _quote_sqlite_strict(name: str) -> str:
    """SQLite reads an unknown "double-quoted" name as a string literal (so a missing column would silently
    count a constant); [bracketed] names are identifiers only, and a missing one is an error."""
    quote_sqlite(name)  # validates against IDENTIFIER_RE
    return f"[{name}]"


def _quoter(engine: str):
    if engine == Warehouse.Engine.SQLITE:
        return _quote_sqlite_strict
    from psycopg import sql

    return lambda name: sql.Identifier(name).as_string()


def _table_sql(engine: str, table: str) -> str:
    schema, name = split_table(table)
    quote = _quoter(engine)
    if engine == Warehouse.Engine.SQLITE:
        if schema not in (None, "main"):
            raise WarehouseError("SQLite warehouses hold unqualified table names.")
        return quote(name)
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def check_sql(check: QualityCheck, engine: str, table: str) -> tuple[str, list]:
    """The one SELECT for ``check`` on ``table`` and its parameters, in the engine's placeholder style."""
    placeholder = "?" if engine == Warehouse.Engine.SQLITE else "%s"
    quote = _quoter(engine)
    source = _table_sql(engine, table) if table else ""
    column = quote(check.column) if check.column else ""
    kind = check.kind
    if kind == Kind.FRESHNESS:
        return f"SELECT MAX({column}) FROM {source}", []  # noqa: S608 - identifiers quoted above
    if kind == Kind.COMPLETENESS:
        return f"SELECT COUNT(*), COUNT({column}) FROM {source}", []  # noqa: S608
    if kind == Kind.ROW_COUNT:
        return f"SELECT COUNT(*) FROM {source}", []  # noqa: S608
    if kind == Kind.UNIQUENESS:
        return f"SELECT COUNT({column}) - COUNT(DISTINCT {column}) FROM {source}", []  # noqa: S608
    if kind == Kind.ACCEPTED_VALUES:
        values = check.params["values"]
        marks = ", ".join([placeholder] * len(values))
        text = f"SELECT COUNT(*) FROM {source} WHERE {column} IS NOT NULL AND CAST({column} AS TEXT) NOT IN ({marks})"  # noqa: S608, E501
        return text, list(values)
    if kind == Kind.CUSTOM_SQL:
        text = check.params["sql"]
        if "{table}" in text:
            if not source:
                raise WarehouseError("This check names {table} but has no port table.")
            text = text.replace("{table}", source)
        return text, []
    raise WarehouseError(f"A {kind} check is not run by the portal; its results are pushed.")


# --- Judging -------------------------------------------------------------------------------------------------------


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def judge(check: QualityCheck, row: tuple | None, *, now: datetime | None = None) -> Outcome:
    """Turn the row a check's SELECT returned into passed / failed with what was seen."""
    now = now or timezone.now()
    params, kind = check.params, check.kind
    if row is None or not len(row):
        return Outcome("error", None, "The query returned no row.")
    if kind == Kind.FRESHNESS:
        newest = _as_datetime(row[0])
        if newest is None:
            return Outcome("failed", None, f"No timestamp in {check.column} (empty table or unreadable value).")
        age = round((now - newest).total_seconds() / 60, 1)
        limit = params["max_age_minutes"]
        return Outcome(
            "passed" if age <= limit else "failed", age, f"Newest row is {age:g} min old (limit {limit} min)."
        )
    if kind == Kind.COMPLETENESS:
        rows, filled = int(row[0] or 0), int(row[1] or 0)
        if rows == 0:
            return Outcome("failed", None, "The table has no rows.")
        percent = round(100 * filled / rows, 2)
        minimum = params["min_percent"]
        text = f"{percent:g} % of {rows} rows have {check.column} (minimum {minimum:g} %)."
        return Outcome("passed" if percent >= minimum else "failed", percent, text)
    if kind == Kind.ROW_COUNT:
        count = int(row[0] or 0)
        low, high = params.get("min_rows"), params.get("max_rows")
        ok = (low is None or count >= low) and (high is None or count <= high)
        bounds = f"{low if low is not None else 0}–{high if high is not None else '∞'}"
        return Outcome("passed" if ok else "failed", float(count), f"{count} rows (expected {bounds}).")
    if kind == Kind.UNIQUENESS:
        duplicates = int(row[0] or 0)
        allowed = params.get("max_duplicates", 0)
        text = f"{duplicates} duplicate value(s) in {check.column} (at most {allowed} allowed)."
        return Outcome("passed" if duplicates <= allowed else "failed", float(duplicates), text)
    if kind == Kind.ACCEPTED_VALUES:
        bad = int(row[0] or 0)
        text = f"{bad} row(s) with a value of {check.column} outside the accepted list."
        return Outcome("passed" if bad == 0 else "failed", float(bad), text)
    if kind == Kind.CUSTOM_SQL:
        first = row[0]
        if isinstance(first, bool) or not isinstance(first, int | float | Decimal):
            return Outcome("error", None, NOT_ONE_NUMBER)  # never quote what came back: it may be a row's value
        value = float(first)
        operator, threshold = params["operator"], params["threshold"]
        ok = OPERATORS[operator](value, threshold)
        return Outcome("passed" if ok else "failed", value, f"Value {value:g} {operator} {threshold:g} is {ok}.")
    return Outcome("error", None, f"Unknown check kind {kind!r}.")


def _target(check: QualityCheck) -> OutputPort:
    """The port whose table the check reads: its own, connected to a warehouse table (custom SQL included)."""
    port: OutputPort | None = check.port
    if port is None:
        raise WarehouseError("The check has no port: choose the port whose table it reads.")
    if port.warehouse is None:
        raise WarehouseError("The check's port is not connected to a warehouse.")
    if not port.table:
        raise WarehouseError("The check's port names no table.")
    return port


# --- Confinement ---------------------------------------------------------------------------------------------------

# Functions a check may call on SQLite (what a figure needs: aggregates, arithmetic, text tests, dates). LIKE and
# GLOB are functions to SQLite; CAST, CASE, IN, BETWEEN are not functions and need no entry.
SQLITE_FUNCTIONS = frozenset(
    {
        *("count", "sum", "total", "avg", "min", "max"),
        *("abs", "round", "sign", "ceil", "ceiling", "floor", "trunc", "mod", "power", "pow", "sqrt"),
        *("coalesce", "ifnull", "nullif", "iif", "likely", "unlikely", "likelihood"),
        *("length", "lower", "upper", "trim", "ltrim", "rtrim", "substr", "substring", "instr", "replace"),
        *("like", "glob"),
        *("date", "time", "datetime", "julianday", "unixepoch", "strftime"),
    }
)


class SqliteAuthorizer:
    """``sqlite3`` authorizer confining a statement to one table: SELECT, reading ``table`` (or what the view
    ``table`` reads), and ``SQLITE_FUNCTIONS``; everything else is denied, so the statement fails to prepare."""

    def __init__(self, table: str, *, view_reads: frozenset = frozenset()):
        self.table = table.lower()
        self.view_reads = view_reads  # (action, table or None, column or function name) a view port needs

    @classmethod
    def for_port(cls, conn: sqlite3.Connection, table: str) -> "SqliteAuthorizer":
        """When the port's table is a view, what the view reads is allowed too: record it by preparing a plain
        read of the view (portal-written SQL) before the check's statement."""
        _, name = split_table(table)
        kind = conn.execute(
            "SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE AND type IN ('table', 'view')", [name]
        ).fetchone()
        if kind is None or kind[0] != "view":
            return cls(name)
        seen: set = set()

        def record(action, arg1, arg2, db, source):
            if action in (sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION) and db in (None, "main"):
                seen.add((action, (arg1 or "").lower() or None, (arg2 or "").lower()))
            return sqlite3.SQLITE_OK

        conn.set_authorizer(record)
        try:
            quoted = _quote_sqlite_strict(name)
            conn.execute(f"SELECT * FROM {quoted} LIMIT 0").fetchall()  # noqa: S608 - validated identifier
            conn.execute(f"SELECT COUNT(*) FROM {quoted} LIMIT 0").fetchall()  # noqa: S608
        finally:
            conn.set_authorizer(None)
        return cls(name, view_reads=frozenset(seen))

    def __call__(self, action, arg1, arg2, db, source):
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            table, column = (arg1 or "").lower(), (arg2 or "").lower()
            if db not in (None, "main") or table.startswith("sqlite_"):
                return sqlite3.SQLITE_DENY  # the schema tables, temp and attached databases
            if table == self.table or (action, table, column) in self.view_reads:
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            if name in SQLITE_FUNCTIONS or (action, None, name) in self.view_reads:
                return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY  # PRAGMA, ATTACH, recursive CTEs, writes, other functions


def _sqlite_fetch(conn: sqlite3.Connection, port: OutputPort, statement: str, params: list):
    authorizer = SqliteAuthorizer.for_port(conn, port.table)
    conn.set_authorizer(authorizer)
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(statement, params)
            return cursor.fetchone()
        finally:
            cursor.close()
    finally:
        conn.set_authorizer(None)


def _postgres_fetch(conn, port: OutputPort, statement: str, params: list, *, custom: bool):
    """Run as the port's checker role; custom SQL through the checker's function, which returns the first row as
    JSON (``row_to_json``, columns in order) or NULL when there is none."""
    from psycopg import sql

    role = checker_role(port.pk)
    schema, function = checker_function(port.pk)
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role])
        member = cursor.fetchone()
        if member is None or not member[0]:
            raise WarehouseError(NO_CHECKER)
        if custom:
            signature = sql.SQL("{}(text)").format(sql.Identifier(schema, function)).as_string(conn)
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [signature])
            if not cursor.fetchone()[0]:
                raise WarehouseError(NO_CHECKER)
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        if not custom:
            cursor.execute(statement, params or None)
            return cursor.fetchone()
        # No parameters are parsed in the statement itself: it travels as one, so a literal % stays a %.
        cursor.execute(sql.SQL("SELECT {}(%s)").format(sql.Identifier(schema, function)), [statement])
        first_row = cursor.fetchone()[0]
    if first_row is None:
        return None
    columns = json.loads(first_row, object_pairs_hook=list)
    return (columns[0][1] if columns else None,)


# --- Errors --------------------------------------------------------------------------------------------------------

_QUOTED = re.compile(r"\"(?:[^\"]|\"\")*\"|'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:0x[0-9a-fA-F]+|\d+(?:[.,]\d+)*)(?![\w])")
DATA_EXCEPTION = "a value could not be converted or computed"


def text_redact(text: str) -> str:
    """The first line of a database's message with every quoted part and every number blanked: messages quote
    the values they choked on (``invalid input syntax for type integer: "alice@example.com"``)."""
    line = next((part.strip() for part in (text or "").splitlines() if part.strip()), "")
    return _NUMBER.sub("#", _QUOTED.sub('"…"', line))[:500]


def error_redact(error: Exception) -> str:
    """What a check's error outcome says: the error's class and SQLSTATE, and the redacted primary message; for
    data exceptions (SQLSTATE class 22, whose messages are about a value) a fixed text instead."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    sqlstate = getattr(error, "sqlstate", None) or ""
    if sqlstate.startswith("22"):
        text = DATA_EXCEPTION
    else:
        diag = getattr(error, "diag", None)
        text = text_redact(getattr(diag, "message_primary", None) or str(error))
    kind += f" (SQLSTATE {sqlstate})" if sqlstate else ""
    return f"{kind}: {text}" if text else kind


def _driver_error(error: Exception) -> bool:
    return isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg")


def check_execute(check: QualityCheck, *, timeout_ms: int = CHECK_TIMEOUT_MS, now=None) -> Outcome:
    """Run ``check`` against its port's real table, read-only and confined to that table. Never raises for a
    database problem: the outcome is an error with a redacted message."""
    try:
        port = _target(check)
        warehouse = port.warehouse
        statement, params = check_sql(check, warehouse.engine, port.table)
        with warehouse_connection(warehouse, read_only=True, timeout_ms=timeout_ms) as conn:
            if warehouse.engine == Warehouse.Engine.SQLITE:
                row = _sqlite_fetch(conn, port, statement, params)
            else:
                row = _postgres_fetch(conn, port, statement, params, custom=check.kind == Kind.CUSTOM_SQL)
    except WarehouseError as error:  # the portal's own words, or a driver's (connecting) redacted
        cause = error.__cause__
        return Outcome("error", None, error_redact(cause) if cause and _driver_error(cause) else str(error))
    except Exception as error:
        if _driver_error(error):
            return Outcome("error", None, error_redact(error))
        raise
    return judge(check, tuple(row) if row is not None else None, now=now)
