"""A port's ODCS v3 document, written: ``document_build(facts, stored)`` puts what the portal models, from its
records (``PortFacts``, gathered by ``products.contracts.export``), over the document last applied (``stored``),
which keeps everything else verbatim. A value the portal models is kept as written while it still means what the
portal holds (``unit: h, value: 1`` for 60 minutes), so importing a document and exporting it again gives the same
document. A port never applied from a document gets the sections the portal can tell (team, roles, support,
servers, tags) from its records. Pure: no database; reading and validating is ``odcs``.
"""

import copy
from dataclasses import dataclass, field
from decimal import Decimal

from products.contracts.odcs import (
    API_VERSION,
    CLASSIFICATION_IN,
    CUSTOM_CLASSIFICATION,
    CUSTOM_LOCATION,
    CUSTOM_URN,
    KIND_IN,
    KIND_OUT,
    SLA_OUT,
    STATUS_OUT,
    STATUS_SAME,
    _sla_owned,
    _type_key,
    logical_type,
    same_name,
    sla_value,
)


@dataclass
class PortFacts:
    """What the portal's records say about one port, gathered by ``products.contracts.export``."""

    contract_id: str
    product_urn: str
    product_name: str
    product_slug: str
    product_status: str
    product_summary: str
    product_classification: str
    product_url: str
    contract_url: str
    domain_slug: str
    domain_name: str
    port_name: str
    kind: str
    description: str
    location: str
    table: str
    version: str
    columns: list[dict]
    sla: dict
    tags: list[str]
    team: dict | None
    roles: list[dict]
    server: dict | None
    object_rules: list[dict] = field(default_factory=list)
    column_rules: dict[str, list[dict]] = field(default_factory=dict)
    unique_columns: set = field(default_factory=set)
    definitions: dict[str, list[dict]] = field(default_factory=dict)


def _property_build(column: dict, stored: dict | None, facts: PortFacts, key_position: int | None) -> dict:
    """One property: the stored one verbatim, with each value the portal models put right where it no longer
    says what the portal holds."""
    prop = copy.deepcopy(stored) if stored else {}
    prop["name"] = column["name"]
    implied_type = (stored or {}).get("physicalType") or (stored or {}).get("logicalType")
    if not stored or _type_key(implied_type) != _type_key(column["data_type"]):
        prop["physicalType"] = column["data_type"]
        prop["logicalType"] = logical_type(column["data_type"])
    if "logicalType" not in prop:
        prop["logicalType"] = logical_type(prop.get("physicalType") or column["data_type"])
    if not stored or bool(stored.get("required", False)) == column["nullable"]:
        if column["nullable"]:
            prop.pop("required", None)
        else:
            prop["required"] = True
    if not stored or bool(stored.get("primaryKey", False)) != column["primary_key"]:
        if column["primary_key"]:
            prop["primaryKey"], prop["primaryKeyPosition"] = True, key_position
        else:
            for key in ("primaryKey", "primaryKeyPosition"):
                prop.pop(key, None)
    if column["name"] in facts.unique_columns:
        prop["unique"] = True
    stored_class = str((stored or {}).get("classification") or "").strip().lower()
    if not stored or CLASSIFICATION_IN.get(stored_class) != column["classification"]:
        if column["classification"]:
            prop["classification"] = column["classification"]
        else:
            prop.pop("classification", None)
    if (stored or {}).get("description", "") != column["description"]:
        if column["description"]:
            prop["description"] = column["description"]
        else:
            prop.pop("description", None)
    definitions = facts.definitions.get(column["name"], [])
    if definitions:
        present = {item.get("url") for item in prop.get("authoritativeDefinitions", [])}
        extra = [item for item in definitions if item["url"] not in present]
        if extra:
            prop["authoritativeDefinitions"] = [*prop.get("authoritativeDefinitions", []), *extra]
    rules = facts.column_rules.get(column["name"], [])
    if rules:
        prop["quality"] = [*prop.get("quality", []), *rules]
    return prop


def _sla_build(stored_items: list, facts: PortFacts) -> list:
    out, done = [], set()
    owned = _sla_owned(stored_items)
    for index, item in enumerate(stored_items):
        target = owned.get(index)
        if target is None:
            out.append(copy.deepcopy(item))
            continue
        done.add(target)
        value = facts.sla.get(target)
        if value is None:
            continue
        if sla_value(target, item, "", []) == value:
            out.append(copy.deepcopy(item))
        else:
            name, unit = SLA_OUT[target]
            out.append({**copy.deepcopy(item), "value": _sla_number(value), "unit": unit})
    for target, (name, unit) in SLA_OUT.items():
        value = facts.sla.get(target)
        if target not in done and value is not None:
            out.append({"property": name, "value": _sla_number(value), "unit": unit})
    return out


