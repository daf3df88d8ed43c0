"""Every read the catalog pages and API need, always given the user so visibility is decided in one place."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q, prefetch_related_objects

from portal.request_cache import memo
from products.models import SCHEMA_COLUMN_KEYS, DataProduct, LineageEdge, OutputPort, SchemaField, Subscription, Team
from products.permissions import (
    can_view_product,
    product_perms_read,
    product_role_annotation,
    product_role_remember,
    product_viewable,
)


def product_list(*, user, filters: dict | None = None):
    """Products ``user`` may see, with what a list row shows, optionally filtered (``ProductFilter`` params)."""
    from products.filters import ProductFilter

    queryset = (
        DataProduct.objects.visible_to(user)
        .select_related("domain", "owner_team")
        .prefetch_related("tags")
        .order_by("name", "pk")
    )
    if filters:
        filterset = ProductFilter(filters, queryset=queryset)
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
    return queryset


def product_get(*, user, domain_slug: str, slug: str) -> DataProduct:
    """The visible product at this address, or ``DataProduct.DoesNotExist`` (which pages turn into a 404). The
    user's role in its team comes with the row, and holds for the rest of the request, as their permissions on it
    do once read."""
    product = (
        DataProduct.objects.select_related("domain", "owner_team", "accountable")
        .annotate(**product_role_annotation(user))
        .get(domain__slug=domain_slug, slug=slug)
    )
    product_role_remember(user, product)
    # One row by its address: whether the user sees it is ``can_view_product`` (the rule ``product_visibility_q``
    # applies to lists), and a product they may not see answers as a missing one does.
    if not can_view_product(user, product):
        raise DataProduct.DoesNotExist
    prefetch_related_objects([product], "tags")
    return product


def product_ports(*, product: DataProduct) -> list[OutputPort]:
    """The product's ports by name with their fields in order: read once per request, whichever panel asks."""
    return memo(
        ("product_ports", product.pk),
        lambda: list(
            OutputPort.objects.filter(product=product)
            .order_by("name", "pk")
            .prefetch_related(Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id")))
        ),
    )


def port_columns_attach(ports) -> None:
    """Give each port its columns as plain values (``port.columns``: dicts of ``SCHEMA_COLUMN_KEYS``, in order), for
    all the ports in one query: a list of products holds hundreds of columns, and a model instance per column was
    most of an API list's time."""
    ports = list(ports)
    columns: dict[int, list[dict]] = {port.pk: [] for port in ports}
    if ports:
        for row in (
            SchemaField.objects.filter(port_id__in=list(columns))
            .order_by("port_id", "position", "id")
            .values("port_id", *SCHEMA_COLUMN_KEYS)
        ):
            columns[row.pop("port_id")].append(row)
    for port in ports:
        port.columns = columns[port.pk]


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
    sunset_at: object = None
    product_id: int | None = None  # None for an external source


@dataclass
class LineageInput:
    """One recorded input of the product (an edge its owners may remove): a product the user sees, one they do
    not (named as such, never by name), or an external source."""

    edge_id: int
    label: str
    url: str = ""
    external: bool = False
    hidden: bool = False


@dataclass
class LineageGraph:
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    hidden: int = 0
    inputs: list[LineageInput] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return len(self.nodes) <= 1


_LINEAGE_SQL = """
WITH RECURSIVE
  up(id, product_id, upstream_id, external_source, hop) AS (
    SELECT id, product_id, upstream_id, external_source, 1 FROM {table} WHERE product_id = %s
    UNION
    SELECT e.id, e.product_id, e.upstream_id, e.external_source, up.hop + 1
    FROM {table} e JOIN up ON e.product_id = up.upstream_id WHERE up.hop < %s
  ),
  down(id, product_id, upstream_id, external_source, hop) AS (
    SELECT id, product_id, upstream_id, external_source, 1 FROM {table} WHERE upstream_id = %s
    UNION
    SELECT e.id, e.product_id, e.upstream_id, e.external_source, down.hop + 1
    FROM {table} e JOIN down ON e.upstream_id = down.product_id WHERE down.hop < %s
  )
SELECT -1, id, product_id, upstream_id, external_source FROM up
UNION ALL
SELECT 1, id, product_id, upstream_id, external_source FROM down
"""


def _lineage_edges(product_pk: int, depth: int) -> tuple[dict, dict, list]:
    """Every edge within ``depth`` hops up and down, in one recursive query: (inputs by product, outputs by
    upstream, the product's own input edges), the first two each a dict of id -> [(other id or None, external
    source)], the last a list of (edge id, upstream id or None, external source)."""
    inputs: dict[int, set] = {}
    outputs: dict[int, set] = {}
    own_inputs: set = set()
    sql = _LINEAGE_SQL.format(table=connection.ops.quote_name(LineageEdge._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [product_pk, depth, product_pk, depth])
        for direction, edge_id, product_id, upstream_id, external_source in cursor.fetchall():
            if direction < 0:
                inputs.setdefault(product_id, set()).add((upstream_id, external_source or ""))
                if product_id == product_pk:
                    own_inputs.add((edge_id, upstream_id, external_source or ""))
            else:
                outputs.setdefault(upstream_id, set()).add((product_id, ""))
    return inputs, outputs, sorted(own_inputs, key=str)


def _row_url(row: dict) -> str:
    """A product page's address from a lineage row's values (``DataProduct.get_absolute_url`` without a model)."""
    return f"/products/{row['domain__slug']}/{row['slug']}/"


def lineage_graph(*, user, product: DataProduct, depth: int = 3) -> LineageGraph:
    """Upstream and downstream of ``product`` up to ``depth`` hops, as the user may see it.

    Two queries whatever the mesh's size or the depth: the edges (one recursive query), then the products on them,
    of which the user sees those ``product_viewable`` lets them (a third query, of their grants, when drafts are
    among them, which answers for the product itself too). Products the user may not see are left out, counted in
    ``hidden``, and not walked through.
    """
    inputs, outputs, own_inputs = _lineage_edges(product.pk, depth)
    other_ids = {other for edges in (*inputs.values(), *outputs.values()) for other, _ in edges} - {None, product.pk}
    visible_rows = {}
    if other_ids:
        rows = list(
            DataProduct.objects.filter(pk__in=sorted(other_ids)).values(
                "pk", "name", "slug", "domain__slug", "status", "urn", "sunset_at"
            )
        )
        drafts = [row["pk"] for row in rows if row["status"] == DataProduct.Status.DRAFT]
        held = {}
        if drafts and not user.is_superuser:
            # Whether the user may see a draft is whether they may edit it: their grants on the drafts, read in one
            # query with those on the product itself, which the page asks about next.
            held = product_perms_read(user, [product.pk, *drafts])
        visible_rows = {
            row["pk"]: row
            for row in rows
            if product_viewable(user, row["pk"], row["status"], perms=held.get(row["pk"]))
        }
    visible_rows[product.pk] = {
        "pk": product.pk,
        "name": product.name,
        "slug": product.slug,
        "domain__slug": product.domain.slug,
        "status": product.status,
        "urn": product.urn,
        "sunset_at": product.sunset_at,
    }
    graph = LineageGraph()
    nodes: dict[str, LineageNode] = {}
    hidden: set[int] = set()

    def product_node(pk, level) -> str:
        key = f"p{pk}"
        if key not in nodes:
            row = visible_rows[pk]
            url = _row_url(row)
            nodes[key] = LineageNode(
                key=key,
                label=row["name"],
                level=level,
                url=url,
                status=row["status"],
                urn=row["urn"],
                sunset_at=row["sunset_at"],
                product_id=pk,
            )
        return key

    root = product_node(product.pk, 0)
    for direction, adjacency in ((-1, inputs), (1, outputs)):
        frontier = {product.pk}
        seen = {product.pk}
        for hop in range(1, depth + 1):
            if not frontier:
                break
            next_frontier = set()
            for near_id in sorted(frontier):
                near_key = f"p{near_id}"
                for other_id, external_source in sorted(adjacency.get(near_id, ()), key=str):
                    if direction < 0 and external_source:
                        key = f"s:{external_source}"
                        nodes.setdefault(key, LineageNode(key=key, label=external_source, level=-hop, external=True))
                        graph.edges.append((key, near_key))
                        continue
                    if other_id is None:
                        continue
                    if other_id not in visible_rows:
                        hidden.add(other_id)
                        continue
                    key = product_node(other_id, direction * hop)
                    graph.edges.append((key, near_key) if direction < 0 else (near_key, key))
                    if other_id not in seen:
                        seen.add(other_id)
                        next_frontier.add(other_id)
            frontier = next_frontier
    graph.nodes = sorted(nodes.values(), key=lambda node: (node.level, node.label))
    graph.edges = sorted(set(graph.edges))
    graph.hidden = len(hidden)
    for edge_id, upstream_id, external_source in own_inputs:
        if upstream_id is None:
            graph.inputs.append(LineageInput(edge_id=edge_id, label=external_source, external=True))
        elif upstream_id in visible_rows:
            row = visible_rows[upstream_id]
            graph.inputs.append(LineageInput(edge_id=edge_id, label=row["name"], url=_row_url(row)))
        else:
            graph.inputs.append(LineageInput(edge_id=edge_id, label="A product you cannot see", hidden=True))
    graph.inputs.sort(key=lambda item: (item.hidden, item.label.lower(), item.edge_id))
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


def _direct_inputs(graph: LineageGraph) -> list[LineageNode]:
    """The visible products one hop upstream in ``graph`` (external sources left out)."""
    return [node for node in graph.nodes if node.level == -1 and node.product_id is not None]


def inputs_ending_in(graph: LineageGraph) -> list[LineageNode]:
    """The visible products one hop upstream in ``graph`` that are deprecated (with their sunset) or retired: what
    ``inputs_ending`` answers, without a query of its own."""
    ending = {DataProduct.Status.DEPRECATED, DataProduct.Status.RETIRED}
    return sorted(
        (node for node in _direct_inputs(graph) if node.status in ending), key=lambda node: (node.label, node.key)
    )


@dataclass(frozen=True)
class EndingInputPort:
    """A port of a product one hop upstream that is being superseded (deprecated until ``sunset_at``) or retired."""

    product: LineageNode
    name: str
    sunset_at: object
    retired_at: object
    successor: str = ""  # the name of the port to move to, if its owners named one


def input_ports_ending_in(graph: LineageGraph) -> list[EndingInputPort]:
    """The ports being superseded or retired of the visible products one hop upstream in ``graph``, by product and
    port name: one query of the ports alone (the products are the graph's), none when the product reads from none."""
    upstream = {node.product_id: node for node in _direct_inputs(graph)}
    if not upstream:
        return []
    ports = OutputPort.objects.filter(product_id__in=list(upstream), sunset_at__isnull=False).values_list(
        "product_id", "name", "sunset_at", "retired_at", "successor__name"
    )
    return sorted(
        (
            EndingInputPort(upstream[product_id], name, sunset_at, retired_at, successor or "")
            for product_id, name, sunset_at, retired_at, successor in ports
        ),
        key=lambda port: (port.product.label, port.name),
    )


LINEAGE_PICKER_LIMIT = 20


def lineage_candidates(*, user, product: DataProduct, text: str) -> list[DataProduct]:
    """Products the user may see that could feed ``product``, matching ``text`` (the lineage picker's answers)."""
    from products.search import search_filter

    text = (text or "").strip()[:200]
    if not text:
        return []
    queryset = (
        DataProduct.objects.visible_to(user)
        .exclude(pk=product.pk)
        .select_related("domain")
        .only("pk", "name", "slug", "urn", "status", "domain__slug", "domain__name")
    )
    return list(search_filter(queryset, text)[:LINEAGE_PICKER_LIMIT])


@dataclass(frozen=True)
class ConsumerCounts:
    subscriptions: int
    grantees: int
    downstream: int

    @property
    def total(self) -> int:
        return self.subscriptions + self.grantees + self.downstream


def product_consumer_counts(*, product: DataProduct, subscriptions: int, graph: LineageGraph) -> ConsumerCounts:
    """Who uses the product: subscriptions, people holding an active access grant on one of its ports (one query),
    and the downstream products the user may see, read off the page's lineage ``graph``."""
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
    downstream = sum(1 for node in graph.nodes if node.level == 1 and not node.external)
    return ConsumerCounts(subscriptions=subscriptions, grantees=grantees, downstream=downstream)
