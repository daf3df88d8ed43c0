"""Demo contracts: every port starts its history; Customer 360's port has three versions and a declassification
waiting for review, Bookings has a breaking change waiting for its notice period, and the legacy bookings extract
is deprecated with a sunset date. Inventory Levels published its breaking change as a new port, stock_on_hand_v2,
and the old stock_on_hand is deprecated until its sunset (Demand Forecast, downstream, shows the warning). Products
declare a retention; the demo warehouse's tables are checked for drift
(Customer 360's e-mail column was made required in its contract, while the table still accepts nulls). Safe to run
again."""

from products import services as catalog
from products.contracts import drift_runs, services, successors
from products.contracts.models import Declassification, DriftRun, SchemaVersion
from products.models import DataProduct, OutputPort, SchemaField, Warehouse

RETENTION_DAYS = {"customer-360": 730, "bookings": 3650, "revenue": 3650, "inventory-levels": 90}


def seed(users: dict) -> None:
    for port in OutputPort.objects.select_related("product").order_by("pk"):
        if not SchemaVersion.objects.filter(port=port).exists():
            services.schema_version_record(
                port=port, actor=None, before=None, after=catalog.port_columns(port), previous_version=None
            )
    _customer_360_history(users["carla"])
    _bookings_breaking_change(users["sam"])
    _legacy_extract_deprecated()
    _stock_port_superseded(users["ivan"])
    for slug, days in RETENTION_DAYS.items():
        DataProduct.objects.filter(slug=slug, retention_days=None).update(retention_days=days)
    _drift_checked()


def _drift_checked() -> None:
    """Check every demo warehouse now, in this process, so the product pages show their drift at once."""
    for warehouse in Warehouse.objects.filter(ports__isnull=False).distinct().order_by("pk"):
        run = drift_runs.drift_run_start(actor=None, warehouse=warehouse, trigger=DriftRun.Trigger.SCHEDULE)
        drift_runs.drift_run_inline(run.pk)


def _customer_360_history(owner) -> None:
    port = OutputPort.objects.select_related("product").get(product__slug="customer-360", name="customers")
    if SchemaVersion.objects.filter(port=port).count() >= 3:
        return
    columns = catalog.port_columns(port)
    described = [
        {**column, "description": "Net order value to date, EUR, before returns."}
        if column["name"] == "lifetime_value"
        else column
        for column in columns
    ]
    catalog.port_save(actor=owner, product=port.product, port=port, fields=described)  # patch
    port.refresh_from_db()
    required = [{**column, "nullable": False} if column["name"] == "email" else column for column in described]
    catalog.port_save(actor=owner, product=port.product, port=port, fields=required)  # additive
    birth = SchemaField.objects.get(port=port, name="date_of_birth")
    if not Declassification.objects.filter(field=birth).exists():
        services.declassification_request(
            actor=owner,
            field=birth,
            to_classification="sensitive",
            reason="Only the birth year is kept now; it no longer identifies a person on its own.",
        )


def _bookings_breaking_change(owner) -> None:
    port = OutputPort.objects.get(product__slug="bookings", name="order_lines")
    if SchemaVersion.objects.filter(port=port).exclude(level="initial").exists():
        return
    columns = [
        {**column, "data_type": "decimal(10,3)"} if column["name"] == "quantity" else column
        for column in catalog.port_columns(port)
    ]
    services.schema_change_schedule(
        actor=owner,
        port=port,
        fields=columns,
        version="2.0.0",
        summary="Quantity becomes a decimal so that goods sold by weight can be booked.",
    )


def _legacy_extract_deprecated() -> None:
    product = DataProduct.objects.get(slug="bookings-daily-extract")
    if product.status == DataProduct.Status.PUBLISHED:
        catalog.product_deprecate(actor=None, product=product, comment="Replaced by Bookings (order_lines).")


def _stock_port_superseded(owner) -> None:
    port = OutputPort.objects.get(product__slug="inventory-levels", name="stock_on_hand")
    if port.successor_id or port.sunset_at:
        return
    columns = [
        {**column, "data_type": "decimal(12,3)", "description": "Units on hand; goods sold by weight in kg."}
        if column["name"] == "on_hand"
        else column
        for column in catalog.port_columns(port)
    ]
    successors.port_successor_publish(
        actor=owner,
        port=port,
        name="stock_on_hand_v2",
        fields=columns,
        location="warehouse.inventory.stock_levels_v2",
        table="",
    )
