"""Run the glossary conflict job every hour (editable in the admin under Periodic tasks)."""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {"glossary: detect conflicts": ("glossary.tasks.conflicts_detect", (1, "hours"))}


class Migration(migrations.Migration):
    dependencies = [
        ("glossary", "0002_search_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedules_operation(SCHEDULES)]
