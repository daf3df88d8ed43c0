import pytest
from django.core import mail

from portal.models import Notification
from portal.services import notify
from portal.tasks import notification_emails_send
from tests.celery_worker import wait_for
from tests.factories import UserFactory


@pytest.mark.django_db
def test_same_dedupe_key_reaches_a_user_once():
    user = UserFactory()
    assert notify([user], kind="test", title="Hello", dedupe_key="k1") == 1
    assert notify([user], kind="test", title="Hello again", dedupe_key="k1") == 0
    assert Notification.objects.filter(recipient=user).count() == 1


@pytest.mark.django_db
def test_email_is_sent_once_even_when_the_job_runs_twice(django_capture_on_commit_callbacks):
    user = UserFactory(email="u@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notify([user], kind="test", title="Vote open")
    notification_emails_send([user.pk])
    notification_emails_send([user.pk])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["u@example.com"]


@pytest.mark.django_db
def test_nothing_is_published_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    user = UserFactory(email="u@example.com")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([user], kind="test", title="Hello")
    assert len(callbacks) == 1  # one publish, scheduled for commit; a rollback discards it


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_notification_email_job_runs_on_a_real_worker(celery_worker_redis):
    user = UserFactory(email="real@example.com")
    notify([user], kind="test", title="Outcome", email=False)
    Notification.objects.update(email_wanted=True)
    notification_emails_send.delay([user.pk])
    wait_for(lambda: Notification.objects.filter(recipient=user, emailed_at__isnull=False).exists())
    assert [message.to for message in mail.outbox] == [["real@example.com"]]
