"""Mesh Portal's MCP server: the tools, resources and prompts an AI agent uses, acting as the person whose API token
it holds.

Built on the official SDK (``mcp.server.mcpserver.MCPServer``). Every tool is a thin async wrapper that hands its
validated arguments to ``portal.mcp.calls.call_run`` (token, read-only gate, rate limit, audit) in a thread of its
own; the work itself is done by the apps' selectors and services, so each permission, visibility and masking rule is
the one the pages and the API apply. ``build_server()`` makes the streamable HTTP server (bearer tokens, see
``portal.mcp.http``); ``build_server(key=…)`` one bound to a single token, for stdio.
"""

import json
from typing import Annotated, Literal

from mcp.server.caching import CacheHint
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.prompts.base import UserMessage
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_REQUEST, CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from portal import outage
from portal.mcp import access, catalog, contracts, glossary, governance
from portal.mcp.auth import ApiTokenVerifier, NotAuthenticated, caller_authenticate
from portal.mcp.calls import CallRefused, call_run
from portal.mcp.orm import in_django

INSTRUCTIONS = """Mesh Portal is a data mesh catalog. You act as the person whose API token you hold, with their
permissions: you see what they may see, and personal data stays masked unless they are cleared for it.
Find data with search_products (words, domain, tag or glossary term), then read get_product, get_schema,
get_lineage and get_contract. lookup_term explains business vocabulary; list_standards and explain_compliance explain
governance. my_access lists the person's grants and requests; request_access asks an owner for access to a port
(say what the data is for); preview_data shows a few rows once access is granted. Products are addressed by
domain and slug (e.g. crm / customer-360); results carry URNs, page URLs and mesh:// resource URIs."""

WRITING_TOOLS = frozenset({"request_access"})
READING = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITING = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
# What an agent may list differs by token (read-only or not): never shared between callers, never kept.
NOT_CACHED = CacheHint(ttl_ms=0, scope="private")

Domain = Annotated[str, Field(description="The product's domain slug, e.g. crm.", max_length=50)]
Slug = Annotated[str, Field(description="The product's slug within its domain, e.g. customer-360.", max_length=80)]
PortName = Annotated[str, Field(description="An output port's name, as get_product lists them.", max_length=100)]
Page = Annotated[int, Field(description="1-based page number.", ge=1, le=10_000)]


