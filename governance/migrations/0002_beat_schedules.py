"""Register the council's beat jobs so a fresh install closes due proposals and sends reminders without setup.

Admins edit the schedules in Django admin (Periodic tasks); this migration only creates what is missing.
"""

from django.db import migrations

# name: (task, every, period)
SCHEDULES = {
    "governance: close due proposals": ("governance.tasks.proposals_close_due", 5, "minutes"),
    "governance: vote reminders (24 h before the deadline)": ("governance.tasks.vote_reminders_send", 30, "minutes"),
    "governance: bring scheduled standards into force": ("governance.tasks.standards_activate_due", 1, "hours"),
}


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, every, period) in SCHEDULES.items():
        interval = IntervalSchedule.objects.filter(every=every, period=period).order_by("pk").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval, "enabled": True})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
