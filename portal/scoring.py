"""How much a failed rule or check counts: the one weighting shared by quality scores and compliance scores."""

SEVERITY_WEIGHTS = {"blocker": 3, "warning": 1}


def severity_weight(severity: str) -> int:
    """A blocker weighs 3, a warning 1."""
    return SEVERITY_WEIGHTS.get(str(severity), 1)
