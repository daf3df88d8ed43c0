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


@pytest.mark.django_db
def test_a_multi_line_title_makes_a_single_line_subject():
    user = UserFactory(email="u@example.com")
    error = 'relation "sales" does not exist\nLINE 1: SELECT count(*) FROM sales\n\t^'
    notify([user], kind="test", title=f"Check failed: {error}", email=False)
    # A row written around notify() (a bulk insert) keeps its line breaks; the subject is one line all the same.
    Notification.objects.create(recipient=user, kind="test", title=f"Raw: {error}")
    Notification.objects.update(email_wanted=True)
    assert "\n" not in Notification.objects.order_by("pk").first().title
    assert notification_emails_send() == 2
    assert all("\n" not in message.subject and "\t" not in message.subject for message in mail.outbox)
    assert mail.outbox[0].subject.startswith("[Mesh Portal] Check failed: relation")


@pytest.mark.django_db
def test_a_failed_e_mail_is_released_and_the_rest_of_the_batch_goes(monkeypatch):
    from django.core import mail as mail_module

    users = [UserFactory(email=f"u{n}@example.com") for n in range(3)]
    for user in users:
        notify([user], kind="test", title="Outcome", email=False)
    Notification.objects.update(email_wanted=True)
    real_send = mail_module.send_mail

    def refuse_one(*, recipient_list, **kwargs):
        if recipient_list == ["u1@example.com"]:
            raise ValueError("the address was refused")
        return real_send(recipient_list=recipient_list, **kwargs)

    monkeypatch.setattr("portal.tasks.send_mail", refuse_one)
    assert notification_emails_send() == 2
    refused = Notification.objects.get(recipient=users[1])
    assert refused.emailed_at is None and refused.email_attempts == 1 and "refused" in refused.email_error
    monkeypatch.setattr("portal.tasks.send_mail", real_send)
    assert notification_emails_send() == 1  # the next sweep sends it
    assert sorted(message.to[0] for message in mail.outbox) == ["u0@example.com", "u1@example.com", "u2@example.com"]


@pytest.mark.django_db
def test_a_mail_server_that_is_down_sends_nothing_and_marks_nothing_sent(monkeypatch):
    user = UserFactory(email="u@example.com")
    notify([user], kind="test", title="Outcome", email=False)
    Notification.objects.update(email_wanted=True)

    def down(**kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("portal.tasks.send_mail", down)
    with pytest.raises(ConnectionRefusedError):
        notification_emails_send.run()
    note = Notification.objects.get(recipient=user)
    assert note.emailed_at is None and note.email_attempts == 0  # released; the outage is not the e-mail's fault
