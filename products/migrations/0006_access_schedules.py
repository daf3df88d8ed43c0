"""Register the access jobs so a fresh install reminds, expires, provisions and delivers webhooks without setup."""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {
    "Access: remind and expire pending requests": (
        "products.tasks.access_requests_remind_and_expire_task",
        {"minute": "15"},
    ),
    "Access: expire grants, notice 7 days before": ("products.tasks.grants_expire_task", {"minute": "30", "hour": "2"}),
    "Access: provisioning sweep": ("products.tasks.grants_sync_sweep_task", (60, "seconds")),
    "Access: webhook outbox sweep": ("products.tasks.outbox_sweep_task", (60, "seconds")),
}


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0005_quality_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedules_operation(SCHEDULES)]
