"""Carry the former API tokens (DRF's ``authtoken_token``, which kept each key in clear) over to hashed API tokens.

Each key is hashed the way knox hashes keys, so pipelines that hold one keep working; the token is named
"migrated" and does not expire. Then DRF's table is dropped, with the key in clear it held, and its migration
records are forgotten (``rest_framework.authtoken`` is no longer installed). A database that never had the table
(a new install) skips all of this. There is no way back: the keys are gone.
"""

from datetime import UTC, datetime

from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.crypto import hash_token
from knox.settings import CONSTANTS

DRF_TABLE = "authtoken_token"


def _aware(value) -> datetime:
    value = parse_datetime(value) if isinstance(value, str) else value
    return timezone.make_aware(value, UTC) if value and timezone.is_naive(value) else value or timezone.now()


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("portal", "ApiToken")
    table = connection.ops.quote_name(DRF_TABLE)
    columns = ", ".join(connection.ops.quote_name(column) for column in ("key", "user_id", "created"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608 - constant names
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken(
            user_id=user_id,
            name="migrated",
            digest=hash_token(key),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            expiry=None,
        )
        token.save()
        ApiToken.objects.filter(pk=token.pk).update(created=_aware(created))  # "created" is auto_now_add
    schema_editor.execute(f"DROP TABLE {table}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_apitoken")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop, elidable=True)]
