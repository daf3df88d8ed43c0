"""Clearances: the data-protection group records who holds which clearance, until when, and takes it back.

A clearance is read at the moment data is read (``products.access.masking``), so recording one unmasks at the
next preview for a grant approved with unmasked access, and revoking one masks again at once."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.errors import DomainError, require
from portal.services import audit_record, notify
from products.access import permissions
from products.access.models import Clearance

CLEARANCE_MAX_VALIDITY = timedelta(days=3 * 365)


@transaction.atomic
def clearance_grant(*, actor, username: str, kind: str, expires_at, note: str = "", now=None) -> Clearance:
    """Record (or renew) ``username``'s clearance of ``kind`` until ``expires_at``. Nobody records their own."""
    now = now or timezone.now()
    require(permissions.can_manage_clearances(actor), "Only the data-protection group records clearances.")
    user = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise DomainError(f"No active user named “{(username or '').strip()}”.", field="user")
    if user.pk == actor.pk:
        raise DomainError("Someone else records your own clearance.", field="user")
    if kind not in Clearance.Kind.values:
        raise DomainError(f"Choose one of: {', '.join(Clearance.Kind.values)}.", field="kind")
    if expires_at is None or expires_at <= now:
        raise DomainError("A clearance expires in the future.", field="expires_at")
    if expires_at > now + CLEARANCE_MAX_VALIDITY:
        raise DomainError("A clearance is valid for three years at most.", field="expires_at")
    clearance = Clearance.objects.select_for_update().filter(user=user, kind=kind).first()
    renewed = clearance is not None
    clearance = clearance or Clearance(user=user, kind=kind)
    clearance.granted_by, clearance.granted_at = actor, now
    clearance.expires_at, clearance.note = expires_at, (note or "").strip()[:300]
    clearance.save()
    audit_record(
        actor=actor,
        action="clearance.renew" if renewed else "clearance.grant",
        target=clearance,
        data={"user": user.pk, "kind": kind, "expires_at": expires_at.isoformat()},
    )
    notify(
        [user.pk],
        kind="clearance.granted",
        title=f"You hold a {clearance.get_kind_display()} clearance until {expires_at:%Y-%m-%d}",
        body="A grant approved with unmasked access now shows the columns it covers; ask to upgrade other grants "
        "from “My access”.",
        url=reverse("products:my-access"),
        dedupe_key=f"clearance:{clearance.pk}:{expires_at:%Y-%m-%d}",
    )
    return clearance


@transaction.atomic
def clearance_revoke(*, actor, clearance: Clearance, reason: str = "") -> None:
    """Take a clearance back now: classified columns mask again at the next read."""
    require(permissions.can_manage_clearances(actor), "Only the data-protection group revokes clearances.")
    clearance = Clearance.objects.select_for_update().get(pk=clearance.pk)
    audit_record(
        actor=actor,
        action="clearance.revoke",
        target=clearance,
        comment=(reason or "").strip()[:300],
        data={"user": clearance.user_id, "kind": clearance.kind},
    )
    notify(
        [clearance.user_id],
        kind="clearance.revoked",
        title=f"Your {clearance.get_kind_display()} clearance was revoked",
        body=(reason or "").strip(),
        url=reverse("products:my-access"),
    )
    clearance.delete()
