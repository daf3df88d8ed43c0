"""Register the hourly drift check, so a fresh install compares every connected port with its table."""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {
    "Contracts: compare ports with their real tables (drift)": (
        "products.contracts.tasks.drift_sweep_task",
        (60, "minutes"),
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0010_contract_documents_drift"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedules_operation(SCHEDULES)]
