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


def error_budget(met_percent: float, target_percent: float) -> dict:
    """The error budget of a target over a window: ``allowed`` = 100 − target (the share that may fall short),
    ``consumed`` = shortfall / allowed (100 % when exactly spent), ``left`` = what remains (never below 0), and
    ``exhausted`` when the shortfall is more than allowed. A 100 % target allows nothing: any shortfall exhausts."""
    allowed = max(0.0, 100.0 - target_percent)
    shortfall = max(0.0, 100.0 - met_percent)
    if allowed <= 0:
        consumed = 0.0 if shortfall <= 0 else 100.0
        return {"left": 100.0 - consumed, "consumed": consumed, "exhausted": shortfall > 0}
    consumed = 100.0 * shortfall / allowed
    return {"left": max(0.0, 100.0 - consumed), "consumed": consumed, "exhausted": shortfall > allowed}


def burn_rate(recent_met_percent: float, target_percent: float) -> float | None:
    """How fast the budget is being spent now: the recent shortfall over the allowed one. 1.0 spends the budget
    exactly over the window; 2.0 twice as fast. None: the target allows no shortfall and there was some."""
    allowed = max(0.0, 100.0 - target_percent)
    shortfall = max(0.0, 100.0 - recent_met_percent)
    if allowed <= 0:
        return 0.0 if shortfall <= 0 else None
    return shortfall / allowed
