"""Fixtures for the MCP server's tests.

``agent_for(user)`` drives the server with the official SDK's client in-process (``mcp.Client`` on the server built
for one API token, as ``manage.py mcp_serve`` builds it): the tool bodies run on the test's own thread and database
transaction, so the tests see and count their queries. The live transports (stdio and streamable HTTP in other
processes) are in ``test_live.py``.
"""

import json
import sqlite3
from dataclasses import dataclass

import pytest
from asgiref.sync import async_to_sync
from mcp import Client

from portal.mcp.server import build_server
from portal.services import api_token_create
from products.demo_warehouse import build
from tests import factories
from tests.products.access.support import CUSTOMER_FIELDS


@dataclass
class Outcome:
    """One tool call's answer: ``data`` parsed from the JSON text, or the error message; ``raw`` is every byte the
    agent received (text and structured content), for the PII checks."""

    is_error: bool
    data: dict
    text: str
    raw: str


class Agent:
    """An AI agent holding one API token, speaking MCP through the official client."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.server = build_server(key=key)

    def _session(self, work):
        async def main():
            async with Client(self.server, raise_exceptions=False) as client:
                return await work(client)

        return async_to_sync(main)()

    def tool_names(self) -> list[str]:
        async def work(client):
            return [tool.name for tool in (await client.list_tools()).tools]

        return self._session(work)

    def tools(self):
        async def work(client):
            return (await client.list_tools()).tools

        return self._session(work)

    def call(self, tool: str, /, **arguments) -> Outcome:
        async def work(client):
            return await client.call_tool(tool, arguments)

        result = self._session(work)
        text = "".join(getattr(block, "text", "") for block in result.content)
        raw = result.model_dump_json()
        data = {} if result.is_error else json.loads(text)
        return Outcome(is_error=bool(result.is_error), data=data, text=text, raw=raw)

    def read(self, uri: str) -> str:
        async def work(client):
            return await client.read_resource(uri)

        return "".join(getattr(item, "text", "") for item in self._session(work).contents)

    def prompt(self, name: str, **arguments):
        async def work(client):
            return await client.get_prompt(name, arguments)

        return self._session(work)


@pytest.fixture
def agent_for(db):
    """``agent_for(user, read_only=False)``: an agent holding a new API token of ``user``."""

    def make(user, *, read_only: bool = False) -> Agent:
        _token, key = api_token_create(user=user, name="agent", expires_in_days=30, read_only=read_only)
        return Agent(key)

    return make


@pytest.fixture
def warehouse(db, tmp_path):
    path = build(tmp_path / "warehouse.sqlite3")
    return factories.WarehouseFactory(name="mcp-test", engine="sqlite", path=str(path))


@pytest.fixture
def warehouse_pii(warehouse) -> list[str]:
    """Every e-mail address and date of birth in the test warehouse's customer table."""
    conn = sqlite3.connect(warehouse.path)
    try:
        rows = conn.execute("SELECT email, date_of_birth FROM customer_360").fetchall()
    finally:
        conn.close()
    return [value for row in rows for value in row if value]


@pytest.fixture
def customers(product, warehouse):
    """Customer 360 / customers: PII columns, rows in the warehouse, the tags and SLA an agent searches on."""
    product.summary = "One row per customer with contact details."
    product.classification = "restricted"
    product.save(update_fields=["summary", "classification"])
    port = factories.OutputPortFactory(product=product, name="customers", warehouse=warehouse, table="customer_360")
    for position, (name, data_type, classification) in enumerate(CUSTOMER_FIELDS):
        factories.SchemaFieldFactory(
            port=port, name=name, data_type=data_type, classification=classification, position=position
        )
    return port


@pytest.fixture(scope="session")
def live_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo portal served by uvicorn in another process (see ``tests/portal/mcp/live.py``), one per worker."""
    from tests.portal.mcp.live import live_site_start, live_site_stop

    with django_db_blocker.unblock():
        site = live_site_start(tmp_path_factory.mktemp("mcp-live"))
    try:
        yield site
    finally:
        with django_db_blocker.unblock():
            live_site_stop(site)
