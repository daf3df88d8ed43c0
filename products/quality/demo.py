"""Demo quality: checks on the demo ports (most pass; inventory stock levels fail freshness, since the demo
rows are older than 15 minutes), 30 days of backfilled history for the chart, and one real run so the product
pages show red and green. Idempotent: checks are update_or_create'd and history is only backfilled once."""

import random
from datetime import timedelta

from django.utils import timezone

from products.models import OutputPort
from products.quality import services
from products.quality.models import CheckResult, QualityCheck, QualityScoreSnapshot

# (domain/slug/port, name, kind, column, params, dimension, severity)
DEMO_CHECKS = [
    ("crm/customer-360/customers", "customers present", "row_count", "", {"min_rows": 10}, "coverage", "blocker"),
    (
        "crm/customer-360/customers",
        "country filled",
        "completeness",
        "country",
        {"min_percent": 100},
        "completeness",
        "blocker",
    ),  # noqa: E501
    ("crm/customer-360/customers", "one row per customer", "uniqueness", "customer_id", {}, "uniqueness", "blocker"),
    (
        "crm/customer-360/customers",
        "known countries",
        "accepted_values",
        "country",
        {"values": ["DE", "FR", "NL", "PT", "ES", "IT", "SE", "DK", "PL", "AT"]},
        "conformity",
        "warning",
    ),  # noqa: E501
    (
        "sales/bookings/order_lines",
        "no negative amounts",
        "custom_sql",
        "",
        {"sql": "SELECT COUNT(*) FROM {table} WHERE net_amount < 0", "operator": "=", "threshold": 0},
        "accuracy",
        "blocker",
    ),  # noqa: E501
    ("sales/bookings/order_lines", "sku filled", "completeness", "sku", {"min_percent": 99}, "completeness", "warning"),
    ("finance/revenue/daily_revenue", "daily rows", "row_count", "", {"min_rows": 100}, "coverage", "warning"),
    (
        "finance/revenue/daily_revenue",
        "known categories",
        "accepted_values",
        "category",
        {"values": ["grocery", "household", "garden"]},
        "conformity",
        "warning",
    ),  # noqa: E501
    (
        "inventory/inventory-levels/stock_on_hand",
        "stock is fresh",
        "freshness",
        "measured_at",
        {"max_age_minutes": 15},
        "timeliness",
        "blocker",
    ),  # noqa: E501
    (
        "inventory/inventory-levels/stock_on_hand",
        "no negative stock",
        "custom_sql",
        "",
        {"sql": "SELECT MIN(on_hand) FROM {table}", "operator": ">=", "threshold": 0},
        "accuracy",
        "warning",
    ),  # noqa: E501
    (
        "supply-chain/demand-forecast/forecast",
        "12 weeks ahead",
        "row_count",
        "",
        {"min_rows": 500},
        "coverage",
        "warning",
    ),  # noqa: E501
]
HISTORY_DAYS = 30


def _port(address: str) -> OutputPort | None:
    domain, slug, name = address.split("/")
    return OutputPort.objects.filter(product__domain__slug=domain, product__slug=slug, name=name).first()


def _backfill(check: QualityCheck, rng: random.Random, now) -> None:
    """Four results a day for 30 days; the stock freshness check misses now and then, then for good."""
    if CheckResult.objects.filter(quality_check=check, source="runner", run=None).exists():
        return
    rows = []
    for hours in range(HISTORY_DAYS * 24, 0, -6):
        measured_at = now - timedelta(hours=hours)
        failing = rng.random() < (0.35 if check.kind == "freshness" else 0.01)
        if check.kind == "freshness" and hours < 48:
            failing = True
        rows.append(
            CheckResult(
                quality_check=check,
                product=check.product,
                state="failed" if failing else "passed",
                message="Backfilled demo history.",
                measured_at=measured_at,
            )
        )
    CheckResult.objects.bulk_create(rows)


def _snapshots(product, now) -> None:
    """One score point per 6 hours from the backfilled results (weighted like the live score)."""
    if QualityScoreSnapshot.objects.filter(product=product).exists():
        return
    results = CheckResult.objects.filter(product=product).select_related("quality_check").order_by("measured_at")
    latest: dict[int, tuple[str, int, str]] = {}
    points, bucket_end = [], None
    for result in results:
        check = result.quality_check
        latest[check.pk] = (result.state, check.weight, check.dimension)
        bucket = result.measured_at.replace(minute=0, second=0, microsecond=0)
        if bucket != bucket_end and latest:
            passed = sum(w for state, w, _ in latest.values() if state == "passed")
            total = sum(w for _, w, _ in latest.values())
            points.append(
                QualityScoreSnapshot(product=product, measured_at=bucket, score=round(100 * passed / total, 2))
            )
            bucket_end = bucket
    QualityScoreSnapshot.objects.bulk_create(points)


def seed(users: dict) -> None:
    rng = random.Random(7)  # noqa: S311 - demo data
    now = timezone.now()
    products = {}
    for address, name, kind, column, params, dimension, severity in DEMO_CHECKS:
        port = _port(address)
        if port is None or port.warehouse_id is None:
            continue
        check, _ = QualityCheck.objects.update_or_create(
            product=port.product,
            name=name,
            defaults={
                "port": port,
                "kind": kind,
                "column": column,
                "params": params,
                "dimension": dimension,
                "severity": severity,
                "enabled": True,
            },
        )
        _backfill(check, rng, now)
        products[port.product_id] = port.product
    for product in products.values():
        _snapshots(product, now)
        services.quality_schedule_sync(product)
        run = services.quality_run_start(actor=None, product=product, trigger="schedule")
        # Run inline (no worker needed for the demo): the same services the Celery tasks call.
        services.quality_run_execute(run.pk)
        for check_id in run.check_ids:
            services.quality_check_record(run.pk, check_id)
