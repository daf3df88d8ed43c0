"""Steward appointments: a domain's team owners (or admins) appoint and remove the domain's glossary stewards;
admins appoint enterprise-wide stewards. Each change is one transaction with an audit row."""

from django.db import IntegrityError, transaction

from glossary import permissions
from glossary.models import Steward
from portal.errors import DomainError, require
from portal.services import audit_record, notify

NOT_YOURS = "Only owners of a team in this domain, or admins, appoint its stewards."


def _audit(actor, steward: Steward, action: str) -> None:
    audit_record(
        actor=actor,
        action=f"glossary.steward_{action}",
        target=steward,
        data={"steward": steward.user.username, "domain": steward.domain.slug if steward.domain else ""},
    )


@transaction.atomic
def steward_appoint(*, actor, user, domain=None) -> Steward:
    require(permissions.can_appoint_stewards(actor, domain), NOT_YOURS)
    if not user.is_active:
        raise DomainError(f"{user.username} is deactivated.", field="username")
    if Steward.objects.filter(user=user, domain=domain).exists():
        raise DomainError(f"{user.username} already stewards {domain or 'every domain'}.", field="username")
    try:
        with transaction.atomic():
            steward = Steward.objects.create(user=user, domain=domain)
    except IntegrityError as exc:
        raise DomainError(f"{user.username} already stewards {domain or 'every domain'}.", field="username") from exc
    _audit(actor, steward, "appoint")
    transaction.on_commit(
        lambda: notify(
            [user.pk],
            kind="glossary.steward",
            title=f"You are a glossary steward for {domain or 'every domain'}",
            url="/glossary/review/",
        )
    )
    return steward


@transaction.atomic
def steward_remove(*, actor, steward: Steward) -> None:
    steward = Steward.objects.select_for_update(of=("self",)).select_related("user", "domain").get(pk=steward.pk)
    require(permissions.can_appoint_stewards(actor, steward.domain), NOT_YOURS)
    _audit(actor, steward, "remove")
    steward.delete()
