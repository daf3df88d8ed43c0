"""Each MCP tool through the official SDK's client, as each persona: the same visibility, permission and masking
rules as the pages and the API, because the tools call the same selectors and services."""

import pytest

from glossary.models import TermRelation
from governance.enforcement.engine import products_evaluate
from portal.models import AuditEvent
from products.access.models import AccessRequest
from products.contracts.models import SchemaVersion
from products.quality.models import QualityScoreSnapshot
from tests import factories
from tests.products.access.support import clear, grant_for

pytestmark = pytest.mark.django_db

ALL_TOOLS = {
    "search_products",
    "get_product",
    "get_schema",
    "get_lineage",
    "lookup_term",
    "list_standards",
    "explain_compliance",
    "my_access",
    "request_access",
    "preview_data",
    "get_contract",
}


def test_every_tool_is_listed_with_a_description_an_input_schema_and_a_read_only_hint(agent_for, analyst):
    tools = {tool.name: tool for tool in agent_for(analyst).tools()}
    assert set(tools) == ALL_TOOLS
    for tool in tools.values():
        assert len(tool.description) > 60, tool.name
        assert tool.input_schema["type"] == "object"
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{tool.name}.{name} has no description"
        assert tool.annotations.read_only_hint is (tool.name != "request_access"), tool.name
    assert set(tools["request_access"].input_schema["required"]) == {"domain", "slug", "port", "purpose"}


def test_search_finds_visible_products_with_scores_urns_and_links(agent_for, analyst, product, draft, other_product):
    product.quality_score = 91.5
    product.save(update_fields=["quality_score"])
    product.tags.create(name="customer")
    found = agent_for(analyst).call("search_products", query="customer")
    assert not found.is_error
    [row] = [item for item in found.data["items"] if item["slug"] == "customer-360"]
    assert row["urn"] == product.urn
    assert row["url"].endswith("/products/crm/customer-360/") and row["url"].startswith("http")
    assert row["uri"] == "mesh://products/crm/customer-360"
    assert row["quality_score"] == 91.5 and row["tags"] == ["customer"]
    everything = agent_for(analyst).call("search_products")
    assert {item["slug"] for item in everything.data["items"]} == {"customer-360", "bookings"}
    by_domain = agent_for(analyst).call("search_products", domain="sales")
    assert [item["slug"] for item in by_domain.data["items"]] == ["bookings"]
    by_tag = agent_for(analyst).call("search_products", tag="customer")
    assert [item["slug"] for item in by_tag.data["items"]] == ["customer-360"]


def test_search_pages_long_lists(agent_for, analyst, team):
    for n in range(5):
        factories.DataProductFactory(owner_team=team, slug=f"p-{n}", name=f"P {n}")
    agent = agent_for(analyst)
    first = agent.call("search_products", page_size=2)
    assert len(first.data["items"]) == 2 and first.data["has_more"] and first.data["next_page"] == 2
    last = agent.call("search_products", page_size=2, page=3)
    assert len(last.data["items"]) == 1 and not last.data["has_more"] and last.data["next_page"] is None


def test_search_by_glossary_term_finds_products_linked_on_a_column(agent_for, analyst, customers, other_product):
    term = factories.TermFactory(name="Customer")
    factories.TermAliasFactory(term=term, name="Client")
    factories.TermLinkFactory(term=term, field=customers.fields.get(name="customer_id"))
    for word in ("Customer", "client"):
        found = agent_for(analyst).call("search_products", term=word)
        assert [item["slug"] for item in found.data["items"]] == ["customer-360"], word


