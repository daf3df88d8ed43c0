"""Connections to the warehouses that hold the ports' tables, shared by previews, exports, provisioning and checks.

``warehouse_connection`` opens a DB-API connection to a ``Warehouse``: read-only with a statement timeout unless
asked otherwise, so any caller (a data preview, a quality check's custom SQL) cannot write and cannot run for
ever. ``port_rows_read`` reads declared columns of a port's table with identifiers quoted by the driver's rules;
values only ever travel as parameters.

On PostgreSQL a quality check runs as its port's *checker*: a NOLOGIN role (``checker_role``) that may SELECT the
port's table and nothing else, and a SECURITY DEFINER function owned by it (``checker_function``) through which
custom SQL runs. ``products.access.provisioning`` creates both; ``products.quality.runner`` uses them.
"""

import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from products.models import OutputPort, Warehouse

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DEFAULT_TIMEOUT_MS = 5_000


class WarehouseError(Exception):
    """The warehouse could not answer: not configured, unreachable, or the query failed (message is the DB's)."""


class PortNotWired(WarehouseError):
    """The port has no table to read (no warehouse or table, or no declared columns): nothing is down, the port's
    state is the reason, so front doors answer 409 rather than 503."""


def checker_role_prefix() -> str:
    return getattr(settings, "MESH_CHECKER_ROLE_PREFIX", "mesh_checker_")


def checker_schema() -> str:
    return getattr(settings, "MESH_CHECKER_SCHEMA", "mesh_checks")


def checker_role(port_id: int) -> str:
    """The PostgreSQL role a quality check of port ``port_id`` runs as (one per port: a check reads its own port's
    table only, never another port's in the same warehouse)."""
    return f"{checker_role_prefix()}{int(port_id)}"


def checker_function(port_id: int) -> tuple[str, str]:
    """(schema, name) of the function, owned by the port's checker role, that runs a check's custom SQL."""
    return checker_schema(), checker_role(port_id)


def sqlite_path(warehouse: Warehouse) -> Path:
    path = Path(warehouse.path)
    return path if path.is_absolute() else Path(settings.VAR_DIR) / path


def split_table(table: str) -> tuple[str | None, str]:
    """``"sales.bookings"`` → ``("sales", "bookings")``; an unqualified name has no schema."""
    parts = table.split(".")
    if not table or len(parts) > 2 or not all(IDENTIFIER_RE.match(part) for part in parts):
        raise WarehouseError(f"Not a valid table name: {table!r}.")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def quote_sqlite(name: str) -> str:
    if not IDENTIFIER_RE.match(name):
        raise WarehouseError(f"Not a valid identifier: {name!r}.")
    return '"' + name + '"'


@contextmanager
def warehouse_connection(
    warehouse: Warehouse, *, read_only: bool = True, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> Iterator:
    """A DB-API connection to ``warehouse``, closed afterwards.

    Read-only connections cannot change data: SQLite opens the file with ``mode=ro``; PostgreSQL runs every
    transaction READ ONLY. Statements stop after ``timeout_ms`` (PostgreSQL ``statement_timeout``; on SQLite a
    progress handler interrupts the statement). Write connections (provisioning) are in autocommit mode.
    """
    if warehouse.engine == Warehouse.Engine.SQLITE:
        path = sqlite_path(warehouse)
        if not path.exists():
            raise WarehouseError(f"The warehouse file {path.name} does not exist.")
        try:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro" if read_only else str(path), uri=read_only, timeout=timeout_ms / 1000
            )
        except sqlite3.Error as error:
            raise WarehouseError(str(error)) from error
        deadline = time.monotonic() + timeout_ms / 1000
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield conn
        finally:
            conn.close()
        return
    import psycopg

    dsn = os.environ.get(warehouse.dsn_env or "", "")
    if not dsn:
        raise WarehouseError(f"The environment variable {warehouse.dsn_env or '(none)'} holds no connection string.")
    try:
        conn = psycopg.connect(dsn, autocommit=not read_only, connect_timeout=5)
    except psycopg.Error as error:
        raise WarehouseError(str(error).strip()) from error
    if read_only:
        # Every transaction, the first one included, starts READ ONLY (SET SESSION CHARACTERISTICS below only
        # applies from the next transaction on, so on its own it left the first one writable).
        conn.read_only = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(int(timeout_ms))])
            if read_only:
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        yield conn
    finally:
        conn.close()


@dataclass
class RowQuery:
    """What a caller wants from a port's table: declared columns, one optional equality filter, one ordering."""

    columns: Sequence[str]
    order_by: str | None = None
    descending: bool = False
    where_column: str | None = None
    where_value: str | None = None
    limit: int = 50


