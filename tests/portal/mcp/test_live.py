"""The MCP server as agents reach it: the official SDK's client over streamable HTTP against uvicorn serving the
portal on a free port, and over stdio against ``manage.py mcp_serve`` in a subprocess, both on the demo data.

Tokens are made, scoped and revoked through the running portal's REST API, as a person or pipeline would."""

import json
import sqlite3

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.portal.mcp.live import REPO
from tests.portal.mcp.test_tools import ALL_TOOLS

# django_db: the live portal copies the test database, which pytest-django sets up only for tests that ask.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def http_client(site, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    return Client(streamable_http_client(site.mcp_url, http_client=http))


def stdio_client(site, key: str, **env) -> Client:
    import sys

    parameters = StdioServerParameters(
        command=sys.executable,
        args=[str(REPO / "manage.py"), "mcp_serve", "--token-env", "MESH_TOKEN"],
        env={**site.env, "MESH_TOKEN": key, **env},
        cwd=str(site.root),
    )
    return Client(parameters)


def run(work):
    return anyio.run(work)


def demo_pii(site) -> list[str]:
    conn = sqlite3.connect(site.root / "warehouse.sqlite3")
    try:
        rows = conn.execute("SELECT email, date_of_birth FROM customer_360").fetchall()
    finally:
        conn.close()
    return [value for row in rows for value in row if value]


async def _call(client, tool: str, **arguments):
    result = await client.call_tool(tool, arguments)
    text = "".join(getattr(block, "text", "") for block in result.content)
    return result.is_error, (json.loads(text) if not result.is_error else text), result.model_dump_json()


async def walk_every_tool(client) -> list[str]:
    """Call every tool on the demo data as the analyst ana and check the answers; returns every byte received."""
    received = []

    async def call(tool, **arguments):
        is_error, data, raw = await _call(client, tool, **arguments)
        received.append(raw)
        return is_error, data

    assert {tool.name for tool in (await client.list_tools()).tools} == ALL_TOOLS
    crm = {"domain": "crm", "slug": "customer-360"}
    error, found = await call("search_products", query="customer")
    assert not error and "urn:mesh:crm:customer-360" in [item["urn"] for item in found["items"]]
    error, product = await call("get_product", **crm)
    assert not error and product["owner"]["team"] == "Customer Data" and product["status"] == "published"
    assert product["owner"]["accountable"]["username"] == "carla" and product["compliance"]["score"] is not None
    error, schema = await call("get_schema", **crm)
    columns = {column["name"]: column for column in schema["ports"][0]["columns"]}
    assert columns["email"]["classification"] == "pii" and columns["email"]["masked_for_you"] is True
    error, lineage = await call("get_lineage", **crm)
    assert not error and "urn:mesh:sales:bookings" in [node.get("urn") for node in lineage["downstream"]]
    error, term = await call("lookup_term", name="Revenue")
    assert not error and term["term"]["name"] == "Revenue"
    assert "Bookings" in [relation["term"]["name"] for relation in term["term"]["relations"]]
    error, standards = await call("list_standards")
    assert not error and "STD-001" in [standard["code"] for standard in standards["items"]]
    error, compliance = await call("explain_compliance", domain="sales", slug="bookings")
    assert not error and compliance["score"] is not None and compliance["violations_visible"] is False
    error, access = await call("my_access")
    assert not error and "urn:mesh:sales:bookings" in [grant["product"] for grant in access["grants"]]
    error, rows = await call("preview_data", domain="sales", slug="bookings", port="order_lines", limit=3)
    assert not error and len(rows["rows"]) == 3 and rows["masked"] == []
    error, refused = await call("preview_data", **crm, port="customers")
    assert error and "Request access first" in refused
    error, contract = await call("get_contract", **crm)
    assert not error and [item["version"] for item in contract["versions"]["items"]] == ["2.2.0", "2.1.1", "2.1.0"]
    error, draft = await call("get_product", domain="crm", slug="churn-scores")
    assert error and "No data product at crm/churn-scores" in draft
    products = await client.read_resource("mesh://products/crm/customer-360")
    assert '"name":"Customer 360"' in products.contents[0].text
    received.append(products.contents[0].text)
    prompt = await client.get_prompt("find_data", {"need": "weekly revenue by store"})
    assert "search_products" in prompt.messages[0].content.text
    return received


