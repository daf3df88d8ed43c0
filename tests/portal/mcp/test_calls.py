"""The door every MCP call goes through: tokens (invalid, expired, revoked, a deactivated user), read-only mode, the
audit trail, the rate limit, no raw PII in any answer or error, and a fixed number of queries per call."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.enforcement.engine import products_evaluate
from portal.models import ApiToken, AuditEvent
from portal.services import api_token_revoke
from products.access.models import AccessRequest
from tests import factories
from tests.portal.mcp.conftest import Agent
from tests.products.access.support import grant_for

pytestmark = pytest.mark.django_db


def _messages(error: BaseException) -> str:
    """Every message in an exception and the groups it may sit in (the client's task group wraps MCP errors)."""
    return " ".join([str(error), *(_messages(inner) for inner in getattr(error, "exceptions", ()))])


def _refused_everything(agent: Agent) -> None:
    with pytest.raises(BaseException) as refused:  # noqa: PT011 - the client raises the MCP error in a group
        agent.tool_names()
    assert "invalid, expired or revoked" in _messages(refused.value)
    answer = agent.call("search_products")
    assert answer.is_error and "invalid, expired or revoked" in answer.text


def test_an_unknown_token_is_refused(db):
    _refused_everything(Agent("mpt_" + "0" * 64))


def test_a_revoked_token_is_refused_at_its_next_call(agent_for, analyst, product):
    agent = agent_for(analyst)
    assert not agent.call("search_products").is_error
    api_token_revoke(actor=analyst, token=ApiToken.objects.get(user=analyst))
    _refused_everything(agent)


def test_an_expired_token_and_a_deactivated_users_token_are_refused(agent_for, analyst, member, product):
    expired = agent_for(analyst)
    ApiToken.objects.filter(user=analyst).update(expiry=timezone.now() - timedelta(seconds=1))
    _refused_everything(expired)
    leaver = agent_for(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    _refused_everything(leaver)


def test_a_read_only_token_lists_no_writing_tool_and_a_forced_call_is_refused(agent_for, analyst, customers):
    agent = agent_for(analyst, read_only=True)
    assert "request_access" not in agent.tool_names()
    assert "search_products" in agent.tool_names()
    forced = agent.call("request_access", domain="crm", slug="customer-360", port="customers", purpose="Churn")
    assert forced.is_error and "read-only" in forced.text
    assert not AccessRequest.objects.exists()
    refusal = AuditEvent.objects.get(action="mcp.call", to_state="read_only")
    assert refusal.actor == analyst and refusal.data["tool"] == "request_access"
    assert not agent.call("get_product", domain="crm", slug="customer-360").is_error


def test_read_only_mode_of_the_portal_hides_writing_tools_from_every_token(agent_for, analyst, customers, settings):
    settings.MESH_MCP_READ_ONLY = True
    agent = agent_for(analyst)
    assert "request_access" not in agent.tool_names()
    forced = agent.call("request_access", domain="crm", slug="customer-360", port="customers", purpose="Churn")
    assert forced.is_error and "read-only" in forced.text
    assert not AccessRequest.objects.exists()
    settings.MESH_MCP_READ_ONLY = False
    assert "request_access" in agent.tool_names()


def test_every_call_is_audited_with_user_tool_arguments_and_size_never_the_token(agent_for, analyst, product):
    agent = agent_for(analyst)
    answer = agent.call("search_products", query="customer", page_size=5)
    missing = agent.call("get_product", domain="crm", slug="nope")
    rows = list(AuditEvent.objects.filter(action="mcp.call").order_by("pk"))
    assert [(row.actor, row.data["tool"], row.to_state) for row in rows] == [
        (analyst, "search_products", "ok"),
        (analyst, "get_product", "not_found"),
    ]
    assert rows[0].data["arguments"]["query"] == "customer" and rows[0].data["arguments"]["page_size"] == 5
    assert rows[0].data["result_bytes"] == len(answer.text.encode()) > 0
    assert rows[0].target_type == "portal.apitoken" and rows[0].data["transport"] == "stdio"
    assert missing.is_error
    for row in rows:
        assert agent.key not in str(row.data) and agent.key[15:] not in row.target_label


def test_audit_rows_keep_free_text_as_its_length_only(agent_for, analyst, customers):
    agent = agent_for(analyst)
    agent.call("preview_data", domain="crm", slug="customer-360", port="customers", where="email", value="a@b.example")
    agent.call("request_access", domain="crm", slug="customer-360", port="customers", purpose="Churn for Jane Doe")
    rows = {row.data["tool"]: row.data["arguments"] for row in AuditEvent.objects.filter(action="mcp.call")}
    assert rows["preview_data"]["value"] == "<11 characters>" and rows["preview_data"]["where"] == "email"
    assert rows["request_access"]["purpose"] == "<18 characters>"


def test_calls_beyond_the_rate_limit_are_refused_until_the_minute_is_over(agent_for, analyst, product, settings):
    settings.MESH_MCP_RATE_LIMIT = 3
    agent = agent_for(analyst)
    assert [agent.call("search_products").is_error for _ in range(3)] == [False, False, False]
    limited = agent.call("search_products")
    assert limited.is_error and "3 calls a minute" in limited.text
    assert AuditEvent.objects.filter(action="mcp.call", to_state="rate_limited").count() == 1
    assert not agent_for(analyst).call("search_products").is_error  # counted per token


def test_no_raw_pii_reaches_an_uncleared_analyst_in_any_answer_or_error(
    agent_for, analyst, owner, team, customers, warehouse_pii
):
    """The demo warehouse's e-mail addresses and dates of birth, and the people's own e-mail addresses, appear in
    no byte an uncleared analyst's agent receives: search, product, schema, preview (masked), lineage, contract,
    compliance, access, refused filters and errors."""
    approver = factories.UserFactory(username="april")
    factories.MembershipFactory(team=team, user=approver, role="approver")
    product = customers.product
    product.accountable = owner
    product.save(update_fields=["accountable"])
    products_evaluate([product.pk])
    grant_for(analyst, customers, approvers=[owner, approver], pii=True)
    agent = agent_for(analyst)
    sample = warehouse_pii[0]
    where = {"domain": "crm", "slug": "customer-360"}
    answers = [
        agent.call("search_products", query=sample),
        agent.call("search_products", query="customer"),
        agent.call("get_product", **where),
        agent.call("get_schema", **where),
        agent.call("get_lineage", **where),
        agent.call("get_contract", **where),
        agent.call("explain_compliance", **where),
        agent.call("my_access"),
        agent.call("preview_data", **where, port="customers", limit=50),
        agent.call("preview_data", **where, port="customers", limit=50, ordering="-date_of_birth"),
        agent.call("preview_data", **where, port="customers", where="email", value=sample),
        agent.call("preview_data", **where, port="customers", where="country", value="DE"),
        agent.call("request_access", **where, port="customers", purpose="More", wants_unmasked_pii=True),
    ]
    assert answers[0].data["items"] == []  # rows' values are not in the search index
    assert answers[8].data["rows"] and answers[11].data["rows"]
    # Every byte received, but the search that echoes back what the analyst typed in it:
    received = "".join(answer.raw for answer in answers[1:]) + agent.read("mesh://products/crm/customer-360")
    assert [value for value in warehouse_pii if value in received] == []
    assert owner.email not in received and analyst.email not in received and "@example.com" not in received


def _query_count(agent: Agent, tool: str, **arguments) -> int:
    agent.call(tool, **arguments)  # warm: the token's last use is written at most once a minute
    with CaptureQueriesContext(connection) as queries:
        answer = agent.call(tool, **arguments)
    assert not answer.is_error, answer.text
    return len(queries)


def _grow_catalog(team, other_team, n: int, *, hub, batch: str) -> None:
    for i in range(n):
        product = factories.DataProductFactory(
            owner_team=team if i % 2 else other_team,
            slug=f"{batch}-{i}",
            name=f"Grown customer {i}",
            tags=["customer"],
        )
        factories.OutputPortFactory(product=product, name="rows")
        factories.SubscriptionFactory(product=hub, user=factories.UserFactory())
        factories.LineageEdgeFactory(product=product, upstream=hub)
        products_evaluate([product.pk])


def test_search_and_get_product_cost_the_same_queries_whatever_the_catalog_size(
    agent_for, analyst, team, other_team, customers
):
    hub = customers.product
    agent = agent_for(analyst)
    _grow_catalog(team, other_team, 3, hub=hub, batch="small")
    small = (
        _query_count(agent, "search_products", query="customer", page_size=50),
        _query_count(agent, "search_products", tag="customer", page_size=50),
        _query_count(agent, "get_product", domain="crm", slug="customer-360"),
    )
    _grow_catalog(team, other_team, 60, hub=hub, batch="large")
    large = (
        _query_count(agent, "search_products", query="customer", page_size=50),
        _query_count(agent, "search_products", tag="customer", page_size=50),
        _query_count(agent, "get_product", domain="crm", slug="customer-360"),
    )
    print("queries per call (search by words, search by tag, get_product):", small, large)
    assert small == large, (small, large)
    assert max(large) <= 30, large


DATABASE_DOWN = "connection to server at 10.0.0.7 failed: password authentication failed for user mesh"


def _database_down(*args, **kwargs):
    from django.db import OperationalError

    raise OperationalError(DATABASE_DOWN)


def test_a_call_while_the_database_is_away_says_so_and_names_nothing_of_the_error(agent_for, analyst, monkeypatch):
    agent = agent_for(analyst)
    monkeypatch.setattr("portal.mcp.calls.caller_authenticate", _database_down)
    answer = agent.call("search_products")
    assert answer.is_error and "database is unavailable for a moment" in answer.text
    assert "10.0.0.7" not in answer.raw and "password" not in answer.raw
    monkeypatch.setattr("portal.mcp.server.caller_authenticate", _database_down)
    with pytest.raises(BaseException) as refused:  # noqa: PT011 - the client raises the MCP error in a group
        agent.tool_names()
    assert "database is unavailable" in _messages(refused.value) and "10.0.0.7" not in _messages(refused.value)


def test_http_answers_a_json_503_while_the_database_is_away(monkeypatch):
    from starlette.testclient import TestClient

    from portal.mcp.http import MCP_PATH, mcp_asgi_app

    monkeypatch.setattr("portal.mcp.auth.caller_authenticate", _database_down)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": "Bearer mpt_" + "1" * 64, "Accept": "application/json, text/event-stream"}
    with TestClient(mcp_asgi_app(), base_url="http://localhost", raise_server_exceptions=False) as client:
        response = client.post(MCP_PATH, json=body, headers=headers)
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0 and response.headers["Cache-Control"] == "no-store"
    assert "unavailable" in response.json()["detail"] and "10.0.0.7" not in response.text
