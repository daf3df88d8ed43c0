"""Register the quality sweep so a fresh install resumes lost check runs and watches SLAs without setup.

Each product's own check schedule is a PeriodicTask created by ``products.services.quality_schedule_sync`` when
its first check is saved; admins edit both in Django admin (Periodic tasks). This migration only adds what is
missing.
"""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {
    "Quality: resume lost check runs, evaluate SLAs": ("products.tasks.quality_sweep_task", (10, "minutes")),
}


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0004_quality"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedules_operation(SCHEDULES)]
