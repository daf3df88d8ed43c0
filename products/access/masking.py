"""Which columns a user sees masked, and the masking itself: the one rule behind every place data leaves.

The data-preview page, the preview API, CSV export (and later agent answers) all call ``mask_plan`` and then
``mask_rows``; none decides on its own. A classified column (``SchemaField.classification``) is shown in clear
only when both hold:

1. the user may see it unmasked on this port: a live grant approved with ``unmasked_pii``, or membership of the
   owning team (the producers); and
2. the user holds a valid clearance covering the classification (``gdpr`` for PII and sensitive,
   ``confidential`` for confidential) — checked at read time, so an expired clearance masks again at once.

Masked values are a keyed hash (HMAC-SHA256 under the portal's SECRET_KEY, truncated): equal inputs give equal
tokens, so masked columns still join and count, but nobody without the key can test a guess. Filtering or
ordering on a masked column is refused, since either would let a user probe the hidden values.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.errors import DomainError
from products.access.models import AccessGrant, Clearance
from products.models import Membership, OutputPort, SchemaField

CLEARANCE_FOR = {
    SchemaField.Classification.PII: Clearance.Kind.GDPR,
    SchemaField.Classification.SENSITIVE: Clearance.Kind.GDPR,
    SchemaField.Classification.CONFIDENTIAL: Clearance.Kind.CONFIDENTIAL,
}
MASK_PREFIX = "masked:"


@dataclass(frozen=True)
class MaskPlan:
    columns: list[str]
    masked: frozenset[str] = field(default_factory=frozenset)
    classified: dict = field(default_factory=dict)

    def is_masked(self, column: str) -> bool:
        return column in self.masked


def valid_clearance_kinds(user, *, now=None) -> set[str]:
    return set(Clearance.objects.filter(user=user, expires_at__gt=now or timezone.now()).values_list("kind", flat=True))


def mask_plan(*, user, port: OutputPort, now=None) -> MaskPlan:
    """The declared columns of ``port`` and which of them ``user`` must see masked. Three queries at most."""
    now = now or timezone.now()
    fields = list(port.fields.all())
    classified = {f.name: f.classification for f in fields if f.classification}
    columns = [f.name for f in fields]
    if not classified:
        return MaskPlan(columns=columns)
    in_team = Membership.objects.filter(user=user, team_id=port.product.owner_team_id).exists()
    may_unmask = in_team or (
        AccessGrant.objects.filter(
            user=user, port=port, status=AccessGrant.Status.ACTIVE, expires_at__gt=now, unmasked_pii=True
        ).exists()
    )
    kinds = valid_clearance_kinds(user, now=now) if may_unmask else set()
    masked = frozenset(name for name, level in classified.items() if CLEARANCE_FOR.get(level) not in kinds)
    return MaskPlan(columns=columns, masked=masked, classified=classified)


def mask_value(value) -> str | None:
    if value is None:
        return None
    digest = salted_hmac("mesh-portal.masking", str(value), algorithm="sha256").hexdigest()
    return MASK_PREFIX + digest[:16]


def mask_rows(plan: MaskPlan, rows) -> list[tuple]:
    positions = [index for index, name in enumerate(plan.columns) if name in plan.masked]
    if not positions:
        return [tuple(row) for row in rows]
    masked_rows = []
    for row in rows:
        values = list(row)
        for index in positions:
            values[index] = mask_value(values[index])
        masked_rows.append(tuple(values))
    return masked_rows


def check_query(plan: MaskPlan, *, order_by: str | None, where_column: str | None) -> None:
    """Refuse ordering or filtering on an unknown or a masked column (either would be an oracle)."""
    for name, column in (("ordering", order_by), ("where", where_column)):
        if not column:
            continue
        if column not in plan.columns:
            raise DomainError(f"No column named “{column}” in this port.", field=name, code="does_not_exist")
        if column in plan.masked:
            raise DomainError(f"“{column}” is masked for you; it cannot be used to filter or sort.", field=name)
