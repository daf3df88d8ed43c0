"""Every read the glossary pages and API need, always given the user so visibility is decided in one place."""

from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Lower, Replace

from glossary import permissions
from glossary.models import (
    ConflictFinding,
    FormerTermLink,
    Term,
    TermAlias,
    TermLink,
    TermRelation,
    TermRevision,
    name_key,
)
from glossary.search import search_filter
from products.models import DataProduct, SchemaField


def term_list(*, user, filters: dict | None = None):
    """Terms ``user`` may see, A–Z, with what a list row shows; ``filters`` are ``TermFilter`` params."""
    from glossary.filters import TermFilter

    queryset = (
        Term.objects.visible_to(user)
        .select_related("domain", "author")
        .prefetch_related(Prefetch("aliases", queryset=TermAlias.objects.order_by("kind", "name")))
        .order_by("name", "pk")
    )
    if filters:
        filterset = TermFilter(filters, queryset=queryset)
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
    return queryset


def term_search(*, user, text: str, limit: int = 10) -> list[Term]:
    """Terms matching ``text`` in name, synonyms, abbreviations or definition, best first (for global search)."""
    text = (text or "").strip()
    if not text:
        return []
    queryset = Term.objects.visible_to(user).select_related("domain")
    return list(search_filter(queryset, text)[: max(1, min(limit, 100))])


def term_get(*, user, pk: int) -> Term:
    """The visible term, or ``Term.DoesNotExist`` (pages turn it into a 404)."""
    return (
        Term.objects.visible_to(user)
        .select_related("domain", "author", "approved_by", "replaced_by")
        .prefetch_related(Prefetch("aliases", queryset=TermAlias.objects.order_by("kind", "name")))
        .get(pk=pk)
    )


def term_pending_revision(*, term: Term) -> TermRevision | None:
    return term.revisions.filter(status=TermRevision.Status.PENDING).select_related("author").first()


@dataclass
class RelationRow:
    relation: TermRelation
    other: Term
    label: str
    outgoing: bool


def term_relations(*, user, term: Term) -> list[RelationRow]:
    """Relations of ``term`` read from its end, both directions, to terms the user may see."""
    visible = Term.objects.visible_to(user)
    relations = (
        TermRelation.objects.filter(Q(source=term) | Q(target=term))
        .filter(source__in=visible, target__in=visible)
        .select_related("source", "source__domain", "target", "target__domain")
        .order_by("kind", "pk")
    )
    rows = []
    for relation in relations:
        outgoing = relation.source_id == term.pk
        rows.append(
            RelationRow(
                relation=relation,
                other=relation.target if outgoing else relation.source,
                label=relation.get_kind_display() if outgoing else relation.inverse_label,
                outgoing=outgoing,
            )
        )
    return rows


@dataclass
class TermUsage:
    field_links: list = field(default_factory=list)
    product_links: list = field(default_factory=list)
    former_links: list = field(default_factory=list)

    @property
    def products(self) -> list:
        seen, result = set(), []
        for link in self.field_links:
            product = link.field.port.product
            if product.pk not in seen:
                seen.add(product.pk)
                result.append(product)
        for link in self.product_links:
            if link.product_id not in seen:
                seen.add(link.product_id)
                result.append(link.product)
        return result


def term_usage(*, user, term: Term, limit: int = 200) -> TermUsage:
    """Where the term is used, in products the user may see."""
    visible = DataProduct.objects.visible_to(user)
    links = (
        TermLink.objects.filter(term=term)
        .filter(Q(field__port__product__in=visible) | Q(product__in=visible))
        .select_related("field__port__product__domain", "product__domain")
        .order_by("pk")[:limit]
    )
    usage = TermUsage()
    for link in links:
        (usage.field_links if link.field_id else usage.product_links).append(link)
    usage.former_links = list(
        FormerTermLink.objects.filter(term=term, port__product__in=visible)
        .select_related("port__product__domain")
        .order_by("-removed_at", "-pk")[:limit]
    )
    return usage


