"""Register the quality sweep so a fresh install resumes lost check runs and watches SLAs without setup.

Each product's own check schedule is a PeriodicTask created by ``products.services.quality_schedule_sync`` when
its first check is saved; admins edit both in Django admin (Periodic tasks). This migration only adds what is
missing.
"""

from django.db import migrations

# name: (task, every, period)
SCHEDULES = {
    "Quality: resume lost check runs, evaluate SLAs": ("products.tasks.quality_sweep_task", 10, "minutes"),
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
        ("products", "0004_quality"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
