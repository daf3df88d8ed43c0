"""Database chores shared by the bulk loaders (demo seed, catalog generator, contract import)."""

from django.db import connection


def analyze(*models, vacuum: bool = False) -> None:
    """Refresh the planner's statistics after a bulk load on PostgreSQL (autovacuum would do it, minutes later:
    until then a table loaded from empty is estimated at one row, and joins over it turn into nested loops).
    With ``vacuum``, at the end of a load and outside a transaction, the tables are vacuumed as well, which marks
    their pages all-visible as autovacuum would, so index-only scans (a team's grants, say) need not visit the rows.
    With no models, the whole database. Nothing on SQLite, whose planner keeps no such statistics by default."""
    if connection.vendor != "postgresql":
        return
    command = "VACUUM (ANALYZE)" if vacuum and not connection.in_atomic_block else "ANALYZE"
    with connection.cursor() as cursor:
        if not models:
            cursor.execute(command)
            return
        for model in models:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
