"""Every read the council's pages and API need, always given the user. Lists cost a fixed number of queries."""

from django.db.models import CharField, Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Cast, Coalesce

from governance import permissions
from governance.models import Comment, Council, Proposal, Seat, Standard, StandardKind, Vote
from portal.models import AuditEvent

GOVERNANCE_TARGETS = ("governance.proposal", "governance.standard")


def council_default() -> Council | None:
    """The council the portal shows at /governance/ (an organisation runs one; the first by name otherwise)."""
    return Council.objects.order_by("pk").first()


def council_seats(*, user, council: Council) -> list[Seat]:
    return list(
        Seat.objects.filter(council=council)
        .select_related("domain", "holder", "substitute")
        .order_by("-is_chair", "domain__name")
    )


def _seat_count_subquery():
    return Coalesce(
        Subquery(
            Seat.objects.filter(council_id=OuterRef("council_id"), holder__isnull=False)
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
                queryset=Vote.objects.select_related("seat__domain", "cast_by"),
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
    # A proposal's rows follow the proposal's visibility: nobody outside the council reads an unopened draft's title.
    visible_proposals = (
        Proposal.objects.visible_to(user).filter(council=council).values(pk_text=Cast("pk", CharField()))
    )
    return (
        AuditEvent.objects.filter(target_type__in=GOVERNANCE_TARGETS, data__council=council.pk)
        .filter(~Q(target_type="governance.proposal") | Q(target_id__in=visible_proposals))
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


def notice_days_in_force() -> int | None:
    """The notice consumers get under the notice-period standards in force (the longest), or None without one."""
    rules = Standard.objects.in_force().filter(kind=StandardKind.NOTICE_PERIOD).values_list("rule", flat=True)
    days = [rule.get("days") for rule in rules if isinstance(rule, dict) and isinstance(rule.get("days"), int)]
    return max(days) if days else None
