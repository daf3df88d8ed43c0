"""SLAs as each product declares them, measured over a rolling window (30 days).

Every SLA field of the product has its row, declared or not:

- **freshness** (at most N minutes old): the share of freshness measurements in which the newest row was at most
  the product's N minutes old (a measurement without an age counts by its check's verdict), against
  ``MESH_FRESHNESS_OBJECTIVE_PERCENT`` of them (99 % by default);
- **completeness** (%): the mean completeness the product's completeness checks measured (share of rows with a
  value), against the product's completeness target;
- **availability** (%): the share of runs and pushes that answered (not "could not run"), against the product's
  availability target;
- **retention** (days): declared, not measured by the portal.

For each measured row: the error budget (``scoring.error_budget``: how much of the allowed shortfall is spent and
left) and the burn rate over the last day (``scoring.burn_rate``). Status: ``met``; ``at_risk`` (met, but spending
the budget faster than the window allows); ``missed`` (the budget is exhausted: an incident opens); ``not_measured``;
``not_declared``; ``not_monitored`` (retention).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

from products.models import DataProduct
from products.quality.models import CheckResult, QualityCheck
from products.quality.scoring import burn_rate, error_budget

SLA_WINDOW_DAYS = 30
SLA_BURN_WINDOW = timedelta(days=1)
SLA_METRICS = ("freshness", "completeness", "availability", "retention")
MISSED, AT_RISK, MET = "missed", "at_risk", "met"
NOT_MEASURED, NOT_DECLARED, NOT_MONITORED = "not_measured", "not_declared", "not_monitored"

Kind, State = QualityCheck.Kind, CheckResult.State


def freshness_objective() -> float:
    return float(getattr(settings, "MESH_FRESHNESS_OBJECTIVE_PERCENT", 99.0))


def _counts(product: DataProduct, windows: dict[str, object], minutes) -> dict[str, dict]:
    """``{window name: counts}`` for each window start in ``windows``, in one aggregate query."""
    fresh = Q(observed_value__lte=minutes) if minutes is not None else Q(pk__in=[])
    fresh_q = Q(observed_value__isnull=False) & fresh | Q(observed_value__isnull=True, state=State.PASSED)
    freshness = Q(quality_check__kind=Kind.FRESHNESS) & ~Q(state=State.ERROR)
    completeness = Q(quality_check__kind=Kind.COMPLETENESS, observed_value__isnull=False) & ~Q(state=State.ERROR)
    aggregates = {}
    for name, since in windows.items():
        window = Q(measured_at__gte=since)
        aggregates |= {
            f"{name}:freshness_total": Count("pk", filter=freshness & window),
            f"{name}:freshness_ok": Count("pk", filter=freshness & fresh_q & window),
            f"{name}:completeness_total": Count("pk", filter=completeness & window),
            f"{name}:completeness_mean": Avg("observed_value", filter=completeness & window),
            f"{name}:availability_total": Count("pk", filter=window),
            f"{name}:availability_ok": Count("pk", filter=~Q(state=State.ERROR) & window),
        }
    earliest = min(windows.values())
    values = CheckResult.objects.filter(product=product, measured_at__gte=earliest).aggregate(**aggregates)
    counts: dict[str, dict] = {name: {} for name in windows}
    for key, value in values.items():
        name, _sep, measure = key.partition(":")
        counts[name][measure] = value
    return counts


def _met(counts: dict, metric: str) -> tuple[float | None, int]:
    total = counts[f"{metric}_total"] or 0
    if not total:
        return None, 0
    if metric == "completeness":
        return float(counts["completeness_mean"]), total
    return 100.0 * counts[f"{metric}_ok"] / total, total


def product_sla(product: DataProduct, *, now=None, days: int = SLA_WINDOW_DAYS) -> list[dict]:
    """One row per SLA field of ``product`` (see the module's docstring). One aggregate query."""
    now = now or timezone.now()
    minutes = product.freshness_minutes
    counts = _counts(product, {"window": now - timedelta(days=days), "recent": now - SLA_BURN_WINDOW}, minutes)
    window, recent = counts["window"], counts["recent"]
    declared = {
        "freshness": minutes,
        "completeness": None if product.completeness_percent is None else float(product.completeness_percent),
        "availability": None if product.availability_percent is None else float(product.availability_percent),
        "retention": product.retention_days,
    }
    rows = []
    for metric in SLA_METRICS:
        target = declared[metric]
        row = {
            "metric": metric,
            "target": target,
            "unit": {"freshness": "minutes", "retention": "days"}.get(metric, "%"),
            "objective_percent": None,
            "met_percent": None,
            "measurements": 0,
            "budget_left_percent": None,
            "budget_consumed_percent": None,
            "burn_rate": None,
            "status": NOT_DECLARED if target is None else NOT_MEASURED,
            "ok": None,
            "window_days": days,
        }
        rows.append(row)
        if metric == "retention":
            if target is not None:
                row["status"] = NOT_MONITORED
            continue
        met, total = _met(window, metric)
        row["met_percent"], row["measurements"] = (None if met is None else round(met, 2)), total
        if target is None:
            continue
        objective = freshness_objective() if metric == "freshness" else target
        row["objective_percent"] = round(objective, 2)
        if met is None:
            continue
        budget = error_budget(met, objective)
        recent_met, recent_total = _met(recent, metric)
        burn = burn_rate(recent_met, objective) if recent_total else 0.0
        row["budget_left_percent"] = round(budget["left"], 1)
        row["budget_consumed_percent"] = round(budget["consumed"], 1)
        row["burn_rate"] = None if burn is None else round(burn, 2)
        if budget["exhausted"]:
            row["status"] = MISSED
        elif burn is None or burn > 1:
            row["status"] = AT_RISK
        else:
            row["status"] = MET
        row["ok"] = row["status"] != MISSED
    return rows
