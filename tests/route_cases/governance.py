"""Council routes. ``council_member`` holds the CRM seat (and authors the drafts), ``chair`` holds the chair's seat;
everyone else signed in holds no seat. Everyone reads; drafts are invisible (404) to non-members."""

from datetime import timedelta

from django.utils import timezone

from governance import services
from governance.models import Council, Proposal, Seat, Standard
from tests import factories
from tests.route_cases.base import Case

MEMBERS = ("council_member", "chair", "admin")
DRAFT_READERS = {"council_member": 200, "chair": 200, "admin": 200}
DRAFT_HIDDEN = 404
STANDARD = {
    "standard_kind": "min_quality_score",
    "standard_title": "Quality at least 80",
    "standard_text": "Products keep a quality score of 80.",
    "rule": {"minimum": 80},
    "severity": "warning",
    "grace_days": 10,
}


def build(world) -> None:
    users = world.users
    council, _ = Council.objects.get_or_create(name="Data Governance Council")
    Seat.objects.get_or_create(council=council, is_chair=True, defaults={"holder": users["chair"]})
    Seat.objects.get_or_create(council=council, domain=world.team.domain, defaults={"holder": users["council_member"]})
    author = users["council_member"]

    def draft(title, **extra):
        return services.proposal_create(
            actor=author, council=council, kind="adopt_standard", title=title, motivation="Why.", **STANDARD, **extra
        )

    world.council = council
    world.gov_draft = draft("Unopened draft on lineage depth")
    world.gov_open = services.proposal_open(actor=users["chair"], proposal=draft("Open for votes"))
    ready = services.proposal_open(actor=users["chair"], proposal=draft("Every seat voted"))
    for holder in (users["chair"], author):
        services.vote_cast(actor=holder, proposal=ready, choice="for")
    world.gov_ready = ready
    accepted = services.proposal_open(actor=users["chair"], proposal=draft("Adopted"))
    for holder in (users["chair"], author):
        services.vote_cast(actor=holder, proposal=accepted, choice="for")
    services.proposal_close(accepted.pk, actor=users["chair"])
    world.gov_standard = Standard.objects.get(adopted_by=accepted)
    world.gov_vote = accepted.votes.first()
    world.gov_seat = Seat.objects.get(council=council, is_chair=True)
    assert world.gov_open.deadline > timezone.now() + timedelta(days=1)
    world.gov_factories = factories


def _p(proposal_attr: str, suffix: str = ""):
    return lambda w: f"/governance/proposals/{getattr(w, proposal_attr).pk}/{suffix}"


def _api(proposal_attr: str, suffix: str = ""):
    return lambda w: f"/api/v1/proposals/{getattr(w, proposal_attr).pk}/{suffix}"


def only(status: int, *personas: str) -> dict[str, int]:
    return dict.fromkeys(personas, status)


NEW_RESOLUTION = {"council": None, "kind": "resolution", "title": "Meet monthly", "motivation": "Cadence."}


def _new(w, **overrides):
    return {**NEW_RESOLUTION, "council": w.council.pk, **overrides}


