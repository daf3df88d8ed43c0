"""Every read of access to data, always given the user so visibility is decided in one place."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils import timezone

from portal.permissions import is_signed_in
from products.access import permissions, services
from products.access.masking import check_query, mask_plan, mask_rows
from products.access.models import AccessApproval, AccessGrant, AccessRequest, Clearance
from products.models import DataProduct, OutputPort, SchemaField
from products.permissions import team_role
from products.selectors import product_ports
from products.warehouse import RowQuery, port_rows_read


def _access_request_qs():
    return AccessRequest.objects.select_related(
        "requester", "port", "port__product", "port__product__domain", "decided_by", "grant", "renewal_of"
    ).prefetch_related(Prefetch("approvals", queryset=AccessApproval.objects.select_related("approver")))


def _grant_qs():
    return AccessGrant.objects.select_related("user", "port", "port__product", "port__product__domain", "request")


def access_requests_visible(*, user):
    """Requests ``user`` may see: their own, and those on products whose access they decide."""
    return (
        _access_request_qs()
        .filter(Q(requester=user) | permissions.access_requests_decidable_q(user))
        .order_by("-created_at", "-id")
    )


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
    clearances = list(Clearance.objects.filter(user=user).order_by("kind"))
    cleared = any(c.kind == Clearance.Kind.GDPR and c.is_valid(now) for c in clearances)
    for grant in grants:
        grant.renewable = grant.is_live(now) and grant.expires_at - now <= services.RENEWAL_WINDOW
        grant.upgradable = cleared and permissions.can_upgrade_grant(user, grant, now=now)
    return {
        "grants": grants,
        "requests": list(_access_request_qs().filter(requester=user).order_by("-created_at", "-id")[:50]),
        "clearances": clearances,
        "to_decide": list(
            _access_request_qs().filter(permissions.access_requests_awaiting_q(user)).order_by("created_at", "id")[:50]
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
    in_team = is_signed_in(user) and team_role(user, product.owner_team_id) is not None
    context = {
        "decider": decider,
        "ports": [
            {"port": port, "grant": mine.get(port.pk), "pending": port.pk in pending, "in_team": in_team}
            for port in product_ports(product=product)
        ],
        "grants": [],
        "pending": [],
    }
    if decider:
        context["grants"] = list(
            _grant_qs()
            .filter(port__product=product, status=AccessGrant.Status.ACTIVE)
            .order_by("expires_at", "id")[:200]
        )
        context["pending"] = list(
            _access_request_qs()
            .filter(port__product=product, status=AccessRequest.Status.PENDING)
            .order_by("created_at", "id")[:100]
        )
    return context


def port_for_data(*, user, pk: int) -> OutputPort:
    """A port of a visible product, with what previews need (schema, warehouse, product)."""
    return (
        OutputPort.objects.visible_to(user)
        .select_related("product", "product__domain", "product__owner_team", "warehouse")
        .prefetch_related(Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id")))
        .get(pk=pk)
    )


def clearances_of(*, user):
    return Clearance.objects.filter(user=user).order_by("kind")


def clearances_visible(*, user):
    """Everyone's clearances for the data-protection group and admins; one's own for anyone else."""
    clearances = Clearance.objects.select_related("user", "granted_by").order_by("user__username", "kind")
    return clearances if permissions.can_manage_clearances(user) else clearances.filter(user=user)


def masking_reason(*, user, port: OutputPort, now=None) -> dict:
    """Why classified columns are masked for ``user`` on ``port``, for the preview page: as a member of the owning
    team (who follows the same clearance rule and never requests access to their own product) or as a grantee, and
    whether a valid clearance lets them ask to unmask their grant now."""
    now = now or timezone.now()
    grant = (
        AccessGrant.objects.filter(user=user, port=port, status=AccessGrant.Status.ACTIVE, expires_at__gt=now)
        .order_by("-expires_at")
        .first()
    )
    cleared = services.has_valid_clearance(user, Clearance.Kind.GDPR, now=now)
    return {
        "in_team": is_signed_in(user) and team_role(user, port.product.owner_team_id) is not None,
        "cleared": cleared,
        "grant": grant,
        "upgradable": bool(grant) and cleared and permissions.can_upgrade_grant(user, grant, now=now),
        "pending_upgrade": AccessRequest.objects.filter(
            requester=user, port=port, status=AccessRequest.Status.PENDING, upgrades=True
        ).first(),
    }


@dataclass
class PortData:
    columns: list[str]
    masked: frozenset
    rows: list[tuple]


def port_data_read(
    *, user, port: OutputPort, ordering: str = "", where: str = "", value: str = "", limit: int = 50, now=None
) -> PortData:
    """Rows of the port's table as ``user`` may see them: the one path for the preview page, the API and CSV.

    Refuses (``permissions.PortGone``) a retired product's port, whoever asks; refuses (``PermissionDenied``)
    without a live grant or team membership; refuses ordering or filtering on a masked or unknown column
    (``DomainError``); masks classified columns per ``products.access.masking``."""
    permissions.port_served_require(port)
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
