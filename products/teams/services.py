"""Team membership: owners add and remove members and set roles; a team always keeps one owner.

Each change locks the team row first, so two owners stepping down at once cannot leave the team without one."""

from django.contrib.auth import get_user_model
from django.db import transaction

from portal.errors import DomainError, require
from portal.services import audit_record
from products import permissions
from products.models import Membership, Team

Role = Membership.Role
NOT_OWNER = "Only the team's owners change its members."
LAST_OWNER = "A team keeps at least one owner: make someone else an owner first."


def _locked(team: Team) -> Team:
    return Team.objects.select_for_update().get(pk=team.pk)


def _other_owners(team: Team, user) -> int:
    return Membership.objects.filter(team=team, role=Role.OWNER).exclude(user=user).count()


def _role_check(role: str) -> None:
    if role not in Role.values:
        raise DomainError(f"Pick one of: {', '.join(Role.values)}.", field="role")


@transaction.atomic
def membership_add(*, actor, team: Team, user, role: str = Role.MEMBER) -> Membership:
    team = _locked(team)
    require(permissions.can_manage_team(actor, team), NOT_OWNER)
    _role_check(role)
    if not user.is_active:
        raise DomainError(f"{user.username} is deactivated.", field="username")
    if Membership.objects.filter(team=team, user=user).exists():
        raise DomainError(f"{user.username} is already in {team}.", field="username")
    membership = Membership.objects.create(team=team, user=user, role=role)
    audit_record(actor=actor, action="team.member_add", target=team, to_state=role, data={"member": user.username})
    return membership


@transaction.atomic
def membership_role_set(*, actor, team: Team, user, role: str) -> Membership:
    team = _locked(team)
    require(permissions.can_manage_team(actor, team), NOT_OWNER)
    _role_check(role)
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise DomainError(f"{user.username} is not in {team}.", field="username")
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_owners(team, user):
        raise DomainError(LAST_OWNER, field="role")
    from_role = membership.role
    if from_role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="team.member_role",
            target=team,
            from_state=from_role,
            to_state=role,
            data={"member": user.username},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor, team: Team, user) -> None:
    team = _locked(team)
    require(permissions.can_manage_team(actor, team), NOT_OWNER)
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise DomainError(f"{user.username} is not in {team}.", field="username")
    if membership.role == Role.OWNER and not _other_owners(team, user):
        raise DomainError(LAST_OWNER, field="username")
    membership.delete()  # the post_delete receiver takes the user out of the team's group (its object perms)
    audit_record(
        actor=actor,
        action="team.member_remove",
        target=team,
        from_state=membership.role,
        data={"member": user.username},
    )


def user_by_username(username: str):
    """The active user with this name, or a ``DomainError`` on ``username`` (people are picked by name)."""
    user = get_user_model().objects.filter(username__iexact=(username or "").strip(), is_active=True).first()
    if user is None:
        raise DomainError(f"Nobody active is called “{username}”.", field="username")
    return user


ROLE_STRENGTH = {Role.MEMBER: 0, Role.APPROVER: 1, Role.OWNER: 2}


@transaction.atomic
def memberships_sync_from_claims(*, user, claim_values) -> dict[str, list[str]]:
    """Make ``user``'s identity-provider memberships match the group claim of this sign-in.

    Each mapped claim value puts the user in its team with its role (the strongest role when several values name
    the same team). A membership the identity provider made before and no longer backs is removed; one an owner
    made on the team page is left alone. The team's last owner stays its owner (a team keeps one), and the portal's
    admins are told to name another. Returns the team slugs added, changed, removed and kept; each is audited."""
    from products.models import TeamClaimMapping

    values = {str(value) for value in claim_values or () if isinstance(value, str | int)}
    wanted: dict[int, str] = {}
    for mapping in TeamClaimMapping.objects.filter(claim_value__in=values):
        if mapping.team_id not in wanted or ROLE_STRENGTH[mapping.role] > ROLE_STRENGTH[wanted[mapping.team_id]]:
            wanted[mapping.team_id] = mapping.role
    # Teams whose owner the provider takes away are locked first, in id order, as the team page locks a team before
    # its memberships: a sign-in and an owner stepping down at once still leave the team one owner, and never wait
    # on each other's locks the other way round.
    owned = Membership.objects.filter(user=user, role=Role.OWNER, from_identity_provider=True)
    leaving_owner = sorted(
        team_id for team_id in owned.values_list("team_id", flat=True) if wanted.get(team_id) != Role.OWNER
    )
    list(Team.objects.select_for_update().filter(pk__in=leaving_owner).order_by("pk").values_list("pk"))
    current = {m.team_id: m for m in Membership.objects.select_for_update().filter(user=user).select_related("team")}
    outcome: dict[str, list[str]] = {"added": [], "changed": [], "removed": [], "kept": []}
    for team_id, membership in current.items():
        if team_id in leaving_owner and membership.role == Role.OWNER and not _other_owners(membership.team, user):
            _last_owner_kept(membership, user)
            outcome["kept"].append(membership.team.slug)
        elif membership.from_identity_provider and team_id not in wanted:
            membership.delete()
            outcome["removed"].append(membership.team.slug)
            _sso_audit(membership.team, user, "team.member_remove", from_state=membership.role)
        elif membership.from_identity_provider and wanted[team_id] != membership.role:
            from_role, membership.role = membership.role, wanted[team_id]
            membership.save(update_fields=["role"])
            outcome["changed"].append(membership.team.slug)
            _sso_audit(membership.team, user, "team.member_role", from_state=from_role, to_state=membership.role)
    for team in Team.objects.filter(pk__in=set(wanted) - set(current)):
        Membership.objects.create(team=team, user=user, role=wanted[team.pk], from_identity_provider=True)
        outcome["added"].append(team.slug)
        _sso_audit(team, user, "team.member_add", to_state=wanted[team.pk])
    return outcome


def _sso_audit(team, user, action: str, *, from_state: str = "", to_state: str = "") -> None:
    audit_record(
        actor=None,
        action=action,
        target=team,
        from_state=from_state,
        to_state=to_state,
        data={"member": user.username, "source": "identity provider"},
    )


def _last_owner_kept(membership: Membership, user) -> None:
    from django.urls import reverse

    from portal.permissions import portal_admin_ids
    from portal.services import notify

    team = membership.team
    audit_record(
        actor=None,
        action="team.last_owner_kept",
        target=team,
        from_state=membership.role,
        to_state=membership.role,
        data={"member": user.username, "source": "identity provider"},
    )
    notify(
        portal_admin_ids(),
        kind="products.team_last_owner",
        title=f"{team} would have no owner",
        body=(
            f"The identity provider no longer names {user.username} an owner of {team}, but nobody else owns it: "
            f"{user.username} stays its owner until another owner is named on the team page."
        ),
        url=reverse("products:team-detail", args=[team.slug]),
        dedupe_key=f"team-{team.pk}-last-owner-{user.pk}",
    )
