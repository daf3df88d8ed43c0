"""Every read the catalog pages and API need, always given the user so visibility is decided in one place."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils import timezone

from portal.models import AuditEvent
from products import permissions, services
from products.models import (
    AccessApproval,
    AccessGrant,
    AccessRequest,
    Clearance,
    DataProduct,
    LineageEdge,
    OutputPort,
    SchemaField,
    Subscription,
    Team,
)


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


def product_consumers(*, product: DataProduct) -> list[Subscription]:
    return list(Subscription.objects.filter(product=product).select_related("team", "user"))


def product_history(*, product: DataProduct, limit: int = 50) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type=product._meta.label_lower, target_id=str(product.pk))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


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

    def product_node(pk, name, domain_slug, slug, status, level) -> str:
        key = f"p{pk}"
        if key not in nodes:
            url = f"/products/{domain_slug}/{slug}/"
            nodes[key] = LineageNode(key=key, label=name, level=level, url=url, status=status)
        return key

    root = product_node(product.pk, product.name, product.domain.slug, product.slug, product.status, 0)
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


# --- Access to data --------------------------------------------------------------------------------------------


def _access_request_qs():
    return AccessRequest.objects.select_related(
        "requester", "port", "port__product", "port__product__domain", "decided_by", "grant", "renewal_of"
    ).prefetch_related(Prefetch("approvals", queryset=AccessApproval.objects.select_related("approver")))


def _grant_qs():
    return AccessGrant.objects.select_related("user", "port", "port__product", "port__product__domain", "request")


def access_requests_visible(*, user):
    """Requests ``user`` may see: their own, and those on products whose access they decide."""
    decided = DataProduct.objects.filter(permissions.access_decider_products_q(user))
    return _access_request_qs().filter(Q(requester=user) | Q(port__product__in=decided)).order_by("-created_at", "-id")


def access_request_get(*, user, pk: int) -> AccessRequest:
    """The request, or ``AccessRequest.DoesNotExist`` when it does not exist or the user may not see it."""
    return access_requests_visible(user=user).get(pk=pk)


def grants_visible(*, user):
    decided = DataProduct.objects.filter(permissions.access_decider_products_q(user))
    return _grant_qs().filter(Q(user=user) | Q(port__product__in=decided)).order_by("expires_at", "id")


def grant_get(*, user, pk: int) -> AccessGrant:
    return grants_visible(user=user).get(pk=pk)


def my_access(*, user) -> dict:
    """What "My access" shows: the user's grants, requests, clearances, and requests awaiting their decision."""
    now = timezone.now()
    grants = list(_grant_qs().filter(user=user).order_by("status", "expires_at", "id")[:100])
    for grant in grants:
        grant.renewable = grant.is_live(now) and grant.expires_at - now <= services.RENEWAL_WINDOW
    decided = DataProduct.objects.filter(permissions.access_decider_products_q(user))
    return {
        "grants": grants,
        "requests": list(_access_request_qs().filter(requester=user).order_by("-created_at", "-id")[:50]),
        "clearances": list(Clearance.objects.filter(user=user).order_by("kind")),
        "to_decide": list(
            _access_request_qs()
            .filter(status=AccessRequest.Status.PENDING, port__product__in=decided)
            .exclude(requester=user)
            .order_by("created_at", "id")[:50]
        ),
        "now": now,
    }


def product_access_tab(*, user, product: DataProduct) -> dict:
    """The product's Access tab: everyone sees which ports they can read or request; deciders also see who has
    access, why and until when, and the pending requests. A fixed number of queries whatever the row count."""
    now = timezone.now()
    decider = permissions.is_access_decider_for(user, product)
    mine = {
        grant.port_id: grant
        for grant in AccessGrant.objects.filter(
            user=user, port__product=product, status=AccessGrant.Status.ACTIVE, expires_at__gt=now
        )
    }
    pending = set(
        AccessRequest.objects.filter(
            requester=user, port__product=product, status=AccessRequest.Status.PENDING
        ).values_list("port_id", flat=True)
    )
    in_team = Team.objects.filter(pk=product.owner_team_id, memberships__user=user).exists()
    context = {
        "access_decider": decider,
        "access_ports": [
            {"port": port, "grant": mine.get(port.pk), "pending": port.pk in pending, "in_team": in_team}
            for port in OutputPort.objects.filter(product=product).order_by("name")
        ],
        "access_grants": [],
        "access_pending": [],
    }
    if decider:
        context["access_grants"] = list(
            _grant_qs()
            .filter(port__product=product, status=AccessGrant.Status.ACTIVE)
            .order_by("expires_at", "id")[:200]
        )
        context["access_pending"] = list(
            _access_request_qs()
            .filter(port__product=product, status=AccessRequest.Status.PENDING)
            .order_by("created_at", "id")[:100]
        )
    return context


