"""Every read of quality, always given the user so visibility is decided in one place."""

from django.utils import timezone

from portal.charts import daily_series, line_chart
from products.models import DataProduct
from products.quality import permissions, services
from products.quality.models import (
    CheckResult,
    CheckRun,
    Incident,
    ProductIngestToken,
    QualityCheck,
    QualityScoreSnapshot,
)


def quality_checks_of(*, user, product: DataProduct) -> list:
    """The product's checks with their latest result (state, value, message, time): one query."""

    if not permissions.can_view_quality(user, product):
        return []
    return list(
        QualityCheck.objects.filter(product=product)
        .select_related("port")
        .with_latest_result(
            latest_state="state", latest_value="observed_value", latest_message="message", latest_at="measured_at"
        )
        .order_by("name", "pk")
    )


def quality_history(*, product: DataProduct, days: int = 30, now=None) -> list[tuple]:
    """One point per day for the last ``days`` days: the day's average score (None where nothing ran).
    One aggregate query, whatever the number of results or snapshots."""
    from datetime import timedelta

    from django.db.models import Avg
    from django.db.models.functions import TruncDate

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


def product_sla_get(*, user, product: DataProduct, now=None) -> list[dict]:
    """The product's SLA rows (``products.quality.sla``), for whoever sees the product."""
    if not permissions.can_view_quality(user, product):
        raise DataProduct.DoesNotExist("No such product")
    return services.quality_sla(product, now=now)


def quality_results_recent(*, product: DataProduct):

    return CheckResult.objects.filter(product=product).select_related("quality_check").order_by("-measured_at", "-id")


def quality_incidents_of(*, product: DataProduct, limit: int = 50) -> list:

    return list(
        Incident.objects.filter(product=product).select_related("quality_check").order_by("-opened_at", "-id")[:limit]
    )


def quality_run_get(*, user, product: DataProduct, pk: int):

    if not permissions.can_view_quality(user, product):
        raise CheckRun.DoesNotExist
    return CheckRun.objects.get(product=product, pk=pk)


def ingest_tokens_of(*, user, product: DataProduct) -> list:

    if not permissions.can_manage_ingest_tokens(user, product):
        return []
    return list(ProductIngestToken.objects.filter(product=product).select_related("created_by"))


def quality_checks_visible(*, user):

    return (
        QualityCheck.objects.visible_to(user)
        .select_related("product", "port")
        .with_latest_result(latest_state="state", latest_at="measured_at")
        .order_by("product_id", "name", "pk")
    )


def incidents_visible(*, user):

    return Incident.objects.visible_to(user).select_related("product", "quality_check").order_by("-opened_at", "-id")


def quality_runs_visible(*, user):

    return CheckRun.objects.visible_to(user).select_related("product")
