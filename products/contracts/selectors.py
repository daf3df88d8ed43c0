"""Every read of contracts the pages, API and jobs need, always given the user. Lists cost a fixed number of
queries."""

from django.db.models import BooleanField, ExpressionWrapper

from products.contracts import permissions
from products.contracts.changes import schema_diff
from products.contracts.models import Declassification, SchemaVersion
from products.models import OutputPort


def schema_versions(*, user, port: OutputPort):
    """A port's versions, newest first (scheduled and cancelled ones included), or none when the port is hidden."""
    if not permissions.can_view_schema_versions(user, port.product):
        return SchemaVersion.objects.none()
    return SchemaVersion.objects.filter(port=port).select_related("author").order_by("-created_at", "-pk")


def schema_version_diff(*, user, port: OutputPort, old_id: int, new_id: int) -> tuple:
    """Two versions of ``port`` and the changes from the first to the second (DoesNotExist when hidden)."""
    versions = schema_versions(user=user, port=port)
    old, new = versions.get(pk=old_id), versions.get(pk=new_id)
    return old, new, schema_diff(old.schema, new.schema)


def scheduled_changes(*, user):
    return (
        SchemaVersion.objects.visible_to(user)
        .filter(status=SchemaVersion.Status.SCHEDULED)
        .select_related("port__product__domain", "author")
        .order_by("effective_at", "pk")
    )


def declassification_list(*, user, status: str | None = Declassification.Status.PENDING):
    """Requests on products the user may see, each annotated ``reviewable`` (the user may decide it); every row
    names its column, never a value."""
    queryset = (
        Declassification.objects.visible_to(user)
        .select_related("field__port__product__domain", "requested_by", "decided_by")
        .annotate(reviewable=ExpressionWrapper(permissions.reviewable_q(user), output_field=BooleanField()))
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-requested_at", "-pk")


# --- ODCS contracts and drift ------------------------------------------------------------------------------------


def contract_document(user, port: OutputPort) -> dict:
    """The port's ODCS v3 document as ``user`` may read it (``OutputPort.DoesNotExist`` when the product is hidden:
    a draft's contract answers exactly like a missing port). A fixed number of queries."""
    from products.contracts.export import port_documents, ports_prefetched

    visible = ports_prefetched(OutputPort.objects.visible_to(user)).filter(pk=port.pk)
    ports = list(visible)
    if not ports or not permissions.can_view_contract(user, ports[0].product):
        raise OutputPort.DoesNotExist("No such port")
    return port_documents(ports)[0]


def product_contracts(user, product) -> list[dict]:
    """One ODCS v3 document per output port of ``product``, in port order (``DataProduct.DoesNotExist`` when
    hidden). A fixed number of queries whatever the number of ports, columns and checks."""
    from products.contracts.export import port_documents, ports_prefetched
    from products.models import DataProduct

    if not permissions.can_view_contract(user, product):
        raise DataProduct.DoesNotExist("No such product")
    ports = ports_prefetched(OutputPort.objects.visible_to(user).filter(product=product)).order_by("name", "pk")
    return port_documents(ports)


def contracts_visible(user):
    """Ports whose contracts ``user`` may read, ready for ``export.port_documents`` (the API's list)."""
    from products.contracts.export import ports_prefetched

    return ports_prefetched(OutputPort.objects.visible_to(user)).order_by("product_id", "name", "pk")


def product_drift_section(*, user, product) -> dict | None:
    """The contract panel of the product page: per port the open drift findings and when the table was last
    checked (the team), or only how many are open (everyone else who sees the product). Four queries."""
    from products.contracts.models import DriftFinding, DriftRun, PortDriftState

    if not permissions.can_view_contract(user, product):
        return None
    from products.selectors import product_ports

    ports = product_ports(product=product)
    findings = list(
        DriftFinding.objects.filter(port__product=product, resolved_at=None).order_by("port_id", "kind", "column")
    )
    may_see = permissions.can_view_drift(user, product)
    states = {state.port_id: state for state in PortDriftState.objects.filter(port__product=product)}
    rows = []
    for port in ports:
        port_findings = [finding for finding in findings if finding.port_id == port.pk]
        rows.append(
            {
                "port": port,
                "connected": bool(port.warehouse_id and port.table),
                "state": states.get(port.pk),
                "findings": port_findings if may_see else [],
                "open": len(port_findings),
            }
        )
    run = DriftRun.objects.filter(product=product).order_by("-created_at", "-pk").first()
    return {
        "rows": rows,
        "open": len(findings),
        "may_see": may_see,
        "can_check": permissions.can_check_drift(user, product),
        "run": run,
    }


def drift_findings_visible(*, user):
    """Drift findings on products whose team ``user`` is in (they name the real table's columns)."""
    from products.contracts.models import DriftFinding
    from products.models import DataProduct
    from products.permissions import product_editable_q

    editable = DataProduct.objects.filter(product_editable_q(user))
    return (
        DriftFinding.objects.filter(port__product__in=editable)
        .select_related("port__product")
        .order_by("-opened_at", "-pk")
    )


def drift_runs_visible(*, user):
    from products.contracts.models import DriftRun

    return DriftRun.objects.visible_to(user).select_related("product")
