"""The portal's records about ports, gathered for their ODCS documents (``odcs_write.document_build``).

``port_documents(ports)`` costs a fixed number of queries whatever the number of ports, columns and checks. It
never writes a credential: a PostgreSQL warehouse is named by host, port, database and schema (read from its
connection string, whose user and password stay out), a SQLite one by its file's name.

Other apps add authoritative definitions to columns (the glossary: the approved term linked to a column) through
``column_definitions_register``.
"""

import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from products.contracts import odcs, odcs_write
from products.contracts.models import PortContract
from products.models import Classification, Membership, OutputPort, SchemaField
from products.quality.models import QualityCheck
from products.warehouse import WarehouseError, split_table

# Each source: ``definitions(field_ids) -> {field_id: [authoritative definition, …]}`` and ``owns(definition)``,
# true for a definition the source writes itself (left out when a document is stored, written afresh on export).
_definition_sources: list[tuple[Callable, Callable]] = []


def column_definitions_register(*, definitions: Callable, owns: Callable) -> None:
    if (definitions, owns) not in _definition_sources:
        _definition_sources.append((definitions, owns))


def portal_definition(item: dict) -> bool:
    return any(owns(item) for _definitions, owns in _definition_sources)


def absolute_url(path: str) -> str:
    """A link for documents that leave the portal (``MESH_BASE_URL`` + path)."""
    return settings.MESH_BASE_URL.rstrip("/") + path


def contract_id(port: OutputPort) -> str:
    return f"{port.product.urn}:{port.name}"


def _server(port: OutputPort) -> dict | None:
    warehouse = port.warehouse
    if warehouse is None:
        return None
    try:
        schema, _table = split_table(port.table) if port.table else (None, "")
    except WarehouseError:
        schema = None
    if warehouse.engine == warehouse.Engine.SQLITE:
        return {
            "server": warehouse.name,
            "type": "custom",
            "format": "sqlite",
            "database": Path(warehouse.path).name,
            "description": "SQLite warehouse.",
        }
    info = {}
    try:
        import psycopg

        info = psycopg.conninfo.conninfo_to_dict(os.environ.get(warehouse.dsn_env or "", ""))
    except Exception:  # an unset or unreadable connection string: named without a host
        info = {}
    if not info.get("host") or not info.get("dbname"):
        return {
            "server": warehouse.name,
            "type": "custom",
            "schema": schema or "public",
            "description": "PostgreSQL warehouse (its connection is not configured on this portal).",
        }
    port_number = str(info.get("port") or "5432").split(",")[0]
    return {
        "server": warehouse.name,
        "type": "postgresql",
        "host": str(info["host"]),
        "port": int(port_number) if port_number.isdigit() else port_number,
        "database": str(info["dbname"]),
        "schema": schema or "public",
    }


_OPERATORS = {
    ">=": "mustBeGreaterOrEqualTo",
    ">": "mustBeGreaterThan",
    "<=": "mustBeLessOrEqualTo",
    "<": "mustBeLessThan",
    "=": "mustBe",
    "!=": "mustNotBe",
}


def check_rule(check: QualityCheck) -> dict | None:
    """A quality check as an ODCS quality rule (its id marks it as the portal's), or None for a kind ODCS cannot
    say."""
    rule = {
        "id": f"{odcs.PORTAL_RULE_PREFIX}{check.pk}",
        "name": check.name,
        "dimension": check.dimension,
        "severity": "error" if check.severity == QualityCheck.Severity.BLOCKER else "warning",
    }
    params = check.params or {}
    kind = check.kind
    if kind == QualityCheck.Kind.ROW_COUNT:
        low, high = params.get("min_rows"), params.get("max_rows")
        rule.update(type="library", metric="rowCount", unit="rows")
        if low is not None and high is not None and low != high:
            rule["mustBeBetween"] = [low, high]
        elif low is not None and high is not None:
            rule["mustBe"] = low
        elif high is not None:
            rule["mustBeLessOrEqualTo"] = high
        else:
            rule["mustBeGreaterOrEqualTo"] = low or 0
    elif kind == QualityCheck.Kind.COMPLETENESS:
        rule.update(type="library", metric="nullValues", unit="percent")
        rule["mustBeLessOrEqualTo"] = round(100 - float(params.get("min_percent", 100)), 4)
    elif kind == QualityCheck.Kind.UNIQUENESS:
        rule.update(type="library", metric="duplicateValues", unit="rows")
        rule["mustBeLessOrEqualTo"] = params.get("max_duplicates", 0)
    elif kind == QualityCheck.Kind.ACCEPTED_VALUES:
        rule.update(type="library", metric="invalidValues", arguments={"validValues": list(params.get("values", []))})
        rule["mustBe"] = 0
    elif kind == QualityCheck.Kind.CUSTOM_SQL:
        rule.update(type="sql", query=str(params.get("sql", "")).replace("{table}", "${table}"))
        rule[_OPERATORS.get(params.get("operator"), "mustBe")] = params.get("threshold", 0)
    elif kind == QualityCheck.Kind.FRESHNESS:
        rule.update(
            type="custom",
            engine="mesh-portal",
            implementation={"check": "freshness", "maxAgeMinutes": params.get("max_age_minutes")},
            description=f"The newest {check.column} is at most {params.get('max_age_minutes')} minutes old.",
        )
    else:
        rule.update(type="text", description="Results are pushed by the product's pipeline.")
    return rule


