"""Schemathesis fuzzes the whole API in-process as an owner with a token: no server error, and answers match the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal.wsgi import application

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = application


@pytest.fixture
def token(owner, product, draft, other_product, api_token_for):
    return api_token_for(owner)


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
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        # Valid-looking ids of objects the caller may not touch are refused on purpose (404/400), which this
        # check would read as a rejected "positive" request. Every other default check runs.
        excluded_checks=[positive_data_acceptance],
    )
