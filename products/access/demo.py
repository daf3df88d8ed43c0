"""Demo access data: the demo warehouse behind the ports, a clearance, requests and a grant, a webhook example,
and the beat schedules of the access jobs. Idempotent: run ``seed_demo`` as often as you like."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from products.access import services
from products.access.models import AccessGrant, AccessRequest, Clearance
from products.demo_warehouse import DEMO_TABLES, build
from products.models import OutputPort, Warehouse, WebhookEndpoint

WAREHOUSE_FILE = "warehouse.sqlite3"


def seed(users: dict) -> None:
    build(Path(settings.VAR_DIR) / WAREHOUSE_FILE)
    warehouse, _ = Warehouse.objects.update_or_create(
        name="demo", defaults={"engine": Warehouse.Engine.SQLITE, "path": WAREHOUSE_FILE, "dsn_env": ""}
    )
    ports = {}
    for (domain, slug, port_name), table in DEMO_TABLES.items():
        port = OutputPort.objects.filter(product__domain__slug=domain, product__slug=slug, name=port_name).first()
        if port is None:
            continue
        port.warehouse, port.table = warehouse, table
        port.save(update_fields=["warehouse", "table"])
        ports[f"{domain}/{slug}"] = port
    now = timezone.now()
    officers, _ = Group.objects.get_or_create(name=settings.MESH_DATA_PROTECTION_GROUP)
    users["dora"].groups.add(officers)
    Clearance.objects.update_or_create(
        user=users["admin"],
        kind=Clearance.Kind.GDPR,
        defaults={"granted_by": users["admin"], "expires_at": now + timedelta(days=365), "note": "Demo clearance."},
    )
    ana = users["ana"]
    customers = ports.get("crm/customer-360")
    # The analyst starts with nothing pending, so her first try is a request of her own; the owners still find
    # one waiting for them, from the inventory team.
    requester = users["ivan"]
    if customers and not AccessRequest.objects.filter(requester=requester, port=customers).exists():
        services.access_request_create(
            actor=requester,
            port=customers,
            purpose="Stock-out analysis: which customer segments a missing product loses.",
            duration_days=90,
            wants_unmasked_pii=True,
        )
    bookings = ports.get("sales/bookings")
    if bookings and not AccessGrant.objects.filter(user=ana, port=bookings).exists():
        pending = AccessRequest.objects.filter(requester=ana, port=bookings, status="pending").first()
        pending = pending or services.access_request_create(
            actor=ana, port=bookings, purpose="Weekly trading report: bookings by category.", duration_days=90
        )
        services.access_request_approve(actor=users["sam"], access_request=pending, note="Fine for reporting.")
    WebhookEndpoint.objects.get_or_create(
        name="IAM gateway (example)",
        defaults={
            "url": "http://127.0.0.1:9999/mesh-hooks/",
            "secret": "change-me",  # noqa: S106 - an inactive example endpoint
            "active": False,
            "event_kinds": ["grant.provisioned", "grant.deprovisioned"],
        },
    )
