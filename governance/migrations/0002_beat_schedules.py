"""Register the council's beat jobs so a fresh install closes due proposals and sends reminders without setup."""

from django.db import migrations

from portal.schedules import schedules_operation

SCHEDULES = {
    "governance: close due proposals": ("governance.tasks.proposals_close_due", (5, "minutes")),
    "governance: vote reminders (24 h before the deadline)": ("governance.tasks.vote_reminders_send", (30, "minutes")),
    "governance: bring scheduled standards into force": ("governance.tasks.standards_activate_due", (1, "hours")),
}


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedules_operation(SCHEDULES)]
