"""Every read the catalog pages and API need, always given the user so visibility is decided in one place."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from products.models import DataProduct, LineageEdge, OutputPort, SchemaField, Subscription, Team


def product_list(*, user, filters: dict | None = None):
    """Products ``user`` may see, with what a list row shows, optionally filtered (``ProductFilter`` params)."""
    from products.filters import ProductFilter

    queryset = (
        DataProduct.objects.visible_to(user)
        .select_related("domain", "owner_team")
        .prefetch_related("tags")
        .defer("search_vector")  # the index column is read by the database, never by Python
        .order_by("name", "pk")
    )
    if filters:
        filterset = ProductFilter(filters, queryset=queryset)
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
    return queryset


def product_get(*, user, domain_slug: str, slug: str) -> DataProduct:
    """The visible product at this address, or ``DataProduct.DoesNotExist`` (which pages turn into a 404)."""
    return (
        DataProduct.objects.visible_to(user)
        .select_related("domain", "owner_team", "accountable")
        .prefetch_related("tags")
        .get(domain__slug=domain_slug, slug=slug)
    )


def product_ports(*, product: DataProduct) -> list[OutputPort]:
    return list(
        OutputPort.objects.filter(product=product).prefetch_related(
            Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id"))
        )
    )


def product_consumers(*, product: DataProduct, limit: int | None = None) -> list[Subscription]:
    """The product's consumers, newest first (all of them, or the first ``limit``)."""
    queryset = Subscription.objects.filter(product=product).select_related("team", "user")
    return list(queryset[:limit] if limit is not None else queryset)


def product_user_subscription(*, user, product: DataProduct) -> Subscription | None:
    return Subscription.objects.filter(product=product, user=user).first()


@dataclass
class LineageNode:
    key: str
    label: str
    level: int
    url: str = ""
    status: str = ""
    external: bool = False
    urn: str = ""


@dataclass
class LineageGraph:
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    hidden: int = 0

    @property
    def is_empty(self) -> bool:
        return len(self.nodes) <= 1


def lineage_graph(*, user, product: DataProduct, depth: int = 3) -> LineageGraph:
    """Upstream and downstream of ``product`` up to ``depth`` hops, as the user may see it.

    Two queries per hop and direction, so a page costs at most ``4 * depth`` queries whatever the mesh's size.
    Products the user may not see are left out and counted in ``hidden``.
    """
    visible = DataProduct.objects.visible_to(user)
    graph = LineageGraph()
    nodes: dict[str, LineageNode] = {}
    hidden: set[int] = set()

    def product_node(pk, name, domain_slug, slug, status, level, urn) -> str:
        key = f"p{pk}"
        if key not in nodes:
            url = f"/products/{domain_slug}/{slug}/"
            nodes[key] = LineageNode(key=key, label=name, level=level, url=url, status=status, urn=urn)
        return key

    root = product_node(product.pk, product.name, product.domain.slug, product.slug, product.status, 0, product.urn)
    for direction in (-1, 1):
        frontier = {product.pk}
        seen = {product.pk}
        for hop in range(1, depth + 1):
            if not frontier:
                break
            if direction < 0:
                edges = LineageEdge.objects.filter(product_id__in=frontier)
                other = "upstream"
            else:
                edges = LineageEdge.objects.filter(upstream_id__in=frontier)
                other = "product"
            rows = list(
                edges.values(
                    "product_id",
                    "upstream_id",
                    "external_source",
                    f"{other}__name",
                    f"{other}__slug",
                    f"{other}__domain__slug",
                    f"{other}__status",
                    f"{other}__urn",
                )
            )
            other_ids = {row[f"{other}_id"] for row in rows} - {None}
            visible_ids = set(visible.filter(pk__in=other_ids).values_list("pk", flat=True)) if other_ids else set()
            next_frontier = set()
            for row in rows:
                near_id = row["product_id"] if direction < 0 else row["upstream_id"]
                near_key = f"p{near_id}"
                if direction < 0 and row["external_source"]:
                    key = f"s:{row['external_source']}"
                    nodes.setdefault(key, LineageNode(key=key, label=row["external_source"], level=-hop, external=True))
                    graph.edges.append((key, near_key))
                    continue
                other_id = row["upstream_id"] if direction < 0 else row["product_id"]
                if other_id not in visible_ids:
                    hidden.add(other_id)
                    continue
                key = product_node(
                    other_id,
                    row[f"{other}__name"],
                    row[f"{other}__domain__slug"],
                    row[f"{other}__slug"],
                    row[f"{other}__status"],
                    direction * hop,
                    row[f"{other}__urn"],
                )
                graph.edges.append((key, near_key) if direction < 0 else (near_key, key))
                if other_id not in seen:
                    seen.add(other_id)
                    next_frontier.add(other_id)
            frontier = next_frontier
    graph.nodes = sorted(nodes.values(), key=lambda node: (node.level, node.label))
    graph.edges = sorted(set(graph.edges))
    graph.hidden = len(hidden)
    assert root in nodes
    return graph


def teams_of(*, user):
    return Team.objects.filter(group__user=user).select_related("domain")


def home_summary(*, user) -> dict:
    """What the home dashboard shows a user about the catalog: their teams, their products, their subscriptions."""
    teams = list(teams_of(user=user))
    my_products = list(
        DataProduct.objects.filter(owner_team__in=teams)
        .select_related("domain", "owner_team")
        .order_by("status", "name")[:20]
    )
    subscriptions = list(
        Subscription.objects.filter(Q(user=user) | Q(team__in=teams))
        .filter(product__in=DataProduct.objects.visible_to(user))
        .select_related("product", "product__domain", "team")[:20]
    )
    recent = list(
        DataProduct.objects.visible_to(user)
        .filter(status=DataProduct.Status.PUBLISHED)
        .select_related("domain", "owner_team")
        .order_by("-published_at", "-pk")[:8]
    )
    return {
        "teams": teams,
        "my_products": my_products,
        "subscriptions": subscriptions,
        "recent_products": recent,
    }


def inputs_ending(*, user, product: DataProduct) -> list[DataProduct]:
    """The products this one reads from that are deprecated (with their sunset) or retired: its owners must move."""
    return list(
        DataProduct.objects.visible_to(user)
        .filter(
            outputs__product=product,
            status__in=[DataProduct.Status.DEPRECATED, DataProduct.Status.RETIRED],
        )
        .select_related("domain")
        .order_by("name", "pk")
    )


@dataclass(frozen=True)
class ConsumerCounts:
    subscriptions: int
    grantees: int
    downstream: int

    @property
    def total(self) -> int:
        return self.subscriptions + self.grantees + self.downstream


def product_consumer_counts(*, user, product: DataProduct, subscriptions: int) -> ConsumerCounts:
    """Who uses the product: subscriptions, people holding an active access grant on one of its ports, and the
    downstream products ``user`` may see that read from it (one query each)."""
    from django.utils import timezone

    from products.access.models import AccessGrant

    grantees = (
        AccessGrant.objects.filter(
            port__product=product, status=AccessGrant.Status.ACTIVE, expires_at__gt=timezone.now()
        )
        .values("user_id")
        .distinct()
        .count()
    )
    downstream = DataProduct.objects.visible_to(user).filter(inputs__upstream=product).values("pk").distinct().count()
    return ConsumerCounts(subscriptions=subscriptions, grantees=grantees, downstream=downstream)