def _sla_number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _custom_properties(stored_items: list | None, facts: PortFacts) -> list:
    if stored_items is None:
        items = [
            {"property": CUSTOM_URN, "value": facts.product_urn},
            {"property": CUSTOM_CLASSIFICATION, "value": facts.product_classification},
        ]
        if facts.location:
            items.append({"property": CUSTOM_LOCATION, "value": facts.location})
        return items
    items, seen = [], False
    for item in stored_items:
        if item.get("property") == CUSTOM_LOCATION:
            seen = True
            if facts.location:
                items.append({**copy.deepcopy(item), "value": facts.location})
            continue
        items.append(copy.deepcopy(item))
    if facts.location and not seen:
        items.append({"property": CUSTOM_LOCATION, "value": facts.location})
    return items


def document_build(facts: PortFacts, stored: dict | None = None) -> dict:
    """The ODCS document of one port: ``stored`` (the document last applied, if any) with everything the portal
    models brought in line with ``facts``."""
    authored = stored is None
    doc = copy.deepcopy(stored) if stored else {}
    doc["apiVersion"] = doc.get("apiVersion") or API_VERSION
    doc["kind"] = "DataContract"
    doc["id"] = doc.get("id") or facts.contract_id
    if authored:
        doc["name"] = f"{facts.product_name}: {facts.port_name}"
    doc["version"] = facts.version
    if doc.get("status") not in STATUS_SAME.get(facts.product_status, set()):
        doc["status"] = STATUS_OUT.get(facts.product_status, facts.product_status)
    if authored or ("domain" in doc and not same_name(doc["domain"], facts.domain_slug, facts.domain_name)):
        doc["domain"] = facts.domain_slug
    if authored or ("dataProduct" in doc and not same_name(doc["dataProduct"], facts.product_slug, facts.product_name)):
        doc["dataProduct"] = facts.product_slug
    if authored:
        if facts.product_summary:
            doc["description"] = {"purpose": facts.product_summary}
        if facts.tags:
            doc["tags"] = list(facts.tags)
        if facts.team:
            doc["team"] = facts.team
        if facts.roles:
            doc["roles"] = facts.roles
        doc["support"] = [{"channel": "Mesh Portal", "tool": "other", "scope": "interactive", "url": facts.product_url}]
        doc["authoritativeDefinitions"] = [
            {"type": "canonicalUrl", "url": facts.contract_url, "description": "This contract on Mesh Portal."}
        ]
    stored_obj = (doc.get("schema") or [{}])[0]
    obj = copy.deepcopy(stored_obj)
    obj["name"] = facts.port_name
    if authored:
        obj["logicalType"] = "object"
    stored_kind = KIND_IN.get(str(stored_obj.get("physicalType", "table")).lower())
    if authored or stored_kind != facts.kind:
        obj["physicalType"] = KIND_OUT.get(facts.kind, facts.kind)
    if facts.table and (obj.get("physicalName") or "") != facts.table:
        obj["physicalName"] = facts.table
    if (stored_obj.get("description") or "") != facts.description or authored:
        if facts.description:
            obj["description"] = facts.description
        else:
            obj.pop("description", None)
    stored_props = {prop.get("name"): prop for prop in stored_obj.get("properties") or [] if isinstance(prop, dict)}
    keys = [column["name"] for column in facts.columns if column["primary_key"]]
    obj["properties"] = [
        _property_build(
            column,
            stored_props.get(column["name"]),
            facts,
            keys.index(column["name"]) + 1 if column["name"] in keys else None,
        )
        for column in facts.columns
    ]
    if facts.object_rules:
        obj["quality"] = [*obj.get("quality", []), *facts.object_rules]
    doc["schema"] = [obj]
    sla = _sla_build(doc.get("slaProperties") or [], facts)
    if sla:
        doc["slaProperties"] = sla
    else:
        doc.pop("slaProperties", None)
    servers = copy.deepcopy(doc.get("servers") or [])
    if facts.server:
        names = [item.get("server") for item in servers]
        if facts.server["server"] in names:
            servers[names.index(facts.server["server"])] = facts.server
        else:
            servers.insert(0, facts.server)
    if servers:
        doc["servers"] = servers
    custom = _custom_properties(None if authored else doc.get("customProperties") or [], facts)
    if custom:
        doc["customProperties"] = custom
    else:
        doc.pop("customProperties", None)
    return doc
