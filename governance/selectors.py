"""Every read the council's pages and API need, always given the user. Lists cost a fixed number of queries."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from governance import permissions
from governance.models import Comment, Council, Proposal, Seat, Standard, Vote
from portal.models import AuditEvent

GOVERNANCE_TARGETS = ("governance.proposal", "governance.standard")


def council_default() -> Council | None:
    """The council the portal shows at /governance/ (an organisation runs one; the first by name otherwise)."""
    return Council.objects.order_by("pk").first()


def council_seats(*, user, council: Council) -> list[Seat]:
    return list(
        Seat.objects.filter(council=council).select_related("domain", "holder").order_by("-is_chair", "domain__name")
    )


def _seat_count_subquery():
    return Coalesce(
        Subquery(
            Seat.objects.filter(council_id=OuterRef("council_id"))
            .order_by()
            .values("council_id")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )


def proposal_list(*, user, council: Council | None = None, status: str | None = None):
    """Proposals the user may see, newest first, with their live tally counted in the same query."""
    queryset = (
        Proposal.objects.visible_to(user)
        .select_related("author", "council", "target_standard")
        .annotate(
            votes_for=Count("votes", filter=Q(votes__choice=Vote.Choice.FOR)),
            votes_against=Count("votes", filter=Q(votes__choice=Vote.Choice.AGAINST)),
            votes_abstain=Count("votes", filter=Q(votes__choice=Vote.Choice.ABSTAIN)),
            seat_count=_seat_count_subquery(),
        )
        .order_by("-created_at", "-id")
    )
    if council is not None:
        queryset = queryset.filter(council=council)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def proposal_get(*, user, pk: int) -> Proposal:
    """One proposal the user may see (``Proposal.DoesNotExist`` otherwise), with votes and comments loaded."""
    return (
        Proposal.objects.visible_to(user)
        .select_related("author", "council", "target_standard", "adopted_standard")
        .prefetch_related(
            Prefetch("votes", queryset=Vote.objects.select_related("seat__domain", "seat__holder", "cast_by")),
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
        )
        .get(pk=pk)
    )


def standard_list(*, user, status: str | None = Standard.Status.IN_FORCE, kind: str | None = None):
    queryset = Standard.objects.select_related("adopted_by").order_by("code", "-version")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def standard_versions(*, user, code: str) -> list[Standard]:
    """Every version of a standard, newest first, each with the proposal that adopted it and that proposal's votes."""
    return list(
        Standard.objects.filter(code=code)
        .select_related("adopted_by", "adopted_by__author")
        .prefetch_related(
            Prefetch(
                "adopted_by__votes",
                queryset=Vote.objects.select_related("seat__domain", "seat__holder"),
            )
        )
        .order_by("-version")
    )


def standard_choices(*, user, council: Council | None = None):
    """Standards an amend or retire proposal may target: versions in force or scheduled."""
    queryset = Standard.objects.filter(status__in=[Standard.Status.IN_FORCE, Standard.Status.SCHEDULED])
    if council is not None:
        queryset = queryset.filter(council=council)
    return queryset.order_by("code", "-version")


def decision_log(*, user, council: Council):
    """The council's decision log: every governance transition and vote, oldest first (for exports)."""
    if not permissions.can_export_decision_log(user, council):
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(target_type__in=GOVERNANCE_TARGETS, data__council=council.pk)
        .select_related("actor")
        .order_by("at", "id")
    )


def vote_list(*, user):
    visible = Proposal.objects.visible_to(user)
    return (
        Vote.objects.filter(proposal__in=visible)
        .select_related("seat__domain", "cast_by")
        .order_by("-updated_at", "-id")
    )


# --- enforcement ------------------------------------------------------------------------------------------------


def violation_list(*, user, state: str = "open", product=None):
    """Violations ``user`` may see (their team's products; everything for the council and admins)."""
    from governance.models import Violation

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
    from governance.models import Waiver

    queryset = (
        Waiver.objects.filter(permissions.waiver_visibility_q(user))
        .select_related("product__domain", "requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def enforcement_run_list(*, user):
    from governance.models import EnforcementRun

    if not permissions.can_view_enforcement_runs(user):
        return EnforcementRun.objects.none()
    return EnforcementRun.objects.select_related("started_by").order_by("-started_at", "-id")


def compliance_by_domain(*, user) -> list[dict]:
    """Current average score and products per domain (products not retired), one query."""
    from django.db.models import Avg, Count, Sum

    from governance.enforcement import EVALUATED_STATUSES
    from governance.models import ProductCompliance

    return list(
        ProductCompliance.objects.filter(product__status__in=EVALUATED_STATUSES)
        .values("product__domain__name", "product__domain__slug")
        .annotate(average=Avg("score"), products=Count("pk"), blockers=Sum("blockers_failed"))
        .order_by("product__domain__name")
    )


def compliance_by_standard(*, user) -> list[dict]:
    """Per rule (baseline and standards in force): products with an open violation of it, one query each."""
    from django.db.models import Count

    from governance.enforcement import EVALUATED_STATUSES, rules_in_force
    from governance.models import ProductCompliance, Violation

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
    from governance.models import ComplianceSnapshot

    queryset = ComplianceSnapshot.objects.filter(product__isnull=True, run__isnull=False)
    queryset = queryset.filter(domain=domain) if domain is not None else queryset.filter(domain__isnull=True)
    points = list(queryset.order_by("-taken_at").values_list("taken_at", "score")[:runs])
    return [(taken_at, float(value)) for taken_at, value in reversed(points)]


def product_compliance(*, user, product) -> dict:
    """What the product page shows: the score row, and the open violations to those allowed to see them."""
    from governance.models import ProductCompliance, Waiver

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
