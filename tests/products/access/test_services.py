"""The access lifecycle through its services: who may decide, two approvals for restricted data, grants with
expiry, renewal, revocation, and the jobs (reminders, expiry) run twice with a controlled clock."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.errors import DomainError, TransitionNotAllowed
from portal.models import AuditEvent, Notification
from products.access import services as access_services
from products.access.models import AccessGrant, AccessRequest
from tests import factories
from tests.products.access.support import clear, grant_for

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0)


def _request(user, port, **kwargs):
    defaults = {"purpose": "Churn analysis", "duration_days": 90, "now": T0}
    return access_services.access_request_create(actor=user, port=port, **{**defaults, **kwargs})


def test_owner_approval_creates_one_grant_with_expiry_and_audit(analyst, owner, internal_port):
    access_request = _request(analyst, internal_port, duration_days=30)
    assert Notification.objects.filter(recipient=owner, kind="access.request").exists()
    access_services.access_request_approve(actor=owner, access_request=access_request, note="ok", now=T0)
    grant = AccessGrant.objects.get(request=access_request)
    assert grant.user == analyst and grant.expires_at == T0 + timedelta(days=30)
    assert grant.unmasked_pii is False
    assert AccessRequest.objects.get(pk=access_request.pk).status == "approved"
    assert AuditEvent.objects.filter(action="access_request.approve", actor=owner).exists()
    assert Notification.objects.filter(recipient=analyst, kind="access.approved").exists()
    with pytest.raises(TransitionNotAllowed):
        access_services.access_request_approve(actor=owner, access_request=access_request, now=T0)
    assert AccessGrant.objects.count() == 1


def test_requester_can_never_approve_their_own_request_even_as_team_approver(approver, owner, internal_port):
    access_request = _request(approver, internal_port)
    with pytest.raises(PermissionDenied):
        access_services.access_request_approve(actor=approver, access_request=access_request, now=T0)
    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    own = _request(admin, factories.OutputPortFactory(product=internal_port.product, name="other"))
    with pytest.raises(PermissionDenied):
        access_services.access_request_approve(actor=admin, access_request=own, now=T0)
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("persona", ["member", "other_owner", "analyst", "staff"])
def test_people_without_an_approver_role_cannot_decide(persona, request, analyst, internal_port):
    user = request.getfixturevalue(persona)
    requester = analyst if persona != "analyst" else factories.UserFactory(username="bea")
    access_request = _request(requester, internal_port)
    for decide in (access_services.access_request_approve, access_services.access_request_reject):
        with pytest.raises(PermissionDenied):
            decide(actor=user, access_request=access_request, note="no", now=T0)
    assert AccessRequest.objects.get(pk=access_request.pk).status == "pending"


def test_restricted_product_needs_two_distinct_approvers(analyst, owner, approver, customers_port):
    access_request = _request(analyst, customers_port)
    assert access_request.approvals_required == 2
    access_services.access_request_approve(actor=owner, access_request=access_request, now=T0)
    assert AccessRequest.objects.get(pk=access_request.pk).status == "pending"
    assert not AccessGrant.objects.exists()
    with pytest.raises(DomainError):
        access_services.access_request_approve(actor=owner, access_request=access_request, now=T0)
    access_services.access_request_approve(actor=approver, access_request=access_request, now=T0)
    assert AccessRequest.objects.get(pk=access_request.pk).status == "approved"
    assert AccessGrant.objects.filter(request=access_request).count() == 1


def test_restricted_products_cap_the_duration(analyst, customers_port):
    with pytest.raises(DomainError) as error:
        _request(analyst, customers_port, duration_days=365)
    assert error.value.field == "duration_days"


def test_request_needs_a_purpose_a_published_product_and_no_duplicate(analyst, internal_port, draft):
    with pytest.raises(DomainError):
        _request(analyst, internal_port, purpose="  ")
    draft_port = factories.OutputPortFactory(product=draft, name="scores")
    with pytest.raises(PermissionDenied):
        _request(analyst, draft_port)
    _request(analyst, internal_port)
    with pytest.raises(DomainError):
        _request(analyst, internal_port)


def test_unmasked_pii_only_with_a_valid_clearance_at_approval(analyst, owner, internal_port):
    uncleared = grant_for(analyst, internal_port, approvers=[owner], pii=True, now=T0)
    assert uncleared.unmasked_pii is False
    cleared_user = factories.UserFactory(username="cleo")
    clear(cleared_user)
    cleared = grant_for(cleared_user, internal_port, approvers=[owner], pii=True, now=T0)
    assert cleared.unmasked_pii is True
    expired_user = factories.UserFactory(username="exp")
    clear(expired_user, days=-1)
    assert grant_for(expired_user, internal_port, approvers=[owner], pii=True, now=T0).unmasked_pii is False


def test_reject_needs_a_note_and_withdraw_only_by_requester(analyst, owner, member, internal_port):
    access_request = _request(analyst, internal_port)
    with pytest.raises(DomainError):
        access_services.access_request_reject(actor=owner, access_request=access_request, note="", now=T0)
    with pytest.raises(PermissionDenied):
        access_services.access_request_withdraw(actor=member, access_request=access_request, now=T0)
    access_services.access_request_withdraw(actor=analyst, access_request=access_request, now=T0)
    with pytest.raises(TransitionNotAllowed):
        access_services.access_request_reject(actor=owner, access_request=access_request, note="late", now=T0)


def test_renewal_extends_the_same_grant(analyst, owner, internal_port):
    grant = grant_for(analyst, internal_port, approvers=[owner], now=T0, days=30)
    with pytest.raises(DomainError):
        _request(analyst, internal_port)  # already has access: renew instead
    later = T0 + timedelta(days=25)
    renewal = _request(analyst, internal_port, renewal_of=grant, duration_days=90, now=later)
    access_services.access_request_approve(actor=owner, access_request=renewal, now=later)
    grant.refresh_from_db()
    assert grant.expires_at == T0 + timedelta(days=30 + 90)
    assert AccessGrant.objects.filter(user=analyst).count() == 1
    other = factories.UserFactory(username="bea")
    with pytest.raises(DomainError):
        _request(other, internal_port, renewal_of=grant)


def test_owner_revokes_and_outsider_cannot(
    analyst, owner, other_owner, internal_port, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grant = grant_for(analyst, internal_port, approvers=[owner], now=T0)
    assert AccessGrant.objects.get(pk=grant.pk).provisioning_state == "provisioned"
    with pytest.raises(PermissionDenied):
        access_services.grant_revoke(actor=other_owner, grant=grant)
    with pytest.raises(PermissionDenied):
        access_services.grant_revoke(actor=analyst, grant=grant)
    with django_capture_on_commit_callbacks(execute=True):
        access_services.grant_revoke(actor=owner, grant=grant, reason="Project ended")
    grant.refresh_from_db()
    assert grant.status == "revoked" and grant.provisioning_state == "deprovisioned"
    with pytest.raises(TransitionNotAllowed):
        access_services.grant_revoke(actor=owner, grant=grant)
    assert AuditEvent.objects.filter(action="grant.revoke", actor=owner).count() == 1


def test_expiry_job_is_idempotent_with_a_controlled_clock(
    analyst, owner, internal_port, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grant = grant_for(analyst, internal_port, approvers=[owner], now=T0, days=30)
    notice_time = T0 + timedelta(days=24)
    assert access_services.grants_expire(now=notice_time) == {"expired": 0, "noticed": 1}
    assert access_services.grants_expire(now=notice_time) == {"expired": 0, "noticed": 0}
    assert access_services.grants_expire(now=notice_time + timedelta(days=1)) == {"expired": 0, "noticed": 0}
    after = T0 + timedelta(days=30, seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert access_services.grants_expire(now=after) == {"expired": 1, "noticed": 0}
    snapshot = (AuditEvent.objects.count(), Notification.objects.count())
    assert access_services.grants_expire(now=after) == {"expired": 0, "noticed": 0}
    assert (AuditEvent.objects.count(), Notification.objects.count()) == snapshot
    grant.refresh_from_db()
    assert grant.status == "expired" and grant.provisioning_state == "deprovisioned"
    assert Notification.objects.filter(recipient=analyst, kind="access.expiring").count() == 1
    assert Notification.objects.filter(recipient=analyst, kind="access.expired").count() == 1


def test_pending_requests_are_reminded_once_then_expire(analyst, owner, approver, internal_port):
    access_request = _request(analyst, internal_port)
    assert access_services.access_requests_remind_and_expire(now=T0 + timedelta(days=1)) == {
        "expired": 0,
        "reminded": 0,
    }
    assert access_services.access_requests_remind_and_expire(now=T0 + timedelta(days=4)) == {
        "expired": 0,
        "reminded": 2,
    }
    assert access_services.access_requests_remind_and_expire(now=T0 + timedelta(days=5)) == {
        "expired": 0,
        "reminded": 0,
    }
    assert access_services.access_requests_remind_and_expire(now=T0 + timedelta(days=15)) == {
        "expired": 1,
        "reminded": 0,
    }
    assert access_services.access_requests_remind_and_expire(now=T0 + timedelta(days=16)) == {
        "expired": 0,
        "reminded": 0,
    }
    assert AccessRequest.objects.get(pk=access_request.pk).status == "expired"
    assert Notification.objects.filter(kind="access.reminder").count() == 2


@pytest.mark.django_db
def test_a_failing_grant_is_retried_with_backoff_and_audited_once_per_streak(
    analyst, owner, internal_port, monkeypatch
):
    from products.access.provisioning import ProvisioningError

    access = access_services

    def broken(port):
        raise ProvisioningError("the warehouse refused: permission denied")

    monkeypatch.setattr(access, "provisioners_for", broken)
    grant = grant_for(analyst, internal_port, approvers=[owner])
    t0 = timezone.now()
    assert access.grant_provisioning_sync(grant.pk, now=t0) == "failed"
    assert not access.grants_needing_sync(now=t0 + timedelta(seconds=59)).filter(pk=grant.pk).exists()
    assert access.grants_needing_sync(now=t0 + timedelta(minutes=1)).filter(pk=grant.pk).exists()
    access.grant_provisioning_sync(grant.pk, now=t0 + timedelta(minutes=1))
    grant.refresh_from_db()
    assert grant.provisioning_attempts == 2
    assert grant.provisioning_retry_at == t0 + timedelta(minutes=3)  # 1 minute, then 2
    assert AuditEvent.objects.filter(action="grant.provisioning_failed", target_id=str(grant.pk)).count() == 1

    monkeypatch.undo()
    assert access.grant_provisioning_sync(grant.pk, now=t0 + timedelta(minutes=3)) == "provisioned"
    grant.refresh_from_db()
    assert (grant.provisioning_attempts, grant.provisioning_retry_at) == (0, None)
