"""Database chores shared by the bulk loaders (demo seed, catalog generator, contract import)."""

from django.db import connection


def analyze(*models) -> None:
    """Refresh the planner's statistics after a bulk load on PostgreSQL (autovacuum would do it, minutes later:
    until then a table loaded from empty is estimated at one row, and joins over it turn into nested loops).
    With no models, the whole database. Nothing on SQLite, whose planner keeps no such statistics by default."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not models:
            cursor.execute("ANALYZE")
            return
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
