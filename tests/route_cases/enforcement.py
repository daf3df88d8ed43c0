"""Enforcement routes. Violations and waivers are seen by the product's team (``owner``, ``member``), the council
(``council_member``, ``chair``) and admins, invisible (404) to others; the team asks for waivers, the chair decides;
admins and staff watch enforcement runs, only admins start one. The compliance dashboard is open to everyone."""

from datetime import timedelta

from django.utils import timezone

from governance.enforcement.models import EnforcementRun, Violation, Waiver
from governance.models import Council, Seat
from tests import factories
from tests.route_cases.base import Case

SEES = {"owner": 200, "member": 200, "council_member": 200, "chair": 200, "admin": 200}
RUN_WATCHERS = {"staff": 200, "admin": 200}
HIDDEN = 404


def build(world) -> None:
    users = world.users
    council, _ = Council.objects.get_or_create(name="Data Governance Council")
    Seat.objects.get_or_create(council=council, is_chair=True, defaults={"holder": users["chair"]})
    Seat.objects.get_or_create(council=council, domain=world.team.domain, defaults={"holder": users["council_member"]})
    standard = factories.StandardFactory(
        council=council, code="STD-900", kind="min_quality_score", rule={"minimum": 80}, severity="warning"
    )  # a warning: the world's draft stays publishable
    world.enf_violation = Violation.objects.create(
        product=world.product,
        standard=standard,
        rule_key="STD-900",
        message_key="q",
        message="quality score missing: STD-900 requires at least 80",
        severity="warning",
    )
    world.enf_waiver = Waiver.objects.create(
        product=world.product,
        standard_code="STD-900",
        reason="Checks arrive next sprint.",
        requested_by=users["owner"],
        expires_at=timezone.now() + timedelta(days=20),
    )
    world.enf_run = EnforcementRun.objects.create(status="running", chunks_total=2, products_total=3)


def _waiver_form(world) -> dict:
    return {"reason": "Migrating.", "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat()}


def _waiver_body(world) -> dict:
    return {
        "product": world.product.pk,
        "standard_code": "STD-900",
        "reason": "Migrating.",
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    }


CASES = [
    # Pages
    Case("governance:compliance-dashboard", lambda w: "/governance/compliance/", 200),
    Case("governance:violation-list", lambda w: "/governance/violations/?state=all", 200),
    Case(
        "governance:waiver-request",
        lambda w: f"/governance/violations/{w.enf_violation.pk}/waiver/",
        HIDDEN,
        expect={**SEES, "council_member": 403, "chair": 403},
        note="the team asks; the council sees the violation but does not ask",
    ),
    Case(
        "governance:waiver-request",
        lambda w: f"/governance/violations/{w.enf_violation.pk}/waiver/",
        HIDDEN,
        method="post",
        data=_waiver_form,
        expect={"owner": 200, "member": 200, "admin": 200, "council_member": 403, "chair": 403},
        note="form error: a waiver of STD-900 is already pending",
    ),
    Case("governance:waiver-list", lambda w: "/governance/waivers/", 200),
    Case(
        "governance:waiver-decide",
        lambda w: f"/governance/waivers/{w.enf_waiver.pk}/decide/",
        HIDDEN,
        method="post",
        data={"decision": "approve", "note": "Until the checks land."},
        expect={"chair": 302, "admin": 302, "owner": 403, "member": 403, "council_member": 403},
        note="the chair decides; the requester (owner) never",
    ),
    Case("governance:enforcement-run-list", lambda w: "/governance/enforcement/", 403, expect=RUN_WATCHERS),
    Case(
        "governance:enforcement-run-progress",
        lambda w: f"/governance/enforcement/{w.enf_run.pk}/progress/",
        403,
        expect=RUN_WATCHERS,
    ),
    Case(
        "governance:enforcement-run-start",
        lambda w: "/governance/enforcement/start/",
        403,
        method="post",
        expect={"admin": 302},
        note="a run already going is returned, not doubled",
    ),
    # API
    Case("violation-list", lambda w: "/api/v1/violations/?state=all", 200),
    Case("violation-detail", lambda w: f"/api/v1/violations/{w.enf_violation.pk}/", HIDDEN, expect=SEES),
    Case("waiver-list", lambda w: "/api/v1/waivers/", 200),
    Case(
        "waiver-list",
        lambda w: "/api/v1/waivers/",
        404,
        method="post",
        data=_waiver_body,
        expect={"owner": 400, "member": 400, "admin": 400},
        note="a foreign product answers like a missing one; the team's own already has a pending waiver",
    ),
    Case("waiver-detail", lambda w: f"/api/v1/waivers/{w.enf_waiver.pk}/", HIDDEN, expect=SEES),
    Case(
        "waiver-approve",
        lambda w: f"/api/v1/waivers/{w.enf_waiver.pk}/approve/",
        HIDDEN,
        method="post",
        data={"note": "ok"},
        expect={"chair": 200, "admin": 200, "owner": 403, "member": 403, "council_member": 403},
    ),
    Case(
        "waiver-reject",
        lambda w: f"/api/v1/waivers/{w.enf_waiver.pk}/reject/",
        HIDDEN,
        method="post",
        data={"note": "no"},
        expect={"chair": 200, "admin": 200, "owner": 403, "member": 403, "council_member": 403},
    ),
    Case("enforcement-run-list", lambda w: "/api/v1/enforcement-runs/", 403, expect=RUN_WATCHERS),
    Case("enforcement-run-detail", lambda w: f"/api/v1/enforcement-runs/{w.enf_run.pk}/", 403, expect=RUN_WATCHERS),
]