def term_product_ids(*, user, text: str):
    """Ids of the visible products linked (on a column or as a whole) to a term ``user`` may see whose name,
    synonym or abbreviation is ``text``: a subquery for filtering a product list by glossary term."""
    key = name_key(text or "")
    terms = Term.objects.visible_to(user).filter(Q(name_key=key) | Q(aliases__name_key=key)).values("pk")
    visible = DataProduct.objects.visible_to(user)
    via_fields = TermLink.objects.filter(term__in=terms, field__isnull=False, field__port__product__in=visible)
    via_products = TermLink.objects.filter(term__in=terms, product__isnull=False, product__in=visible)
    return DataProduct.objects.filter(
        Q(pk__in=via_fields.values("field__port__product_id")) | Q(pk__in=via_products.values("product_id"))
    ).values("pk")


def term_keys(term: Term) -> set[str]:
    """The matching keys of a term: its name and its synonyms and abbreviations (aliases prefetched)."""
    return {term.name_key, *(alias.name_key for alias in term.aliases.all())}


def _field_key_expression():
    expression = Lower(F("name"))
    for char in ("_", "-", " ", "."):
        expression = Replace(expression, Value(char), Value(""))
    return expression


def field_suggestions(*, user, term: Term, limit: int = 50) -> list[SchemaField]:
    """Unlinked fields, in products the user may edit, whose name matches the term or one of its aliases."""
    from products.permissions import product_editable_q

    if term.status != Term.Status.APPROVED:
        return []
    keys = term_keys(term)
    return list(
        SchemaField.objects.annotate(key=_field_key_expression())
        .filter(key__in=keys)
        .filter(port__product__in=DataProduct.objects.filter(product_editable_q(user)))
        .exclude(Exists(TermLink.objects.filter(field=OuterRef("pk"))))
        .select_related("port__product__domain")
        .order_by("port__product__name", "port__name", "name")[:limit]
    )


@dataclass
class FieldRow:
    field: SchemaField
    link: TermLink | None
    suggestions: list


@dataclass
class ProductTerms:
    """What the product page shows about the glossary: linked terms, each field's term, and suggestions."""

    product: DataProduct
    product_links: list
    ports: list  # (port, [FieldRow])
    can_link: bool

    @property
    def suggestion_count(self) -> int:
        return sum(1 for _port, rows in self.ports for row in rows if row.suggestions and not row.link)

    @property
    def linked_count(self) -> int:
        return sum(1 for _port, rows in self.ports for row in rows if row.link)


def product_terms(*, user, product: DataProduct) -> ProductTerms:
    """Glossary context for a product the caller may see: for ``{% include "glossary/_product_terms.html" %}``
    and the linking page. Suggestions are approved terms whose name or alias matches an unlinked field's name."""
    from products.permissions import can_edit_product
    from products.selectors import product_ports

    ports = product_ports(product=product)
    fields = [f for port in ports for f in port.fields.all()]
    field_ids = {f.pk for f in fields}
    all_links = list(
        TermLink.objects.filter(Q(field__in=field_ids) | Q(product=product))
        .select_related("term", "term__domain")
        .order_by("term__name", "pk")
    )
    links = {link.field_id: link for link in all_links if link.field_id in field_ids}
    keys = {name_key(f.name) for f in fields}
    by_key: dict = {}
    for term in Term.objects.filter(status=Term.Status.APPROVED, name_key__in=keys).select_related("domain"):
        by_key.setdefault(term.name_key, {})[term.pk] = term
    for alias in TermAlias.objects.filter(name_key__in=keys, term__status=Term.Status.APPROVED).select_related(
        "term", "term__domain"
    ):
        by_key.setdefault(alias.name_key, {})[alias.term_id] = alias.term
    port_rows = []
    for port in ports:
        rows = []
        for f in port.fields.all():
            suggestions = sorted(by_key.get(name_key(f.name), {}).values(), key=lambda t: (t.name, t.pk))
            # Prefer a term of the product's own domain, then enterprise-wide ones, then the rest.
            suggestions.sort(key=lambda t: 0 if t.domain_id == product.domain_id else 1 if t.domain_id is None else 2)
            rows.append(FieldRow(field=f, link=links.get(f.pk), suggestions=suggestions))
        port_rows.append((port, rows))
    product_links = [link for link in all_links if link.product_id == product.pk]
    return ProductTerms(
        product=product, product_links=product_links, ports=port_rows, can_link=can_edit_product(user, product)
    )