def _sql_for(warehouse: Warehouse, table: str, query: RowQuery):
    schema, name = split_table(table)
    params: list = []
    if warehouse.engine == Warehouse.Engine.SQLITE:
        if schema not in (None, "main"):
            raise WarehouseError("SQLite warehouses hold unqualified table names.")
        text = f"SELECT {', '.join(quote_sqlite(c) for c in query.columns)} FROM {quote_sqlite(name)}"  # noqa: S608
        if query.where_column:
            text += f" WHERE CAST({quote_sqlite(query.where_column)} AS TEXT) = ?"
            params.append(query.where_value)
        if query.order_by:
            text += f" ORDER BY {quote_sqlite(query.order_by)} {'DESC' if query.descending else 'ASC'}"
        text += " LIMIT ?"
        params.append(int(query.limit))
        return text, params
    from psycopg import sql

    table_id = sql.Identifier(schema, name) if schema else sql.Identifier(name)
    statement = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(map(sql.Identifier, query.columns)), table_id)
    if query.where_column:
        statement += sql.SQL(" WHERE {}::text = %s").format(sql.Identifier(query.where_column))
        params.append(query.where_value)
    if query.order_by:
        direction = sql.SQL("DESC" if query.descending else "ASC")
        statement += sql.SQL(" ORDER BY {} {}").format(sql.Identifier(query.order_by), direction)
    statement += sql.SQL(" LIMIT %s")
    params.append(int(query.limit))
    return statement, params


def port_rows_read(port: OutputPort, query: RowQuery) -> list[tuple]:
    """Rows of the port's table for ``query`` (unmasked: callers apply ``products.masking`` before showing them)."""
    if port.warehouse is None or not port.table:
        raise PortNotWired("This port is not connected to a warehouse table.")
    if not query.columns:
        raise PortNotWired("This port declares no columns.")
    for column in [*query.columns, query.order_by, query.where_column]:
        if column is not None and not IDENTIFIER_RE.match(column):
            raise WarehouseError(f"Not a valid column name: {column!r}.")
    statement, params = _sql_for(port.warehouse, port.table, query)
    with warehouse_connection(port.warehouse) as conn:
        cursor = conn.cursor()
        try:
            cursor.execute(statement, params)
            return [tuple(row) for row in cursor.fetchall()]
        except Exception as error:  # the driver's error, whichever driver: shown to the owner, never rows
            if isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg"):
                raise WarehouseError(str(error).strip().splitlines()[0]) from error
            raise
        finally:
            cursor.close()


def table_columns_read(conn, engine: str, table: str) -> list[dict] | None:
    """The table's columns (``name``, ``type``, ``nullable``) in order, or None when there is no such table.
    ``conn`` comes from ``products.warehouse.warehouse_connection``."""
    schema, name = split_table(table)
    if engine == "sqlite":
        if schema not in (None, "main"):
            raise WarehouseError("SQLite warehouses hold unqualified table names.")
        cursor = conn.cursor()
        try:
            rows = cursor.execute(f"PRAGMA table_info({quote_sqlite(name)})").fetchall()
        except sqlite3.Error as error:
            raise WarehouseError(str(error)) from error
        finally:
            cursor.close()
        if not rows:
            return None
        # (cid, name, type, notnull, default, pk): an INTEGER PRIMARY KEY is the rowid, never null.
        return [
            {
                "name": row[1],
                "type": row[2] or "",
                "nullable": not (row[3] or (row[5] and "INT" in (row[2] or "").upper())),
            }
            for row in rows
        ]
    import psycopg

    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, CASE WHEN data_type IN ('USER-DEFINED', 'ARRAY') THEN "
                "CASE WHEN data_type = 'ARRAY' THEN 'array' ELSE udt_name END ELSE data_type END, is_nullable "
                "FROM information_schema.columns WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema or "public", name],
            )
            rows = cursor.fetchall()
        conn.rollback()
    except psycopg.Error as error:
        raise WarehouseError(str(error).strip().splitlines()[0]) from error
    if not rows:
        return None
    return [{"name": row[0], "type": row[1], "nullable": row[2] == "YES"} for row in rows]


def warehouse_table_columns(warehouse: Warehouse, table: str) -> list[dict]:
    """The columns of ``table`` in ``warehouse`` after checking the portal can read it (a ``SELECT`` of no row, on
    the read-only connection): what the port editor checks before wiring a port and prefills its schema with.
    Raises ``WarehouseError`` naming what is wrong (no such table, unreachable, not readable)."""
    with warehouse_connection(warehouse) as conn:
        columns = table_columns_read(conn, warehouse.engine, table)
        if columns is None:
            raise WarehouseError(f"The warehouse {warehouse.name} has no table {table}.")
        statement, params = _sql_for(warehouse, table, RowQuery(columns=[columns[0]["name"]], limit=0))
        cursor = conn.cursor()
        try:
            cursor.execute(statement, params)
            cursor.fetchall()
        except Exception as error:
            if isinstance(error, sqlite3.Error) or type(error).__module__.startswith("psycopg"):
                raise WarehouseError(f"The portal cannot read {table}: {str(error).strip().splitlines()[0]}") from error
            raise
        finally:
            cursor.close()
    return columns