@pytest.mark.parametrize(
    "tool,extra",
    [
        ("get_product", {}),
        ("get_schema", {}),
        ("get_lineage", {}),
        ("explain_compliance", {}),
        ("get_contract", {}),
        ("request_access", {"port": "scores", "purpose": "Churn study"}),
        ("preview_data", {"port": "scores"}),
    ],
)
def test_analyst_never_sees_a_draft_and_it_answers_like_a_missing_product(
    agent_for, analyst, owner, draft, tool, extra
):
    factories.OutputPortFactory(product=draft, name="scores")
    hidden = agent_for(analyst).call(tool, domain="crm", slug="churn-scores", **extra)
    missing = agent_for(analyst).call(tool, domain="crm", slug="no-such-product", **extra)
    assert hidden.is_error and missing.is_error
    assert hidden.text.replace("churn-scores", "X") == missing.text.replace("no-such-product", "X")
    assert "Churn Scores" not in hidden.raw
    owners = agent_for(owner).call(tool, domain="crm", slug="churn-scores", **extra)
    assert "No data product" not in owners.text  # the team finds its draft (a preview still needs a warehouse)


def test_drafts_stay_out_of_search_lineage_and_resources_for_an_analyst(agent_for, analyst, owner, product, draft):
    factories.LineageEdgeFactory(product=draft, upstream=product)
    analyst_agent = agent_for(analyst)
    assert "churn-scores" not in analyst_agent.call("search_products", status="draft").raw
    assert "churn-scores" not in analyst_agent.call("search_products").raw
    lineage = analyst_agent.call("get_lineage", domain="crm", slug="customer-360")
    assert lineage.data["downstream"] == [] and lineage.data["hidden_products"] == 1
    assert "churn-scores" not in analyst_agent.read("mesh://products")
    owners = agent_for(owner).call("get_lineage", domain="crm", slug="customer-360")
    assert [node["urn"] for node in owners.data["downstream"]] == [draft.urn]


def test_get_product_tells_owner_status_sla_quality_compliance_ports_and_consumers(
    agent_for, analyst, owner, customers, other_team
):
    product = customers.product
    product.accountable = owner
    product.availability_percent = 99.5
    product.quality_score = 88
    product.save()
    QualityScoreSnapshot.objects.create(product=product, score=88, dimensions={"completeness": 90, "validity": 86})
    factories.SubscriptionFactory(product=product, user=None, team=other_team, purpose="Forecasting")
    products_evaluate([product.pk])
    answer = agent_for(analyst).call("get_product", domain="crm", slug="customer-360").data
    assert answer["owner"] == {
        "team": "Customer Data",
        "team_slug": "customer-data",
        "accountable": {"username": "olivia", "name": owner.get_full_name()},
    }
    assert answer["status"] == "published" and answer["classification"] == "restricted"
    assert answer["sla"]["declared"] == {
        "freshness_minutes": 60,
        "completeness_percent": None,
        "availability_percent": 99.5,
    }
    assert answer["quality"]["score"] == 88.0
    assert answer["quality"]["dimensions"] == {"completeness": 90.0, "validity": 86.0}
    assert answer["compliance"]["score"] is not None and answer["compliance"]["rules_checked"] >= 4
    assert [port["name"] for port in answer["ports"]] == ["customers"] and answer["ports"][0]["columns"] == 7
    assert answer["consumers"]["items"] == [{"kind": "team", "name": "Sales Ops", "purpose": "Forecasting"}]
    assert owner.email not in answer.__repr__()


def test_get_schema_gives_types_classification_masking_and_linked_terms(agent_for, analyst, owner, customers):
    term = factories.TermFactory(name="Customer ID")
    factories.TermLinkFactory(term=term, field=customers.fields.get(name="customer_id"))
    columns = {
        column["name"]: column
        for column in agent_for(analyst)
        .call("get_schema", domain="crm", slug="customer-360")
        .data["ports"][0]["columns"]
    }
    assert list(columns) == [
        "customer_id",
        "email",
        "full_name",
        "date_of_birth",
        "country",
        "lifetime_value",
        "is_active",
    ]
    assert columns["email"]["classification"] == "pii" and columns["email"]["masked_for_you"] is True
    assert columns["country"]["masked_for_you"] is False and columns["country"]["classification"] is None
    assert columns["customer_id"]["term"]["name"] == "Customer ID"
    assert columns["customer_id"]["term"]["uri"] == f"mesh://terms/{term.pk}"
    unknown = agent_for(analyst).call("get_schema", domain="crm", slug="customer-360", port="nope")
    assert unknown.is_error and "customers" in unknown.text