def _team(product) -> dict:
    members = [
        {
            "username": membership.user.username,
            "name": membership.user.get_full_name() or membership.user.username,
            "role": membership.get_role_display(),
        }
        for membership in sorted(
            product.owner_team.memberships.all(), key=lambda m: (m.role != "owner", m.user.username)
        )
        if membership.user.is_active
    ]
    team = {"name": product.owner_team.name}
    if members:
        team["members"] = members
    return team


def _roles(product, port) -> list[dict]:
    approvers = f"{product.owner_team.name}: owners and access approvers"
    role = {
        "role": f"{port.name}_reader",
        "access": "read",
        "description": "Ask for access on Mesh Portal with a purpose and a duration; masked columns stay masked "
        "without a clearance.",
        "firstLevelApprovers": approvers,
    }
    if product.classification == Classification.RESTRICTED:
        role["secondLevelApprovers"] = f"{approvers} (a second one: restricted data)"
    return [role]


def ports_prefetched(queryset):
    """What ``port_documents`` reads, fetched with ``queryset``: a fixed number of queries."""
    return queryset.select_related("product__domain", "product__owner_team", "warehouse", "contract").prefetch_related(
        Prefetch("fields", queryset=SchemaField.objects.order_by("position", "pk")),
        Prefetch("quality_checks", queryset=QualityCheck.objects.filter(enabled=True).order_by("name", "pk")),
        "product__tags",
        Prefetch("product__owner_team__memberships", queryset=Membership.objects.select_related("user")),
    )


def port_facts(port: OutputPort, definitions: dict) -> odcs_write.PortFacts:
    product = port.product
    columns = [
        {
            "name": f.name,
            "data_type": f.data_type,
            "nullable": f.nullable,
            "primary_key": f.primary_key,
            "classification": f.classification,
            "description": f.description,
        }
        for f in port.fields.all()
    ]
    names = {column["name"] for column in columns}
    object_rules, column_rules, unique = [], {}, set()
    for check in port.quality_checks.all():
        rule = check_rule(check)
        if check.column and check.column in names:
            column_rules.setdefault(check.column, []).append(rule)
            if check.kind == QualityCheck.Kind.UNIQUENESS and not (check.params or {}).get("max_duplicates"):
                unique.add(check.column)
        else:
            object_rules.append(rule)
    return odcs_write.PortFacts(
        contract_id=contract_id(port),
        product_urn=product.urn,
        product_name=product.name,
        product_slug=product.slug,
        product_status=product.status,
        product_summary=product.summary,
        product_classification=product.classification,
        product_url=absolute_url(product.get_absolute_url()),
        contract_url=absolute_url(
            reverse("products:port-contract", args=[product.domain.slug, product.slug, port.pk, "yaml"])
        ),
        domain_slug=product.domain.slug,
        domain_name=product.domain.name,
        port_name=port.name,
        kind=port.kind,
        description=port.description,
        location=port.location,
        table=port.table,
        version=port.version,
        columns=columns,
        sla={
            "freshness_minutes": product.freshness_minutes,
            "completeness_percent": product.completeness_percent,
            "availability_percent": product.availability_percent,
            "retention_days": product.retention_days,
        },
        tags=[tag.name for tag in product.tags.all()],
        team=_team(product),
        roles=_roles(product, port),
        server=_server(port),
        object_rules=object_rules,
        column_rules=column_rules,
        unique_columns=unique,
        definitions={f.name: definitions[f.pk] for f in port.fields.all() if definitions.get(f.pk)},
    )


def port_documents(ports) -> list[dict]:
    """The ODCS document of each port in ``ports`` (prefetched with ``ports_prefetched``), in order."""
    ports = list(ports)
    field_ids = [f.pk for port in ports for f in port.fields.all()]
    definitions: dict = {}
    for source, _owns in _definition_sources:
        for field_id, items in source(field_ids).items():
            definitions.setdefault(field_id, []).extend(items)
    documents = []
    for port in ports:
        try:
            stored = port.contract.document
        except PortContract.DoesNotExist:
            stored = None
        documents.append(odcs_write.document_build(port_facts(port, definitions), stored))
    return documents
