"""Many rows in one statement, for the jobs that write thousands at a time (enforcement's violations, scores and
snapshots).

On PostgreSQL each column travels as one array and ``unnest`` turns them back into rows: the driver adapts a
handful of lists where Django's ``bulk_create`` prepares every value of every row through its field, which is
most of a chunk's time. Elsewhere (SQLite) it is ``bulk_create``. Either way a conflict is skipped or, with
``update_fields``, updated; the rows are given as dicts of attribute name (``product_id``) to value, all with the
same keys, and a field left out takes its default.
"""

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
    arrays = []
    for field in fields:
        if field.attname in rows[0]:
            arrays.append([row[field.attname] for row in rows])
        else:  # the field's default, as Django would fill it ("" for a blank text field without one)
            arrays.append([field.get_default()] * len(rows))
    names = ", ".join(quote(field.column) for field in fields)
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    if update_fields:
        by_name = {field.name: field for field in fields} | {field.attname: field for field in fields}
        target = ", ".join(quote(by_name[name].column) for name in unique_fields)
        updates = ", ".join(
            f"{quote(by_name[name].column)} = EXCLUDED.{quote(by_name[name].column)}" for name in update_fields
        )
        conflict = f"ON CONFLICT ({target}) DO UPDATE SET {updates}"
    else:
        conflict = "ON CONFLICT DO NOTHING"
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT * FROM unnest({casts}) {conflict}"  # noqa: S608 - names from the model, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
