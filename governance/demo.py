"""Demo council: a seat per domain held by its owner, Chris in the chair, one standard of each kind adopted by
vote, and one amendment open mid-vote. Everything goes through the services, so the decision log is real.
Safe to run again: a proposal that already exists (by title) is left as it is."""

from datetime import timedelta

from django.utils import timezone

from governance import services
from governance.models import Council, Proposal, Seat, Standard
from products.models import Domain

COUNCIL = "Data Governance Council"
SEAT_HOLDERS = {"crm": "carla", "sales": "sam", "finance": "fiona", "inventory": "ivan", "supply-chain": "sofia"}

# title, author, standard fields, votes by username (the chair closes once every seat has voted)
ADOPTED = [
    (
        "Snake-case field names",
        "carla",
        {
            "standard_kind": "naming_convention",
            "standard_text": "Every field of every output port is named in snake_case: lower-case letters, digits and "
            "underscores, starting with a letter. Consumers join across domains without quoting.",
            "rule": {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"},
            "severity": "blocker",
            "grace_days": 30,
        },
        {"carla": "for", "sam": "for", "fiona": "for", "ivan": "abstain", "sofia": "for", "chris": "for"},
    ),
    (
        "Minimum quality score of 80",
        "fiona",
        {
            "standard_kind": "min_quality_score",
            "standard_text": "A published product keeps a quality score of at least 80 over its checks.",
            "rule": {"minimum": 80},
            "severity": "warning",
            "grace_days": 60,
        },
        {"carla": "for", "sam": "against", "fiona": "for", "ivan": "abstain", "sofia": "for", "chris": "for"},
    ),
    (
        "Contact fields are PII",
        "carla",
        {
            "standard_kind": "required_classification",
            "standard_text": "Fields holding e-mail addresses, phone numbers or birth dates are classified PII, so "
            "they are masked for consumers without GDPR clearance.",
            "rule": {"field_pattern": "e?mail|phone|birth", "classification": "pii"},
            "severity": "blocker",
            "grace_days": 14,
        },
        {"carla": "for", "sam": "for", "fiona": "for", "ivan": "for", "sofia": "for", "chris": "for"},
    ),
    (
        "Daily freshness and 99 % availability",
        "ivan",
        {
            "standard_kind": "sla_template",
            "standard_text": "Every product promises data at most a day old and 99 % availability.",
            "rule": {"max_freshness_minutes": 1440, "min_availability_percent": 99},
            "severity": "warning",
            "grace_days": 30,
        },
        {"carla": "for", "sam": "for", "fiona": "against", "ivan": "for", "sofia": "for", "chris": "abstain"},
    ),
    (
        "Owner, description, schema and SLA before publishing",
        "sam",
        {
            "standard_kind": "required_metadata",
            "standard_text": "A product names its owner, describes itself, defines a schema on at least one output "
            "port and states a service level before it is published.",
            "rule": {"require": ["owner", "description", "schema", "sla"]},
            "severity": "blocker",
            "grace_days": 0,
        },
        {"carla": "for", "sam": "for", "fiona": "for", "ivan": "for", "sofia": "for", "chris": "for"},
    ),
    (
        "Thirty days' notice before breaking changes and retirements",
        "fiona",
        {
            "standard_kind": "notice_period",
            "standard_text": "Consumers hear of a breaking schema change or a retirement at least 30 days before it "
            "takes effect.",
            "rule": {"days": 30},
            "severity": "blocker",
            "grace_days": 0,
        },
        {"carla": "for", "sam": "for", "fiona": "for", "ivan": "for", "sofia": "for", "chris": "for"},
    ),
]

OPEN_TITLE = "Tighten freshness to four hours"
OPEN_VOTES = {"sofia": "for", "ivan": "against", "carla": "for"}


def seed(users: dict) -> None:
    council, _ = Council.objects.update_or_create(
        name=COUNCIL,
        defaults={
            "description": "One seat per domain plus the chair. Adopts the standards every data product meets.",
            "quorum_percent": 50,
            "majority": Council.Majority.SIMPLE,
            "default_vote_days": 7,
        },
    )
    for slug, username in SEAT_HOLDERS.items():
        domain = Domain.objects.filter(slug=slug).first()
        if domain is not None:
            Seat.objects.update_or_create(council=council, domain=domain, defaults={"holder": users[username]})
    Seat.objects.update_or_create(council=council, is_chair=True, defaults={"holder": users["chris"], "domain": None})
    chair = users["chris"]

    for title, author, fields, votes in ADOPTED:
        if Proposal.objects.filter(council=council, title=title).exists():
            continue
        proposal = services.proposal_create(
            actor=users[author],
            council=council,
            kind=Proposal.Kind.ADOPT_STANDARD,
            title=title,
            motivation=f"{fields['standard_text']}\n\nProposed by the {author} domain to make this a shared rule.",
            standard_title=title,
            **fields,
        )
        services.proposal_open(actor=chair, proposal=proposal)
        for username, choice in votes.items():
            services.vote_cast(actor=users[username], proposal=proposal, choice=choice)
        services.comment_add(actor=users[author], proposal=proposal, body="All seats have voted; thank you.")
        services.proposal_close(proposal.pk, actor=chair)

    if not Proposal.objects.filter(council=council, title=OPEN_TITLE).exists():
        target = Standard.objects.in_force().filter(council=council, kind="sla_template").first()
        if target is not None:
            proposal = services.proposal_create(
                actor=users["sofia"],
                council=council,
                kind=Proposal.Kind.AMEND_STANDARD,
                title=OPEN_TITLE,
                motivation="Replenishment runs every four hours; a day-old stock picture orders the wrong goods.",
                target_standard=target,
                standard_text="Every product promises data at most four hours old and 99 % availability.",
                rule={"max_freshness_minutes": 240, "min_availability_percent": 99},
                severity="warning",
                grace_days=30,
            )
            services.proposal_open(actor=chair, proposal=proposal)
            for username, choice in OPEN_VOTES.items():
                services.vote_cast(
                    actor=users[username],
                    proposal=proposal,
                    choice=choice,
                    rationale="Our nightly loads cannot meet this yet." if choice == "against" else "",
                )
            services.comment_add(
                actor=users["ivan"], proposal=proposal, body="Inventory needs a quarter to move off nightly batches."
            )
    _seed_absence(council, users)


def _seed_absence(council, users: dict) -> None:
    """Ivan (Inventory) is away for two weeks: Tom votes for the Inventory seat until then (the chair set it)."""
    seat = Seat.objects.filter(council=council, domain__slug="inventory").first()
    if seat is not None:
        seat.substitute, seat.substitute_until = users["tom"], timezone.localdate() + timedelta(days=14)
        seat.save(update_fields=["substitute", "substitute_until"])
