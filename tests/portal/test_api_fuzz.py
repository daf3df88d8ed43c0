"""Schemathesis fuzzes the whole API in-process as an owner with a token: no server error, and answers match the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal.wsgi import application
from products.access.models import AccessRequest
from products.quality.models import Incident
from tests import factories

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


# Every check runs on every operation, with one exception on the writes whose validity JSON Schema cannot state.
# A proposal's ``rule`` holds RE2 patterns (whether a string is a valid RE2 pattern is no JSON Schema), its keys
# depend on ``standard_kind``, an amendment keeps its target standard's kind, and ``effective_from`` may not lie in
# the past. A contract is valid when the ODCS v3 standard's own JSON schema says so, and that schema's conditional
# parts (``if``/``then`` per server type and logical type, ``unevaluatedProperties``) have no OpenAPI 3.0 form.
# Schema-valid bodies the portal refuses for what they mean are 400s naming the field, which
# ``positive_data_acceptance`` reads as rejected valid data; every other check still runs on these operations.
SEMANTIC_WRITES = {
    ("POST", "/api/v1/proposals/"),
    ("PUT", "/api/v1/proposals/{id}/"),
    ("PATCH", "/api/v1/proposals/{id}/"),
    ("POST", "/api/v1/contracts/apply/"),
}


@pytest.fixture
def null_cases(owner, analyst, team, product, other_product):
    """One row of each object whose answers hold a null, visible to the owner, so that response_schema_conformance
    meets every nullable field for real (and ``test_api_schema.py`` checks the schema declares them)."""
    port = factories.OutputPortFactory(product=product, name="orders")
    council = factories.CouncilFactory()
    factories.SeatFactory(council=council, domain=None, is_chair=True)  # the chair's seat: no domain
    factories.SeatFactory(council=council, domain=team.domain, holder=owner)
    factories.ProposalFactory(council=council, author=owner)
    product.status = "published"
    product.save()
    AccessRequest.objects.create(requester=analyst, port=port, purpose="Reporting", duration_days=30)  # undecided
    factories.SubscriptionFactory(product=product, team=team, user=None)  # a team's subscription: no user
    factories.SubscriptionFactory(product=product, user=analyst)  # a person's: no team
    check = factories.QualityCheckFactory(product=product, port=None)  # a product-wide check: no port
    Incident.objects.create(product=product, kind="sla_miss", metric="freshness", summary="Late")  # no check
    Incident.objects.create(product=product, quality_check=check, kind="breach", summary="Breached")
    factories.WaiverFactory(product=product, requested_by=owner)  # undecided
    factories.TermFactory(author=None)
    return {"port": port, "council": council}


@pytest.fixture
def token(owner, product, draft, other_product, null_cases, api_token_for):
    return api_token_for(owner)


@pytest.mark.django_db
def test_the_owner_meets_every_null_case(api_for, owner, null_cases):
    """The fixtures above are seen through the API, nulls included (else the fuzz would never meet them)."""
    api = api_for(owner)

    def values(url, key):
        return [row[key] for row in api.get(url).json()["results"]]

    assert None in values("/api/v1/seats/", "domain")
    assert None in values("/api/v1/access-requests/", "decided_by")
    assert None in values("/api/v1/access-requests/", "grant")
    assert None in values("/api/v1/subscriptions/", "user") and None in values("/api/v1/subscriptions/", "team")
    assert None in values("/api/v1/quality-incidents/", "check")
    assert None in values("/api/v1/quality-checks/", "port")
    assert None in values("/api/v1/waivers/", "decided_by")
    assert None in values("/api/v1/glossary/terms/", "author")


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Requests go straight to the WSGI app, which closes "old" connections at each request's end, the test's
    own transaction included. Django's test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_with_a_server_error(case, token):
    excluded = [positive_data_acceptance] if (case.method, case.path) in SEMANTIC_WRITES else []
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=excluded)
