"""Register the enforcement beat jobs (hourly run, waiver expiry) so a fresh install enforces standards without
setup. Admins edit the schedules in Django admin (Periodic tasks); this migration only creates what is missing."""

from django.db import migrations

# name: (task, every, period)
SCHEDULES = {
    "governance: enforce standards on every product": ("governance.tasks.enforcement_run_start", 1, "hours"),
    "governance: expire waivers": ("governance.tasks.waivers_expire", 15, "minutes"),
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
        ("governance", "0003_enforcement"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
