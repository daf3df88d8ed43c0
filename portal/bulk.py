"""Many rows in one statement, for the jobs that write thousands at a time (enforcement's violations, scores and
snapshots).

On PostgreSQL the rows travel as one JSON document that ``json_to_recordset`` turns back into rows, where Django's
``bulk_create`` prepares every value of every row through its field, which is most of a chunk's time. Elsewhere
(SQLite) it is ``bulk_create``. Either way a conflict is skipped or, with ``update_fields``, updated; the rows are given as dicts of attribute name (``product_id``) to value, all with the
same keys, and a field left out takes its default.
"""

import json

from django.db import connection, models


def _columns(model) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]


def bulk_insert(
    model, rows: list[dict], *, unique_fields: tuple[str, ...] = (), update_fields: tuple[str, ...] = ()
) -> None:
    """Insert ``rows``; a row that conflicts is skipped, or with ``update_fields`` (and the ``unique_fields``
    naming the conflict) has those fields updated."""
    if not rows:
        return
    fields = _columns(model)
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        if update_fields:
            model.objects.bulk_create(
                objects, update_conflicts=True, unique_fields=list(unique_fields), update_fields=list(update_fields)
            )
        else:
            model.objects.bulk_create(objects, ignore_conflicts=True)
        return
    quote = connection.ops.quote_name
    # The columns that vary travel as one JSON document that json_to_recordset() turns back into rows (encoding
    # JSON is C; the driver adapts an array element by element in Python). A column whose rows all hold one value
    # (a run's timestamp, a default) travels once, as that value; the document carries one column at least.
    firsts = [rows[0][field.attname] if field.attname in rows[0] else field.get_default() for field in fields]
    varies = [
        field.attname in rows[0] and any(row[field.attname] != first for row in rows)
        for field, first in zip(fields, firsts, strict=True)
    ]
    if not any(varies):
        varies[0] = True
    varying = [field for field, varied in zip(fields, varies, strict=True) if varied]
    values = [first for first, varied in zip(firsts, varies, strict=True) if not varied]
    selected = ", ".join(
        f"u.{quote(field.column)}" if varied else f"%s::{field.db_type(connection)}"
        for field, varied in zip(fields, varies, strict=True)
    )
    keys = [
        (field.column, field.attname, first)
        for field, first, varied in zip(fields, firsts, varies, strict=True)
        if varied
    ]
    document = json.dumps(
        [{column: row.get(attname, first) for column, attname, first in keys} for row in rows], default=str
    )
    definition = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in varying)
    names = ", ".join(quote(field.column) for field in fields)
    if update_fields:
        by_name = {field.name: field for field in fields} | {field.attname: field for field in fields}
        target = ", ".join(quote(by_name[name].column) for name in unique_fields)
        updates = ", ".join(
            f"{quote(by_name[name].column)} = EXCLUDED.{quote(by_name[name].column)}" for name in update_fields
        )
        conflict = f"ON CONFLICT ({target}) DO UPDATE SET {updates}"
    else:
        conflict = "ON CONFLICT DO NOTHING"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 - names from the model, values bound
        f"SELECT {selected} FROM json_to_recordset(%s::json) AS u({definition}) {conflict}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, document])  # the SELECT list's values, then the rows
