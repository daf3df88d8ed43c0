"""A port can be superseded by a new major port: it keeps a sunset and is retired by a job when the sunset passes
(registered here, every 15 minutes)."""

import django.db.models.deletion
from django.db import migrations, models

from portal.schedules import schedules_operation

SCHEDULES = {
    "Contracts: retire ports past their sunset": (
        "products.contracts.tasks.ports_retire_due_task",
        (15, "minutes"),
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0014_quality_check_leases"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="outputport",
            name="retired_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="outputport",
            name="successor",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="predecessors",
                to="products.outputport",
            ),
        ),
        migrations.AddField(
            model_name="outputport",
            name="sunset_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        schedules_operation(SCHEDULES),
    ]