def _assert_no_pii(site, received: list[str]) -> None:
    everything = "".join(received)
    assert [value for value in demo_pii(site) if value in everything] == []
    assert "@example.com" not in everything  # the demo people's own addresses


def test_streamable_http_serves_every_tool_under_the_callers_token(live_site):
    _token_id, key = live_site.token_for("ana")

    async def work():
        async with http_client(live_site, key) as client:
            received = await walk_every_tool(client)
            error, filed, _raw = await _call(
                client, "request_access", domain="finance", slug="revenue", port="daily_revenue", purpose="Store KPIs"
            )
            assert not error and filed["request"]["requester"] == "ana" and filed["request"]["status"] == "pending"
            _error, access, _raw = await _call(client, "my_access")
            mine = [item for item in access["requests"] if item["id"] == filed["request"]["id"]]
            assert mine and mine[0]["product"] == "urn:mesh:finance:revenue"
            return received

    _assert_no_pii(live_site, run(work))
    status, requests = live_site.api("GET", "/api/v1/access-requests/?status=pending", token=key)
    assert status == 200 and "Store KPIs" in [item["purpose"] for item in requests["results"]]
    assert {item["requester"] for item in requests["results"]} == {"ana"}


def test_stdio_serves_every_tool_under_the_token_in_the_environment(live_site):
    _token_id, key = live_site.token_for("ana")

    async def work():
        async with stdio_client(live_site, key) as client:
            return await walk_every_tool(client)

    _assert_no_pii(live_site, run(work))


def test_http_refuses_a_missing_an_invalid_and_a_revoked_token(live_site):
    for key in (None, "not-a-token", "mpt_" + "0" * 64):
        request = httpx2.post(
            live_site.mcp_url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={
                "Accept": "application/json, text/event-stream",
                **({"Authorization": f"Bearer {key}"} if key else {}),
            },
        )
        assert request.status_code == 401, (key, request.text)
        assert request.headers["www-authenticate"].startswith("Bearer")
    token_id, key = live_site.token_for("ana")

    async def listed():
        async with http_client(live_site, key) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    assert "search_products" in run(listed)
    status, _ = live_site.api("DELETE", f"/api/v1/tokens/{token_id}/", token=key)
    assert status == 204
    with pytest.raises(BaseException):  # noqa: B017, PT011 - the SDK raises the 401 inside a task group
        run(listed)


def test_stdio_refuses_an_invalid_token_and_a_token_revoked_mid_session(live_site):
    refused = live_site.manage("mcp_serve", "--token-env", "MESH_TOKEN", env={"MESH_TOKEN": "mpt_" + "0" * 64})
    assert refused.returncode == 1 and "invalid, expired or revoked" in refused.stderr
    token_id, key = live_site.token_for("ana")

    async def work():
        async with stdio_client(live_site, key) as client:
            before, _data, _raw = await _call(client, "search_products")
            status, _ = live_site.api("DELETE", f"/api/v1/tokens/{token_id}/", token=key)
            assert status == 204
            after, message, _raw = await _call(client, "search_products")
            return before, after, message

    before, after, message = run(work)
    assert before is False and after is True and "invalid, expired or revoked" in message


def test_read_only_token_and_read_only_mode_list_no_writing_tool_and_refuse_a_forced_call(live_site):
    _token_id, full = live_site.token_for("ana")
    status, made = live_site.api("POST", "/api/v1/tokens/", token=full, body={"name": "lookups", "read_only": True})
    assert status == 201 and made["read_only"] is True
    read_only = made["key"]
    forced_arguments = {"domain": "inventory", "slug": "inventory-levels", "port": "stock_on_hand", "purpose": "x"}

    async def work(client):
        async with client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            forced = await _call(client, "request_access", **forced_arguments)
            return names, forced

    for client in (http_client(live_site, read_only), stdio_client(live_site, full, MESH_MCP_READ_ONLY="1")):
        names, (is_error, message, _raw) = run(lambda client=client: work(client))
        assert "request_access" not in names and "search_products" in names
        assert is_error and "read-only" in message
    status, refused = live_site.api("POST", "/api/v1/tokens/", token=read_only, body={"name": "escalate"})
    assert status == 403 and "read-only" in refused["detail"]
    status, mine = live_site.api("GET", "/api/v1/access-requests/", token=read_only)
    assert status == 200 and "inventory" not in json.dumps(mine)
