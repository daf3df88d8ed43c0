"""Every existing port starts its history with its current schema as its first version, and the job that applies
scheduled schema changes is registered."""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {
    "Contracts: apply scheduled schema changes": (
        "products.contracts.tasks.schema_changes_apply_due_task",
        (5, "minutes"),
    ),
}
KEYS = ("name", "data_type", "nullable", "primary_key", "classification", "description")


def first_versions(apps, schema_editor):
    OutputPort = apps.get_model("products", "OutputPort")
    SchemaVersion = apps.get_model("products", "SchemaVersion")
    for port in OutputPort.objects.all().iterator():
        if SchemaVersion.objects.filter(port=port).exists():
            continue
        columns = [
            {key: getattr(field, key) for key in KEYS} for field in port.fields.order_by("position", "id")
        ]
        SchemaVersion.objects.create(
            port=port, version=port.version, schema=columns, level="initial", summary="First version."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0008_contracts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(first_versions, migrations.RunPython.noop),
        schedules_operation(SCHEDULES),
    ]