CASES = [
    # Pages
    Case("governance:council-detail", lambda w: "/governance/", 200),
    Case("governance:proposal-list", lambda w: "/governance/proposals/?status=open", 200),
    Case("governance:proposal-create", lambda w: "/governance/proposals/new/", 403, expect=only(200, *MEMBERS)),
    Case(
        "governance:proposal-create",
        lambda w: "/governance/proposals/new/",
        403,
        method="post",
        data=_new,
        expect=only(302, *MEMBERS),
        note="a resolution",
    ),
    Case(
        "governance:proposal-create",
        lambda w: "/governance/proposals/new/",
        403,
        method="post",
        data=lambda w: _new(w, kind="adopt_standard", **{**STANDARD, "rule": '{"minimum": -3}'}),
        expect=only(200, *MEMBERS),
        note="negative threshold: form error",
    ),
    Case("governance:proposal-detail", _p("gov_open"), 200),
    Case("governance:proposal-detail", _p("gov_draft"), DRAFT_HIDDEN, expect=DRAFT_READERS, note="draft"),
    Case(
        "governance:proposal-edit",
        _p("gov_draft", "edit/"),
        DRAFT_HIDDEN,
        expect={"council_member": 200, "chair": 403, "admin": 200},
    ),
    Case(
        "governance:proposal-edit",
        _p("gov_draft", "edit/"),
        DRAFT_HIDDEN,
        method="post",
        data=lambda w: {"kind": "resolution", "title": "Renamed", "motivation": "Still why."},
        expect={"council_member": 302, "chair": 403, "admin": 302},
    ),
    Case("governance:proposal-edit", _p("gov_open", "edit/"), 403, note="open: text frozen"),
    Case(
        "governance:proposal-open",
        _p("gov_draft", "open/"),
        DRAFT_HIDDEN,
        method="post",
        expect={"council_member": 403, "chair": 302, "admin": 302},
    ),
    Case(
        "governance:proposal-close",
        _p("gov_ready", "close/"),
        403,
        method="post",
        expect=only(302, "chair", "admin"),
        note="every seat voted",
    ),
    Case(
        "governance:proposal-withdraw",
        _p("gov_open", "withdraw/"),
        403,
        method="post",
        expect=only(302, "council_member", "admin"),
    ),
    Case(
        "governance:proposal-vote",
        _p("gov_open", "vote/"),
        403,
        method="post",
        data={"choice": "for", "rationale": "Agreed."},
        expect=only(302, "council_member", "chair"),
    ),
    Case(
        "governance:proposal-comment",
        _p("gov_open", "comment/"),
        403,
        method="post",
        data={"body": "Looks right."},
        expect=only(302, *MEMBERS),
    ),
    Case("governance:standard-list", lambda w: "/governance/standards/", 200),
    Case("governance:standard-detail", lambda w: f"/governance/standards/{w.gov_standard.code}/", 200),
    Case(
        "governance:decision-log-csv",
        lambda w: f"/governance/councils/{w.council.pk}/decisions.csv",
        200,
        secret=lambda w: w.gov_draft.title,
        secret_readers=MEMBERS,
    ),
    Case(
        "governance:decision-log-json",
        lambda w: f"/governance/councils/{w.council.pk}/decisions.json",
        200,
        secret=lambda w: w.gov_draft.title,
        secret_readers=MEMBERS,
    ),
    # API
    Case("council-list", lambda w: "/api/v1/councils/", 200),
    Case("council-detail", lambda w: f"/api/v1/councils/{w.council.pk}/", 200),
    Case("seat-list", lambda w: "/api/v1/seats/", 200),
    Case("seat-detail", lambda w: f"/api/v1/seats/{w.gov_seat.pk}/", 200),
    Case("proposal-list", lambda w: "/api/v1/proposals/", 200),
    Case("proposal-list", lambda w: "/api/v1/proposals/", 403, method="post", data=_new, expect=only(201, *MEMBERS)),
    Case(
        "proposal-list",
        lambda w: "/api/v1/proposals/",
        403,
        method="post",
        data=lambda w: _new(w, kind="adopt_standard", **{**STANDARD, "rule": {"minimum": -3}}),
        expect=only(400, *MEMBERS),
        note="negative threshold refused",
    ),
    Case("proposal-detail", _api("gov_open"), 200),
    Case("proposal-detail", _api("gov_draft"), DRAFT_HIDDEN, expect=DRAFT_READERS, note="draft"),
    Case(
        "proposal-detail",
        _api("gov_draft"),
        DRAFT_HIDDEN,
        method="patch",
        data={"title": "Renamed", "status": "accepted"},
        expect={"council_member": 200, "chair": 403, "admin": 200},
        note="status is read-only",
    ),
    Case(
        "proposal-open",
        _api("gov_draft", "open/"),
        DRAFT_HIDDEN,
        method="post",
        data={},
        expect={"council_member": 403, "chair": 200, "admin": 200},
    ),
    Case(
        "proposal-close",
        _api("gov_ready", "close/"),
        403,
        method="post",
        data={},
        expect=only(200, "chair", "admin"),
    ),
    Case(
        "proposal-close",
        _api("gov_open", "close/"),
        403,
        method="post",
        data={},
        expect=only(400, "chair", "admin"),
        note="seats still to vote",
    ),
    Case(
        "proposal-withdraw",
        _api("gov_open", "withdraw/"),
        403,
        method="post",
        data={},
        expect=only(200, "council_member", "admin"),
    ),
    Case(
        "proposal-vote",
        _api("gov_open", "vote/"),
        403,
        method="post",
        data={"choice": "against", "rationale": "Not yet."},
        expect=only(200, "council_member", "chair"),
    ),
    Case(
        "proposal-vote",
        _api("gov_draft", "vote/"),
        DRAFT_HIDDEN,
        method="post",
        data={"choice": "for"},
        expect={"council_member": 409, "chair": 409, "admin": 403},
        note="voting on a draft",
    ),
    Case("vote-list", lambda w: "/api/v1/votes/", 200),
    Case("vote-detail", lambda w: f"/api/v1/votes/{w.gov_vote.pk}/", 200),
    Case("standard-list", lambda w: "/api/v1/standards/?status=in_force", 200),
    Case("standard-detail", lambda w: f"/api/v1/standards/{w.gov_standard.pk}/", 200),
]

__all__ = ["CASES", "Proposal", "build"]
