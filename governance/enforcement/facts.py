"""What enforcement reads of products: plain rows (no model instances) with the facts the rules check, in three
queries whatever the number of products, so a chunk of thousands costs what a chunk of ten does."""

from dataclasses import dataclass

from governance.rules import FieldFacts, ProductFacts
from products.models import DataProduct, OutputPort, SchemaField


@dataclass(frozen=True)
class ProductRow:
    """What a chunk needs of a product, read as plain values (no model instances): its facts for the rules and
    what notifications and auto-actions name."""

    pk: int
    slug: str
    name: str
    status: str
    domain_slug: str
    owner_team_id: int | None
    published_at: object
    facts: ProductFacts


_PRODUCT_COLUMNS = (
    "pk",
    "slug",
    "name",
    "status",
    "domain__slug",
    "owner_team_id",
    "accountable_id",
    "summary",
    "documentation",
    "quality_score",
    "freshness_minutes",
    "completeness_percent",
    "availability_percent",
    "published_at",
)


def _number(value) -> float | None:
    return None if value is None else float(value)


def product_rows_load(product_ids) -> list[ProductRow]:
    """The products as plain rows in three queries whatever their number: products, ports, fields."""
    ids = list(product_ids)
    if not ids:
        return []
    # Ports first, then their fields by port id: one table each, read through its product or port index, where a
    # join of the two is planned as a scan of every field in the catalog.
    ports = sorted(
        OutputPort.objects.filter(product_id__any_of=ids).values_list("product_id", "name", "pk"),
        key=lambda port: (port[1], port[2]),
    )
    port_counts: dict[int, int] = {}
    for product_id, _name, _pk in ports:
        port_counts[product_id] = port_counts.get(product_id, 0) + 1
    fields_of_port: dict[int, list[tuple[str, str]]] = {}
    for port_id, name, classification in (
        SchemaField.objects.filter(port_id__any_of=[pk for *_, pk in ports])
        .order_by("port_id", "position", "pk")
        .values_list("port_id", "name", "classification")
    ):
        fields_of_port.setdefault(port_id, []).append((name, classification))
    fields: dict[int, list[FieldFacts]] = {}
    for product_id, port_name, port_id in ports:  # each product's fields port by port, ports by name
        fields.setdefault(product_id, []).extend(
            FieldFacts(name=name, classification=classification, port=port_name)
            for name, classification in fields_of_port.get(port_id, ())
        )
    rows = []
    for (
        pk,
        slug,
        name,
        status,
        domain_slug,
        owner_team_id,
        accountable_id,
        summary,
        documentation,
        quality_score,
        freshness,
        completeness,
        availability,
        published_at,
    ) in DataProduct.objects.filter(pk__any_of=ids).order_by("pk").values_list(*_PRODUCT_COLUMNS):
        facts = ProductFacts(
            slug=slug,
            name=name,
            has_owner=bool(owner_team_id and accountable_id),
            description=(summary or documentation or "").strip(),
            port_count=port_counts.get(pk, 0),
            fields=tuple(fields.get(pk, ())),
            quality_score=_number(quality_score),
            freshness_minutes=freshness,
            completeness_percent=_number(completeness),
            availability_percent=_number(availability),
        )
        rows.append(ProductRow(pk, slug, name, status, domain_slug, owner_team_id, published_at, facts))
    return rows
