"""Pure arithmetic of quality: scores from latest check states, and the SLA error budget. No database here."""

from collections.abc import Iterable

from portal.scoring import severity_weight


def weighted_scores(rows: Iterable[tuple[str, str, str | None]]) -> tuple[float | None, dict[str, float]]:
    """Score 0–100 and per-dimension scores from ``(dimension, severity, latest state)`` rows: the
    severity-weighted share of checks whose latest result passed. A check that never ran counts for nothing; one
    that could not run counts as not passed. None when nothing has run."""
    totals: dict[str, list[float]] = {}
    for dimension, severity, state in rows:
        if state is None:
            continue
        weight = severity_weight(severity)
        bucket = totals.setdefault(dimension, [0.0, 0.0])
        bucket[0] += weight if state == "passed" else 0
        bucket[1] += weight
    if not totals:
        return None, {}
    dimensions = {name: round(100 * ok / weight, 1) for name, (ok, weight) in sorted(totals.items())}
    passed = sum(ok for ok, _ in totals.values())
    weight = sum(w for _, w in totals.values())
    return round(100 * passed / weight, 2), dimensions


def error_budget_left(met_percent: float, target_percent: float) -> float:
    """Share (0–100) of the error budget left: 1 − missed / allowed. A 100 % target has no budget: all of it is
    left while nothing is missed, none once anything is."""
    allowed = 100 - target_percent
    missed = 100 - met_percent
    if allowed <= 0:
        return 100.0 if missed == 0 else 0.0
    return max(0.0, 100 * (1 - missed / allowed))
