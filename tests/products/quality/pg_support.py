"""Real PostgreSQL warehouses for the quality tests.

``warehouse_database`` creates a database of its own (``mesh_wh_<random>``) owned by a new non-superuser login
role with CREATEROLE (what a portal's warehouse user has to be to provision), and drops both afterwards.
``checker_settings`` gives the test checker roles and a checker schema of their own: roles are cluster-wide, and
other test runs may share the server. ``roles_drop`` removes roles and whatever they hold in the portal's database.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.db import connection
from psycopg import sql


def dsn(dbname: str | None = None, user: str | None = None) -> str:
    info = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=info["HOST"] or "127.0.0.1",
        port=info["PORT"] or 5432,
        user=user or info["USER"],
        password=(info["PASSWORD"] or None) if user is None else None,
        dbname=dbname or info["NAME"],
    )


def superuser(dbname: str | None = None):
    return psycopg.connect(dsn(dbname), autocommit=True)


def checker_settings(settings) -> str:
    """A unique checker role prefix and schema for this test; returns the prefix."""
    tag = secrets.token_hex(3)
    settings.MESH_CHECKER_ROLE_PREFIX = f"t_chk_{tag}_"
    settings.MESH_CHECKER_SCHEMA = f"t_chk_{tag}"
    return settings.MESH_CHECKER_ROLE_PREFIX


def roles_drop(prefix: str, *also: str) -> None:
    """Drop the checker roles named ``<prefix><digits>`` and the roles in ``also``, with what they hold in the
    portal's database (privileges there, objects they own there)."""
    with superuser() as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)", [prefix])
            if row[0][len(prefix) :].isdigit()
        ]
        existing = {
            row[0] for row in conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [list(also)])
        }
        for name in [*names, *[role for role in also if role in existing]]:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@dataclass
class Database:
    name: str
    login: str
    dsn: str

    def connect(self):
        return psycopg.connect(self.dsn, autocommit=True)


@contextmanager
def warehouse_database(prefix: str) -> Iterator[Database]:
    tag = secrets.token_hex(4)
    name, login = f"mesh_wh_{tag}", f"{prefix}login"
    with superuser() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER").format(sql.Identifier(login)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(login)))
    try:
        yield Database(name=name, login=login, dsn=dsn(name, user=login))
    finally:
        with superuser() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        roles_drop(prefix, login)