class PortalMCP(MCPServer):
    """The SDK's server, told who calls: a bearer token over HTTP, or the one token it was started with (stdio).
    Read-only callers are not shown the writing tools."""

    def __init__(self, *, key: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fixed_key = key
        self.transport = "stdio" if key else "http"

    def caller_key(self) -> str | None:
        if self.fixed_key:
            return self.fixed_key
        from mcp.server.auth.middleware.auth_context import get_access_token

        access_token = get_access_token()
        return access_token.token if access_token else None

    async def list_tools(self):
        tools = await super().list_tools()
        key = self.caller_key()
        try:
            read_only = await in_django(lambda: caller_authenticate(key).read_only)
        except NotAuthenticated as error:
            raise MCPError(code=INVALID_REQUEST, message=str(error)) from None
        except outage.UNAVAILABLE_ERRORS:
            raise MCPError(code=INTERNAL_ERROR, message=outage.MESSAGE) from None
        return [tool for tool in tools if not (read_only and tool.name in WRITING_TOOLS)]


async def _answer(ctx: Context, tool: str, run, **arguments) -> CallToolResult:
    server: PortalMCP = ctx.mcp_server
    try:
        answer = await in_django(
            call_run,
            key=server.caller_key(),
            tool=tool,
            arguments=arguments,
            run=lambda caller: run(caller, **arguments),
            writes=tool in WRITING_TOOLS,
            transport=server.transport,
        )
    except CallRefused as refusal:
        raise ToolError(refusal.message) from None
    return CallToolResult(
        content=[TextContent(type="text", text=answer.text)], structured_content=json.loads(answer.text)
    )


async def _read(server: "PortalMCP", resource: str, run, **arguments) -> str:
    try:
        answer = await in_django(
            call_run,
            key=server.caller_key(),
            tool=resource,
            arguments=arguments,
            run=lambda caller: run(caller, **arguments),
            transport=server.transport,
        )
    except CallRefused as refusal:
        if refusal.reason == "not_found":
            raise ResourceNotFoundError(refusal.message) from None
        raise ResourceError(refusal.message) from None
    return answer.text


# --- tools ---------------------------------------------------------------------------------------------------------


async def search_products(
    ctx: Context,
    query: Annotated[
        str, Field(description="Words to search names, summaries, docs, tags and column names.", max_length=200)
    ] = "",
    domain: Annotated[str, Field(description="Only this domain (slug, e.g. sales).", max_length=50)] = "",
    tag: Annotated[str, Field(description="Only products with this tag.", max_length=50)] = "",
    term: Annotated[
        str, Field(description="Only products linked to this glossary term (name or synonym).", max_length=150)
    ] = "",
    status: Annotated[
        Literal["", "published", "deprecated", "retired", "draft"],
        Field(description="Only this lifecycle status (empty: any you may see)."),
    ] = "",
    page: Page = 1,
    page_size: Annotated[int, Field(description="Results per page (at most 50).", ge=1, le=50)] = 10,
) -> CallToolResult:
    """Find data products you may see, best match first, with their quality and compliance scores. Filter by words,
    domain, tag, glossary term or status; an empty call lists the catalog A–Z. Paginated (has_more, next_page)."""
    return await _answer(
        ctx,
        "search_products",
        catalog.search_products,
        query=query,
        domain=domain,
        tag=tag,
        term=term,
        status=status,
        page=page,
        page_size=page_size,
    )


async def get_product(ctx: Context, domain: Domain, slug: Slug) -> CallToolResult:
    """One data product: owner and accountable person, status, documentation (Markdown), declared SLAs and how well
    they are met, quality score by dimension, compliance score, output ports and consumers."""
    return await _answer(ctx, "get_product", catalog.get_product, domain=domain, slug=slug)


async def get_schema(
    ctx: Context,
    domain: Domain,
    slug: Slug,
    port: Annotated[str, Field(description="Only this port (empty: every port).", max_length=100)] = "",
) -> CallToolResult:
    """The columns of a product's output ports: name, type, nullability, primary key, classification (PII …),
    whether the column is masked for you, its description and the glossary term linked to it."""
    return await _answer(ctx, "get_schema", catalog.get_schema, domain=domain, slug=slug, port=port)


async def get_lineage(
    ctx: Context,
    domain: Domain,
    slug: Slug,
    depth: Annotated[int, Field(description="How many hops to follow (1–5).", ge=1, le=5)] = 2,
    direction: Annotated[
        Literal["both", "upstream", "downstream"], Field(description="Which side of the product to trace.")
    ] = "both",
) -> CallToolResult:
    """Where a product's data comes from (upstream products and external sources) and which products read it
    (downstream), hop by hop. Products you may not see are left out and counted in hidden_products."""
    return await _answer(
        ctx, "get_lineage", catalog.get_lineage, domain=domain, slug=slug, depth=depth, direction=direction
    )


async def lookup_term(
    ctx: Context,
    name: Annotated[str, Field(description="A business term, synonym or abbreviation, e.g. Revenue.", max_length=150)],
) -> CallToolResult:
    """Look a word up in the business glossary: the best match's definition, examples, synonyms, relations to other
    terms (e.g. Revenue differs from Bookings) and the products and columns that use it; other matches by name."""
    return await _answer(ctx, "lookup_term", glossary.lookup_term, name=name)


async def list_standards(
    ctx: Context,
    kind: Annotated[
        Literal[
            "",
            "naming_convention",
            "min_quality_score",
            "required_classification",
            "sla_template",
            "required_metadata",
            "notice_period",
        ],
        Field(description="Only standards of this kind (empty: all)."),
    ] = "",
    page: Page = 1,
    page_size: Annotated[int, Field(description="Standards per page (at most 50).", ge=1, le=50)] = 20,
) -> CallToolResult:
    """The governance standards in force: code, version, title, kind, severity (blocker or warning), the
    machine-checked rule, and when they took effect. Paginated."""
    return await _answer(ctx, "list_standards", governance.list_standards, kind=kind, page=page, page_size=page_size)


async def explain_compliance(ctx: Context, domain: Domain, slug: Slug) -> CallToolResult:
    """Why a product does or does not comply with the standards: its compliance score and, for its team, the council
    and admins, each open violation with the rule, its severity and how to fix it."""
    return await _answer(ctx, "explain_compliance", governance.explain_compliance, domain=domain, slug=slug)


async def my_access(ctx: Context) -> CallToolResult:
    """Your access to data: grants (port, expiry, whether PII is unmasked, renewable), your access requests and
    their status, your clearances, and requests waiting for your decision."""
    return await _answer(ctx, "my_access", access.my_access)


async def request_access(
    ctx: Context,
    domain: Domain,
    slug: Slug,
    port: PortName,
    purpose: Annotated[
        str,
        Field(description="What you need the data for; the owner reads this to decide.", min_length=1, max_length=2000),
    ],
    duration_days: Annotated[
        Literal[30, 90, 365], Field(description="How long the access should last (restricted products: 90 at most).")
    ] = 90,
    wants_unmasked_pii: Annotated[
        bool, Field(description="Ask to see personal data in clear; only granted to holders of a GDPR clearance.")
    ] = False,
) -> CallToolResult:
    """Ask for access to a published product's output port, in your name, with a purpose and a duration. An owner or
    access approver of the product's team decides (restricted products need two); my_access shows the outcome."""
    return await _answer(
        ctx,
        "request_access",
        access.request_access,
        domain=domain,
        slug=slug,
        port=port,
        purpose=purpose,
        duration_days=duration_days,
        wants_unmasked_pii=wants_unmasked_pii,
    )


async def preview_data(
    ctx: Context,
    domain: Domain,
    slug: Slug,
    port: PortName,
    limit: Annotated[int, Field(description="How many rows (1–50).", ge=1, le=50)] = 10,
    ordering: Annotated[str, Field(description="Sort by a column; -column for descending.", max_length=65)] = "",
    where: Annotated[str, Field(description="Filter: a column that must equal value.", max_length=64)] = "",
    value: Annotated[str, Field(description="The value the where column must equal.", max_length=500)] = "",
) -> CallToolResult:
    """A few rows of a port's table, exactly as the data preview shows them to you: classified columns masked unless
    you hold the clearance and an unmasked grant. Needs a live access grant on the port (or membership of the owning
    team); masked columns cannot be used to filter or sort."""
    return await _answer(
        ctx,
        "preview_data",
        access.preview_data,
        domain=domain,
        slug=slug,
        port=port,
        limit=limit,
        ordering=ordering,
        where=where,
        value=value,
    )


async def get_contract(
    ctx: Context,
    domain: Domain,
    slug: Slug,
    port: Annotated[str, Field(description="The port (empty: the product's first port).", max_length=100)] = "",
    page: Page = 1,
    page_size: Annotated[int, Field(description="Schema versions per page (at most 50).", ge=1, le=50)] = 10,
) -> CallToolResult:
    """What a port promises its consumers: its current schema and version, classification, service levels, the
    notice period before breaking changes, a scheduled change if one waits, and its schema version history."""
    return await _answer(
        ctx, "get_contract", contracts.get_contract, domain=domain, slug=slug, port=port, page=page, page_size=page_size
    )


TOOLS = [
    ("Search the catalog", search_products),
    ("Read a data product", get_product),
    ("Read a product's schema", get_schema),
    ("Trace lineage", get_lineage),
    ("Look up a glossary term", lookup_term),
    ("List the standards in force", list_standards),
    ("Explain a product's compliance", explain_compliance),
    ("My access", my_access),
    ("Request access to a port", request_access),
    ("Preview a port's data", preview_data),
    ("Read a port's contract", get_contract),
]


# --- resources and prompts -----------------------------------------------------------------------------------------


async def product_resource(domain: str, slug: str, ctx: Context) -> str:
    """A data product as get_product answers it."""
    return await _read(ctx.mcp_server, "resource:product", catalog.get_product, domain=domain, slug=slug)


async def term_resource(term_id: str, ctx: Context) -> str:
    """A glossary term with its relations and where it is used."""
    if not term_id.isdigit() or len(term_id) > 18:
        raise ResourceNotFoundError(f"No glossary term {term_id[:20]}.")
    return await _read(ctx.mcp_server, "resource:term", _term, term_id=int(term_id))


def _term(caller, *, term_id: int) -> dict:
    return glossary.term_detail(caller, glossary.term_by_id(caller, term_id))


def catalog_resource(server: PortalMCP):
    async def read() -> str:
        """The first 50 data products you may see, A–Z (search_products pages through the rest)."""
        return await _read(server, "resource:catalog", catalog.search_products, page_size=50)

    return read


def find_data(
    need: Annotated[str, Field(description="What the data is for, in a sentence (e.g. churn by customer segment).")],
) -> list:
    return [
        UserMessage(
            f"I need data for: {need}\n\n"
            "Use the Mesh Portal tools. First search_products with the key words (and lookup_term for business words "
            "you are not sure of, then search_products with term=). For the two or three best candidates call "
            "get_product and get_schema, and say for each: what it holds, who owns it, its status, its quality and "
            "compliance scores, and whether its columns fit the need (note classified, masked columns). Check "
            "my_access for access I already have. If I lack access to the best fit, propose a request_access with "
            "a one-sentence purpose, but do not file it until I agree."
        )
    ]


def check_product(domain: Domain, slug: Slug) -> list:
    return [
        UserMessage(
            f"Review the data product {domain}/{slug} in Mesh Portal before I rely on it. Call get_product, "
            "explain_compliance, get_lineage (upstream) and get_contract. Tell me plainly: is it published and "
            "owned, are its SLAs met, what is its quality by dimension, which standards does it break and how "
            "would the owners fix them, are any of its inputs deprecated, and does a breaking change wait?"
        )
    ]


def build_server(*, key: str | None = None) -> PortalMCP:
    """The MCP server: for streamable HTTP (callers authenticate with a bearer API token) or, given ``key``, bound
    to that one API token (stdio, in-process clients)."""
    from django.conf import settings
    from mcp.server.auth.settings import AuthSettings

    hints = dict.fromkeys(("tools/list", "resources/list", "prompts/list"), NOT_CACHED)
    options: dict = {"name": "mesh-portal", "title": "Mesh Portal", "instructions": INSTRUCTIONS}
    options["website_url"] = settings.MESH_SITE_URL
    if key is None:
        options["token_verifier"] = ApiTokenVerifier()
        options["auth"] = AuthSettings(issuer_url=settings.MESH_SITE_URL, resource_server_url=None)
    server = PortalMCP(key=key, cache_hints=hints, log_level="WARNING", **options)
    for title, function in TOOLS:
        annotations = WRITING if function.__name__ in WRITING_TOOLS else READING
        server.add_tool(function, title=title, annotations=annotations, structured_output=False)
    server.resource(
        "mesh://products/{domain}/{slug}", name="product", title="Data product", mime_type="application/json"
    )(product_resource)
    server.resource("mesh://terms/{term_id}", name="term", title="Glossary term", mime_type="application/json")(
        term_resource
    )
    server.resource(
        "mesh://products",
        name="catalog",
        title="The catalog",
        description="The first 50 data products you may see, A–Z.",
        mime_type="application/json",
    )(catalog_resource(server))
    server.prompt(
        name="find_data",
        title="Find data for a need",
        description="Find the data products that fit a need, check their fit and your access, propose a request.",
    )(find_data)
    server.prompt(
        name="check_product",
        title="Check a product before relying on it",
        description="Review a product's status, SLAs, quality, compliance, lineage and contract.",
    )(check_product)
    return server
