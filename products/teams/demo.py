"""Demo teams for the team pages: CRM has a second team, CRM Analytics, owned by Tom, so Carla can hand a product
over to it; the identity-provider groups of a company directory map to teams (used when OIDC is switched on)."""

from products.models import Domain, Membership, Team, TeamClaimMapping

CLAIM_MAPPINGS = [
    ("crm-data-owners", "customer-data", Membership.Role.OWNER),
    ("crm-data", "customer-data", Membership.Role.MEMBER),
    ("crm-analysts", "crm-analytics", Membership.Role.MEMBER),
    ("sales-data", "sales-ops", Membership.Role.MEMBER),
]


def seed(users: dict) -> None:
    crm = Domain.objects.get(slug="crm")
    team = Team.objects.filter(slug="crm-analytics").first() or Team(slug="crm-analytics")
    team.domain, team.name = crm, "CRM Analytics"
    team.description = "Segments and churn models on top of the customer data."
    team.save()
    Membership.objects.update_or_create(team=team, user=users["tom"], defaults={"role": Membership.Role.OWNER})
    for claim_value, team_slug, role in CLAIM_MAPPINGS:
        TeamClaimMapping.objects.update_or_create(
            claim_value=claim_value, team=Team.objects.get(slug=team_slug), defaults={"role": role}
        )
