"""Every read enforcement's pages, API and the product page's compliance panel need, always given the user."""

from django.db.models import Avg, Count, Sum

from governance.enforcement import permissions
from governance.enforcement.engine import EVALUATED_STATUSES, rules_in_force
from governance.enforcement.models import ComplianceSnapshot, EnforcementRun, ProductCompliance, Violation, Waiver

VIOLATION_STATES = ("open", "resolved", "all")


def violation_list(*, user, state: str = "open", product=None):
    """Violations ``user`` may see (their team's products; everything for the council and admins)."""
    queryset = (
        Violation.objects.filter(permissions.violation_visibility_q(user))
        .select_related("product__domain", "standard")
        .order_by("-opened_at", "-id")
    )
    if state == "open":
        queryset = queryset.filter(resolved_at__isnull=True)
    elif state == "resolved":
        queryset = queryset.filter(resolved_at__isnull=False)
    if product is not None:
        queryset = queryset.filter(product=product)
    return queryset


def violation_get(*, user, pk: int):
    return violation_list(user=user, state="all").get(pk=pk)


def waiver_list(*, user, status: str | None = None):
    queryset = (
        Waiver.objects.filter(permissions.waiver_visibility_q(user))
        .select_related("product__domain", "requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def enforcement_run_list(*, user):
    if not permissions.can_view_enforcement_runs(user):
        return EnforcementRun.objects.none()
    return EnforcementRun.objects.select_related("started_by").order_by("-started_at", "-id")


def compliance_by_domain(*, user) -> list[dict]:
    """Current average score and products per domain (products not retired), one query."""
    return list(
        ProductCompliance.objects.filter(product__status__in=EVALUATED_STATUSES)
        .values("product__domain__name", "product__domain__slug")
        .annotate(average=Avg("score"), products=Count("pk"), blockers=Sum("blockers_failed"))
        .order_by("product__domain__name")
    )


def compliance_by_standard(*, user) -> list[dict]:
    """Per rule (baseline and standards in force): products with an open violation of it, one query each."""
    failing = dict(
        Violation.objects.filter(resolved_at__isnull=True, product__status__in=EVALUATED_STATUSES)
        .values("rule_key")
        .annotate(n=Count("product_id", distinct=True))
        .values_list("rule_key", "n")
    )
    evaluated = ProductCompliance.objects.filter(product__status__in=EVALUATED_STATUSES).count()
    rows = []
    for rule in rules_in_force():
        failed = failing.get(rule.key, 0)
        rows.append(
            {
                "rule": rule,
                "failing": failed,
                "passing_percent": round(100 * (evaluated - failed) / evaluated, 1) if evaluated else None,
            }
        )
    return rows


def compliance_trend(*, user, domain=None, runs: int = 30) -> list[tuple]:
    """(taken_at, score) of the last ``runs`` runs, overall or for one domain, oldest first."""
    queryset = ComplianceSnapshot.objects.filter(product__isnull=True, run__isnull=False)
    queryset = queryset.filter(domain=domain) if domain is not None else queryset.filter(domain__isnull=True)
    points = list(queryset.order_by("-taken_at").values_list("taken_at", "score")[:runs])
    return [(taken_at, float(value)) for taken_at, value in reversed(points)]


def compliance_trends_by_domain(*, user, domain_slugs, runs: int = 30) -> dict[str, list[tuple]]:
    """``{domain slug: [(taken_at, score), ...]}`` over the last ``runs`` runs, oldest first: one query for every
    domain (the runs are those of the overall trend, read in a subquery)."""
    recent_runs = (
        ComplianceSnapshot.objects.filter(product__isnull=True, domain__isnull=True, run__isnull=False)
        .order_by("-taken_at")
        .values("run_id")[:runs]
    )
    trends: dict[str, list[tuple]] = {slug: [] for slug in domain_slugs}
    rows = (
        ComplianceSnapshot.objects.filter(product__isnull=True, run_id__in=recent_runs, domain__slug__in=domain_slugs)
        .order_by("taken_at", "id")
        .values_list("domain__slug", "taken_at", "score")
    )
    for slug, taken_at, score in rows:
        trends[slug].append((taken_at, float(score)))
    return trends


def product_compliance(*, user, product) -> dict:
    """What the product page shows: the score row, and the open violations to those allowed to see them."""
    row = ProductCompliance.objects.filter(product=product).first()
    violations, waivers = [], []
    may_see = permissions.can_view_product_violations(user, product)
    if may_see:
        violations = list(violation_list(user=user, product=product)[:50])
        waivers = list(
            Waiver.objects.filter(product=product, status__in=[Waiver.Status.REQUESTED, Waiver.Status.APPROVED])
        )
    return {
        "row": row,
        "violations": violations,
        "waivers": waivers,
        "may_see": may_see,
        "may_request_waiver": permissions.can_request_waiver(user, product),
    }