def test_lookup_term_gives_definition_relations_and_where_it_is_used(agent_for, analyst, customers):
    revenue = factories.TermFactory(name="Revenue", definition="Income recognised on delivery.")
    bookings = factories.TermFactory(name="Bookings", definition="Orders taken.")
    factories.TermAliasFactory(term=revenue, name="Net revenue")
    TermRelation.objects.create(source=revenue, target=bookings, kind="differs_from", explanation="Timing.")
    factories.TermLinkFactory(term=revenue, field=customers.fields.get(name="lifetime_value"))
    factories.TermFactory(name="Revenue draft idea", status="draft")
    answer = agent_for(analyst).call("lookup_term", name="Revenue").data
    term = answer["term"]
    assert term["name"] == "Revenue" and term["definition"] == "Income recognised on delivery."
    assert term["aliases"] == [{"name": "Net revenue", "kind": "synonym"}]
    assert term["relations"] == [
        {"relation": "differs from", "term": term["relations"][0]["term"], "explanation": "Timing."}
    ]
    assert term["relations"][0]["term"]["name"] == "Bookings"
    assert term["used_by_columns"] == [
        {
            "product": customers.product.urn,
            "product_uri": "mesh://products/crm/customer-360",
            "port": "customers",
            "column": "lifetime_value",
        }
    ]
    assert "draft" not in answer.__repr__().lower()
    assert agent_for(analyst).call("lookup_term", name="Nonexistentword").is_error
    assert "Income recognised" in agent_for(analyst).read(f"mesh://terms/{revenue.pk}")


def test_list_standards_and_explain_compliance_with_fixes_for_the_team_only(agent_for, analyst, owner, product):
    factories.StandardFactory(code="STD-100", title="Quality at least 70", kind="min_quality_score", severity="warning")
    factories.StandardFactory(code="STD-101", title="Old rule", status="retired")
    products_evaluate([product.pk])
    standards = agent_for(analyst).call("list_standards").data["items"]
    assert [standard["code"] for standard in standards] == ["STD-100"]
    assert standards[0]["rule"] == {"minimum": 70} and standards[0]["url"].endswith("/governance/standards/STD-100/")
    teams = agent_for(owner).call("explain_compliance", domain="crm", slug="customer-360").data
    assert teams["violations_visible"] is True and teams["score"] < 100
    rules = {violation["rule"]: violation for violation in teams["violations"]}
    assert "STD-100" in rules and "quality" in rules["STD-100"]["how_to_fix"].lower()
    assert rules["baseline:owner"]["how_to_fix"].startswith("Set the owning team")
    analysts = agent_for(analyst).call("explain_compliance", domain="crm", slug="customer-360").data
    assert analysts["score"] == teams["score"] and analysts["violations"] == [] and not analysts["violations_visible"]


def test_request_access_is_recorded_as_the_calling_user(agent_for, analyst, customers, owner):
    answer = agent_for(analyst).call(
        "request_access",
        domain="crm",
        slug="customer-360",
        port="customers",
        purpose="Churn analysis",
        duration_days=30,
    )
    assert not answer.is_error, answer.text
    request = AccessRequest.objects.get(pk=answer.data["request"]["id"])
    assert request.requester == analyst and request.port == customers and request.status == "pending"
    assert request.purpose == "Churn analysis" and request.duration_days == 30 and request.approvals_required == 2
    assert AuditEvent.objects.filter(action="access_request.create", actor=analyst, target_id=str(request.pk)).exists()
    mine = agent_for(analyst).call("my_access").data
    assert [item["id"] for item in mine["requests"]] == [request.pk]
    decider = agent_for(owner).call("my_access").data
    assert [item["id"] for item in decider["awaiting_your_decision"]] == [request.pk]


