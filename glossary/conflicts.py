"""Glossary conflicts, found by the hourly job: one name defined in two domains with no "differs from" relation
saying how, a field or product linked to a deprecated term, a field named like one approved term but linked to
another. One finding per key; stewards hear of a new one once."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from glossary.models import ConflictFinding, Steward, Term, TermAlias, TermLink, TermRelation, name_key
from portal.services import notify
from products.models import SchemaField
from products.permissions import can_view_product

Status = Term.Status


def _field_label(field: SchemaField) -> str:
    product = field.port.product
    return f"{product.domain.slug}/{product.slug} · {field.port.name}.{field.name}"


def _current_findings() -> dict:
    """What holds right now: ``{key: (kind, description, term ids, field id, product id, domain ids)}``."""
    found: dict = {}
    live = Term.objects.filter(status__in=[Status.APPROVED, Status.DEPRECATED]).select_related("domain")
    by_key: dict = {}
    for term in live:
        by_key.setdefault(term.name_key, []).append(term)
    differs = {
        frozenset((source, target))
        for source, target in TermRelation.objects.filter(kind=TermRelation.Kind.DIFFERS_FROM).values_list(
            "source_id", "target_id"
        )
    }
    for terms in by_key.values():
        terms.sort(key=lambda t: t.pk)
        for i, first in enumerate(terms):
            for second in terms[i + 1 :]:
                if first.domain_id == second.domain_id or frozenset((first.pk, second.pk)) in differs:
                    continue
                found[f"same_name:{first.pk}:{second.pk}"] = (
                    ConflictFinding.Kind.SAME_NAME,
                    f"“{first.name}” is defined in {first.scope_label} and in {second.scope_label} with no "
                    "“differs from” relation saying how they differ.",
                    [first.pk, second.pk],
                    None,
                    None,
                    {first.domain_id, second.domain_id},
                )

    links = TermLink.objects.select_related(
        "term", "term__domain", "field__port__product__domain", "product__domain"
    ).filter(Q(term__status=Status.DEPRECATED) | Q(field__isnull=False))
    keys_to_terms: dict = {}
    for term in Term.objects.filter(status=Status.APPROVED).only("pk", "name", "name_key", "domain_id"):
        keys_to_terms.setdefault(term.name_key, set()).add(term)
    for alias in TermAlias.objects.filter(term__status=Status.APPROVED).select_related("term"):
        keys_to_terms.setdefault(alias.name_key, set()).add(alias.term)
    for link in links:
        product_id = link.field.port.product_id if link.field_id else link.product_id
        target = (
            _field_label(link.field) if link.field_id else f"product {link.product.domain.slug}/{link.product.slug}"
        )
        if link.term.status == Status.DEPRECATED:
            replacement = f" Use {link.term.replaced_by.name} instead." if link.term.replaced_by_id else ""
            found[f"deprecated_link:{link.pk}"] = (
                ConflictFinding.Kind.DEPRECATED_LINK,
                f"{target} is linked to the deprecated term “{link.term.name}”.{replacement}",
                [link.term_id],
                link.field_id,
                product_id,
                {link.term.domain_id},
            )
        if not link.field_id:
            continue
        named = keys_to_terms.get(name_key(link.field.name), set())
        own_keys = {link.term.name_key}
        if named and not any(term.pk == link.term_id for term in named) and name_key(link.field.name) not in own_keys:
            for other in sorted(named, key=lambda t: t.pk):
                found[f"name_mismatch:{link.field_id}:{link.term_id}:{other.pk}"] = (
                    ConflictFinding.Kind.NAME_MISMATCH,
                    f"{target} is named like “{other.name}” but linked to “{link.term.name}”.",
                    [link.term_id, other.pk],
                    link.field_id,
                    product_id,
                    {link.term.domain_id, other.domain_id},
                )
    return found


def conflicts_detect() -> dict:
    """Find glossary conflicts and keep one finding per key: new ones are created and their stewards notified
    once; ones that still hold are touched; ones that no longer hold are resolved. Running it twice changes
    nothing the second time but ``last_seen``."""
    now = timezone.now()
    current = _current_findings()
    created = reopened = resolved = 0
    with transaction.atomic():
        existing = {finding.key: finding for finding in ConflictFinding.objects.select_for_update()}
        for key, finding in existing.items():
            if key not in current and finding.resolved_at is None:
                finding.resolved_at = now
                finding.save(update_fields=["resolved_at"])
                resolved += 1
        fresh = []
        for key, (kind, description, term_ids, field_id, product_id, domain_ids) in current.items():
            finding = existing.get(key)
            if finding is None:
                try:
                    with transaction.atomic():
                        finding = ConflictFinding.objects.create(
                            kind=kind,
                            key=key,
                            description=description,
                            field_id=field_id,
                            product_id=product_id,
                            first_seen=now,
                            last_seen=now,
                        )
                except IntegrityError:  # another run created it a moment ago
                    continue
                finding.terms.set(term_ids)
                created += 1
                fresh.append((finding, domain_ids))
            else:
                if finding.resolved_at is not None:
                    reopened += 1
                finding.last_seen, finding.resolved_at, finding.description = now, None, description
                finding.product_id = product_id
                finding.save(update_fields=["last_seen", "resolved_at", "description", "product"])
                fresh.append((finding, domain_ids))
        for finding, domain_ids in fresh:
            _finding_notify(finding, domain_ids)
    return {"open": len(current), "created": created, "reopened": reopened, "resolved": resolved}


def _finding_notify(finding: ConflictFinding, domain_ids: set) -> None:
    """Tell the stewards of the finding's domains (and the portal-wide ones), except those who may not see the
    product it names: a draft's field is nobody's business outside its team."""
    domains = {pk for pk in domain_ids if pk}
    stewards = Steward.objects.filter(Q(domain__isnull=True) | Q(domain_id__in=domains)).values("user_id")
    recipients = get_user_model().objects.filter(is_active=True, pk__in=stewards)
    if finding.product_id is not None:
        recipients = [user for user in recipients if can_view_product(user, finding.product)]
    notify(
        recipients,
        kind="glossary.conflict",
        title=f"Glossary conflict: {finding.get_kind_display().lower()}",
        body=finding.description,
        url=reverse("glossary:conflict-list"),
        dedupe_key=f"glossary:finding:{finding.key}",
        email=False,
    )
