"""Beat schedules that ship with the portal. Data migrations register them on a fresh install; admins edit them
afterwards under Periodic tasks, and a migration never overwrites an edited schedule.

A schedule is ``name: (task, when)`` where ``when`` is ``(every, period)`` for an interval (period as in
``IntervalSchedule``: "seconds", "minutes", "hours", "days") or a dict of crontab fields (``minute``, ``hour``…).
"""

from django.db import migrations


def schedules_register(apps, schedules: dict) -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, when) in schedules.items():
        if isinstance(when, dict):
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*", **when}
            crontab = CrontabSchedule.objects.filter(timezone="UTC", **fields).order_by("pk").first()
            timing = {"crontab": crontab or CrontabSchedule.objects.create(timezone="UTC", **fields)}
        else:
            every, period = when
            interval = IntervalSchedule.objects.filter(every=every, period=period).order_by("pk").first()
            timing = {"interval": interval or IntervalSchedule.objects.create(every=every, period=period)}
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "enabled": True, **timing})


def schedules_unregister(apps, schedules: dict) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(schedules)).delete()


def schedules_operation(schedules: dict) -> migrations.RunPython:
    """The migration operation that registers ``schedules`` (and removes them when migrated backwards)."""
    return migrations.RunPython(
        lambda apps, schema_editor: schedules_register(apps, schedules),
        lambda apps, schema_editor: schedules_unregister(apps, schedules),
    )