def test_request_access_refusals_name_the_problem_and_write_nothing(agent_for, analyst, customers):
    agent = agent_for(analyst)
    blank = agent.call("request_access", domain="crm", slug="customer-360", port="customers", purpose="   ")
    assert blank.is_error and "purpose" in blank.text
    too_long = agent.call(
        "request_access", domain="crm", slug="customer-360", port="customers", purpose="x", duration_days=7
    )
    assert too_long.is_error and "duration_days" in too_long.text
    unknown_port = agent.call("request_access", domain="crm", slug="customer-360", port="orders", purpose="x")
    assert unknown_port.is_error and "customers" in unknown_port.text
    assert not AccessRequest.objects.exists()


def test_preview_is_refused_without_a_grant_and_masked_without_clearance(
    agent_for, analyst, owner, approver_pair, customers, warehouse_pii
):
    agent = agent_for(analyst)
    refused = agent.call("preview_data", domain="crm", slug="customer-360", port="customers")
    assert refused.is_error and "Request access first" in refused.text
    grant_for(analyst, customers, approvers=approver_pair, pii=True)
    masked = agent.call("preview_data", domain="crm", slug="customer-360", port="customers", limit=50)
    assert masked.data["masked"] == ["date_of_birth", "email", "full_name"]
    email = masked.data["columns"].index("email")
    assert len(masked.data["rows"]) == 50 and all(row[email].startswith("masked:") for row in masked.data["rows"])
    assert not any(value in masked.raw for value in warehouse_pii)
    oracle = agent.call("preview_data", domain="crm", slug="customer-360", port="customers", where="email", value="x")
    assert oracle.is_error and "masked" in oracle.text
    cleo = factories.UserFactory(username="cleo")
    clear(cleo)
    grant_for(cleo, customers, approvers=approver_pair, pii=True)
    cleared = agent_for(cleo).call("preview_data", domain="crm", slug="customer-360", port="customers", limit=5)
    assert cleared.data["masked"] == [] and "@example.org" in cleared.raw


def test_get_contract_gives_the_current_contract_and_the_version_history(agent_for, analyst, customers):
    SchemaVersion.objects.create(port=customers, version="1.0.0", schema=[], level="initial", summary="First")
    SchemaVersion.objects.create(port=customers, version="1.1.0", schema=[], level="additive", summary="Added country")
    answer = agent_for(analyst).call("get_contract", domain="crm", slug="customer-360").data
    assert answer["port"]["name"] == "customers"
    odcs = answer["odcs"]
    assert odcs["apiVersion"].startswith("v3.") and odcs["kind"] == "DataContract" and odcs["version"] == "1.0.0"
    assert [prop["name"] for prop in odcs["schema"][0]["properties"]][:2] == ["customer_id", "email"]
    assert all(prop.get("logicalType") for prop in odcs["schema"][0]["properties"])
    assert answer["contract"]["version"] == "1.0.0" and answer["contract"]["classification"] == "restricted"
    assert [column["name"] for column in answer["contract"]["schema"]][:2] == ["customer_id", "email"]
    assert answer["contract"]["notice_days"] >= 1
    assert [version["version"] for version in answer["versions"]["items"]] == ["1.1.0", "1.0.0"]
    assert answer["scheduled_change"] is None


def test_resources_and_prompts(agent_for, analyst, product):
    agent = agent_for(analyst)
    assert '"urn":"urn:mesh:crm:customer-360"' in agent.read("mesh://products/crm/customer-360")
    assert '"slug":"customer-360"' in agent.read("mesh://products")
    prompt = agent.prompt("find_data", need="customer churn by segment")
    assert "search_products" in prompt.messages[0].content.text
    assert (
        "crm/customer-360" in agent.prompt("check_product", domain="crm", slug="customer-360").messages[0].content.text
    )


@pytest.fixture
def approver_pair(team, owner):
    """Two access deciders of the owning team: restricted products need two approvals."""
    second = factories.UserFactory(username="april")
    factories.MembershipFactory(team=team, user=second, role="approver")
    return [owner, second]
