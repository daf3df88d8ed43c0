"""Reads for the team pages and the team API."""

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Subquery, Value, When

from products.models import DataProduct, Membership, Team

Role = Membership.Role
ROLE_ORDER = Case(
    When(role=Role.OWNER, then=Value(0)),
    When(role=Role.APPROVER, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def my_teams(*, user):
    """The teams ``user`` belongs to, each with ``my_role`` and ``member_count``."""
    mine = Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Team.objects.filter(memberships__user=user)
        .select_related("domain")
        .annotate(my_role=Subquery(mine), member_count=Count("memberships", distinct=True))
        .order_by("name")
    )


def other_teams(*, user):
    return (
        Team.objects.exclude(memberships__user=user)
        .select_related("domain")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("name")
    )


def team_get(*, slug: str) -> Team:
    """Every signed-in user may see a team and its members (who to ask about a product); ``Team.DoesNotExist``."""
    return Team.objects.select_related("domain").get(slug=slug)


def team_members(*, team: Team) -> list[Membership]:
    """Owners first, then approvers, then members, by name."""
    return list(Membership.objects.filter(team=team).select_related("user").order_by(ROLE_ORDER, "user__username"))


def team_products(*, user, team: Team) -> list[DataProduct]:
    return list(DataProduct.objects.visible_to(user).filter(owner_team=team).select_related("domain").order_by("name"))


def teams_with_members():
    """Teams with their members prefetched, for the API."""
    return (
        Team.objects.select_related("domain")
        .prefetch_related(
            Prefetch(
                "memberships", queryset=Membership.objects.select_related("user").order_by(ROLE_ORDER, "user__username")
            )
        )
        .order_by("name")
    )


def transfer_targets(*, product: DataProduct):
    """Teams a product may move to: the other teams of its domain (its address stays the same)."""
    return Team.objects.filter(domain_id=product.domain_id).exclude(pk=product.owner_team_id).order_by("name")
