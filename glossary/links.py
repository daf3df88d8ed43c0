"""Term links: an approved term attached to a schema field or to a whole product by the owning team, and the
links a schema change is about to drop kept as former links (their stewards told). Each write locks the product,
checks the permission it needs and writes an audit row."""

from django.db import transaction
from django.utils import timezone

from glossary import permissions
from glossary.models import FormerTermLink, Term, TermLink
from glossary.services import stewards_for
from portal.errors import DomainError, require
from portal.services import audit_record, notify
from products.models import DataProduct, SchemaField

Status = Term.Status


@transaction.atomic
def link_field(*, actor, term: Term, field: SchemaField) -> TermLink:
    """Attach an approved term to a schema field (replacing the field's previous term, if any)."""
    product = DataProduct.objects.select_for_update().get(pk=field.port.product_id)
    if term.status != Status.APPROVED:
        raise DomainError("Only approved terms are linked to fields.", field="term")
    require(permissions.can_link_term(actor, term, product), "Only the owning team links its fields to terms.")
    link = TermLink.objects.select_for_update().filter(field=field).first()
    previous = link.term_id if link else None
    if link and link.term_id == term.pk:
        return link
    if link:
        link.term, link.created_by, link.created_at = term, actor, timezone.now()
        link.save()
    else:
        link = TermLink.objects.create(term=term, field=field, created_by=actor)
    audit_record(
        actor=actor,
        action="term.link",
        target=product,
        data={"term": term.pk, "field": field.name, "previous_term": previous},
    )
    return link


@transaction.atomic
def link_product(*, actor, term: Term, product: DataProduct) -> TermLink:
    product = DataProduct.objects.select_for_update().get(pk=product.pk)
    if term.status != Status.APPROVED:
        raise DomainError("Only approved terms are linked to products.", field="term")
    require(permissions.can_link_term(actor, term, product), "Only the owning team links its product to terms.")
    link, created = TermLink.objects.get_or_create(term=term, product=product, defaults={"created_by": actor})
    if created:
        audit_record(actor=actor, action="term.link", target=product, data={"term": term.pk})
    return link


@transaction.atomic
def link_remove(*, actor, link: TermLink) -> None:
    product = link.product if link.product_id else link.field.port.product
    require(permissions.can_unlink(actor, product), "Only the owning team removes its links.")
    audit_record(
        actor=actor,
        action="term.unlink",
        target=product,
        data={"term": link.term_id, "field": link.field.name if link.field_id else None},
    )
    link.delete()


def term_links_keep_for_removed_columns(*, port, columns: set, version: str, actor) -> list:
    """A schema change is about to remove ``columns`` of ``port``: keep each one's term link as a former link
    (with the version that last had the column) and tell the term's stewards, once per link."""
    links = list(
        TermLink.objects.filter(field__port=port, field__name__in=columns).select_related("term__domain", "field")
    )
    kept = []
    for link in links:
        kept.append(
            FormerTermLink.objects.create(
                term=link.term, port=port, column=link.field.name, last_version=version or "", removed_by=actor
            )
        )
        if port.product.status == DataProduct.Status.DRAFT:
            continue  # a draft is its team's business: nobody outside it hears of its columns
        notify(
            stewards_for(link.term),
            kind="glossary.link_removed",
            title=f"“{link.term.name}” lost its column {port.name}.{link.field.name} ({port.product.name})"[:200],
            body=f"A schema change removed the column after v{version}. The term page keeps it as a former link.",
            url=link.term.get_absolute_url(),
            dedupe_key=f"glossary:former:{kept[-1].pk}",
            email=False,
        )
    return kept