def port_for_data(*, user, pk: int) -> OutputPort:
    """A port of a visible product, with what previews need (schema, warehouse, product)."""
    return (
        OutputPort.objects.filter(product__in=DataProduct.objects.visible_to(user))
        .select_related("product", "product__domain", "product__owner_team", "warehouse")
        .prefetch_related(Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id")))
        .get(pk=pk)
    )


def clearances_of(*, user):
    return Clearance.objects.filter(user=user).order_by("kind")


@dataclass
class PortData:
    columns: list[str]
    masked: frozenset
    rows: list[tuple]


def port_data_read(
    *, user, port: OutputPort, ordering: str = "", where: str = "", value: str = "", limit: int = 50, now=None
) -> PortData:
    """Rows of the port's table as ``user`` may see them: the one path for the preview page, the API and CSV.

    Refuses (``PermissionDenied``) without a live grant or team membership; refuses ordering or filtering on a
    masked or unknown column (``DomainError``); masks classified columns per ``products.masking``."""
    from django.core.exceptions import PermissionDenied

    from products.masking import check_query, mask_plan, mask_rows
    from products.warehouse import RowQuery, port_rows_read

    if not permissions.can_read_port_data(user, port, now=now):
        raise PermissionDenied("You have no access to this port's data. Request access first.")
    plan = mask_plan(user=user, port=port, now=now)
    descending = ordering.startswith("-")
    order_by = ordering.lstrip("-") or None
    check_query(plan, order_by=order_by, where_column=where or None)
    rows = port_rows_read(
        port,
        RowQuery(
            columns=plan.columns,
            order_by=order_by,
            descending=descending,
            where_column=where or None,
            where_value=value,
            limit=limit,
        ),
    )
    return PortData(columns=plan.columns, masked=plan.masked, rows=mask_rows(plan, rows))


# --- Quality ------------------------------------------------------------------------------------------------------


def _latest_result_subquery(field_name: str):
    from django.db.models import OuterRef, Subquery

    from products.models import CheckResult

    latest = CheckResult.objects.filter(quality_check=OuterRef("pk")).order_by("-measured_at", "-id")
    return Subquery(latest.values(field_name)[:1])


def quality_checks_of(*, user, product: DataProduct) -> list:
    """The product's checks with their latest result (state, value, message, time): one query."""
    from products.models import QualityCheck

    if not permissions.can_view_quality(user, product):
        return []
    return list(
        QualityCheck.objects.filter(product=product)
        .select_related("port")
        .annotate(
            latest_state=_latest_result_subquery("state"),
            latest_value=_latest_result_subquery("observed_value"),
            latest_message=_latest_result_subquery("message"),
            latest_at=_latest_result_subquery("measured_at"),
        )
        .order_by("name", "pk")
    )


def quality_history(*, product: DataProduct, days: int = 30, now=None) -> list[tuple]:
    """One point per day for the last ``days`` days: the day's average score (None where nothing ran).
    One aggregate query, whatever the number of results or snapshots."""
    from datetime import timedelta

    from django.db.models import Avg
    from django.db.models.functions import TruncDate

    from portal.charts import daily_series
    from products.models import QualityScoreSnapshot

    today = (now or timezone.now()).date()
    first = today - timedelta(days=days - 1)
    rows = (
        QualityScoreSnapshot.objects.filter(product=product, measured_at__date__gte=first)
        .annotate(day=TruncDate("measured_at"))
        .values("day")
        .annotate(score=Avg("score"))
        .values_list("day", "score")
    )
    by_day = {day: round(float(score), 1) for day, score in rows if score is not None}
    return daily_series(by_day, [first + timedelta(days=n) for n in range(days)])


def product_quality_section(*, user, product: DataProduct, now=None) -> dict:
    """What the product page's quality section shows, in a fixed number of queries (about six)."""
    from portal.charts import line_chart
    from products.models import CheckRun, Incident, QualityScoreSnapshot

    if not permissions.can_view_quality(user, product):
        return {"quality": None}
    snapshot = QualityScoreSnapshot.objects.filter(product=product).order_by("-measured_at", "-id").first()
    history = quality_history(product=product, now=now)
    sla = services.quality_sla(product, now=now)
    incidents = list(
        Incident.objects.filter(product=product, resolved_at=None)
        .select_related("quality_check")
        .order_by("-opened_at")
    )
    run = CheckRun.objects.filter(product=product).order_by("-created_at", "-id").first()
    return {
        "quality": {
            "score": product.quality_score,
            "dimensions": sorted((snapshot.dimensions if snapshot else {}).items()),
            "measured_at": snapshot.measured_at if snapshot else None,
            "chart": line_chart(history, title=f"Quality score of {product.name}, last 30 days"),
            "sla": sla,
            "incidents": incidents,
            "run": run,
            "can_run": permissions.can_run_quality_checks(user, product),
        }
    }


def quality_results_recent(*, product: DataProduct):
    from products.models import CheckResult

    return CheckResult.objects.filter(product=product).select_related("quality_check").order_by("-measured_at", "-id")


def quality_incidents_of(*, product: DataProduct, limit: int = 50) -> list:
    from products.models import Incident

    return list(
        Incident.objects.filter(product=product).select_related("quality_check").order_by("-opened_at", "-id")[:limit]
    )


def quality_run_get(*, user, product: DataProduct, pk: int):
    from products.models import CheckRun

    if not permissions.can_view_quality(user, product):
        raise CheckRun.DoesNotExist
    return CheckRun.objects.get(product=product, pk=pk)


def ingest_tokens_of(*, user, product: DataProduct) -> list:
    from products.models import ProductIngestToken

    if not permissions.can_manage_ingest_tokens(user, product):
        return []
    return list(ProductIngestToken.objects.filter(product=product).select_related("created_by"))


def quality_checks_visible(*, user):
    from products.models import QualityCheck

    return (
        QualityCheck.objects.filter(product__in=DataProduct.objects.visible_to(user))
        .select_related("product", "port")
        .annotate(latest_state=_latest_result_subquery("state"), latest_at=_latest_result_subquery("measured_at"))
        .order_by("product_id", "name", "pk")
    )


def incidents_visible(*, user):
    from products.models import Incident

    return (
        Incident.objects.filter(product__in=DataProduct.objects.visible_to(user))
        .select_related("product", "quality_check")
        .order_by("-opened_at", "-id")
    )


def quality_runs_visible(*, user):
    from products.models import CheckRun

    return CheckRun.objects.filter(product__in=DataProduct.objects.visible_to(user)).select_related("product")