def linkable_terms(*, user):
    """Approved terms, for the link pickers."""
    return Term.objects.filter(status=Term.Status.APPROVED).select_related("domain").order_by("name", "pk")


@dataclass
class ReviewQueue:
    terms: list
    revisions: list


def review_queue(*, user, limit: int = 100) -> ReviewQueue:
    """Terms in review and pending revisions that ``user`` may decide (never their own)."""
    if not permissions.is_signed_in(user):
        return ReviewQueue([], [])
    if user.is_superuser:
        scope = Q()
    else:
        domains = permissions.steward_domain_ids(user)
        if not domains:
            return ReviewQueue([], [])
        scope = Q() if None in domains else Q(domain_id__in=domains) | Q(domain__isnull=True)
    terms = list(
        Term.objects.filter(scope, status=Term.Status.IN_REVIEW)
        .exclude(author=user)
        .select_related("domain", "author")
        .order_by("updated_at", "pk")[:limit]
    )
    term_scope = Q(term__in=Term.objects.filter(scope))
    revisions = list(
        TermRevision.objects.filter(term_scope, status=TermRevision.Status.PENDING)
        .exclude(author=user)
        .select_related("term", "term__domain", "author")
        .order_by("created_at", "pk")[:limit]
    )
    return ReviewQueue(terms=terms, revisions=revisions)


def my_terms_in_progress(*, user, limit: int = 50) -> list[Term]:
    if not permissions.is_signed_in(user):
        return []
    return list(
        Term.objects.filter(author=user, status__in=[Term.Status.DRAFT, Term.Status.IN_REVIEW])
        .select_related("domain")
        .order_by("-updated_at", "-pk")[:limit]
    )


def conflict_list(*, user, include_resolved: bool = False):
    if not permissions.can_view_conflicts(user):
        return ConflictFinding.objects.none()
    queryset = (
        ConflictFinding.objects.filter(Q(product__isnull=True) | Q(product__in=DataProduct.objects.visible_to(user)))
        .prefetch_related(Prefetch("terms", queryset=Term.objects.select_related("domain").order_by("name", "pk")))
        .order_by("-first_seen", "-pk")
    )
    if not include_resolved:
        queryset = queryset.filter(resolved_at__isnull=True)
    return queryset


def relation_list(*, user):
    visible = Term.objects.visible_to(user)
    return (
        TermRelation.objects.filter(source__in=visible, target__in=visible)
        .select_related("source", "target")
        .order_by("pk")
    )


def link_list(*, user):
    visible = DataProduct.objects.visible_to(user)
    return (
        TermLink.objects.filter(Q(field__port__product__in=visible) | Q(product__in=visible))
        .select_related("term", "field__port__product", "product")
        .order_by("pk")
    )


# --- contracts: a column's approved term as its authoritative definition ------------------------------------------

GLOSSARY_DEFINITION_TYPE = "businessDefinition"


def _term_url_prefix() -> str:
    from products.contracts.export import absolute_url

    return absolute_url("/glossary/terms/")


def contract_term_definitions(field_ids: list[int]) -> dict[int, list[dict]]:
    """For ODCS exports: each column's approved glossary term as an authoritative definition. One query."""
    from products.contracts.export import absolute_url

    links = (
        TermLink.objects.filter(field_id__in=field_ids, term__status=Term.Status.APPROVED)
        .select_related("term")
        .order_by("pk")
    )
    return {
        link.field_id: [
            {
                "type": GLOSSARY_DEFINITION_TYPE,
                "url": absolute_url(link.term.get_absolute_url()),
                "description": f"{link.term.name} in the business glossary.",
            }
        ]
        for link in links
    }


def contract_term_definition_owned(item: dict) -> bool:
    """A definition the glossary writes itself (a link to one of its terms): not kept when a contract is applied,
    written afresh from the links on export."""
    return str(item.get("url", "")).startswith(_term_url_prefix())
