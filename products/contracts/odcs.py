"""A port's contract in the Open Data Contract Standard (ODCS v3): read, validate and write. Pure: no database.

- ``contracts_load(text)`` reads YAML (or JSON) into documents; ``contract_problems(document)`` validates one
  against the JSON schema shipped in the ``open-data-contract-standard`` package, every error naming its JSON path.
- ``contract_read(document)`` takes out what the portal models (the port's name, kind, description and version,
  each column's name, type, nullability, primary key, classification and description, the product's SLAs) and
  refuses what it cannot hold, naming the path.
- ``document_build(facts, stored)`` writes the document for a port: what the portal models, from its records, over
  the document last applied (``stored``), which keeps everything else verbatim. A value the portal models is kept
  as written while it still means what the portal holds (``unit: h, value: 1`` for 60 minutes), so importing a
  document and exporting it again gives the same document. A port never applied from a document gets the sections
  the portal can tell (team, roles, support, servers, tags) from its records.
"""

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources

import jsonschema
import yaml

from portal.json_input import JSONInputError, json_input_check
from products.models import SEMVER_RE, identifier_validator

API_VERSION = "v3.1.0"  # what exports declare: the current published standard (the 3.2.0 schema accepts it)
MAX_CONTRACT_BYTES = 1_000_000
MAX_ERRORS = 50
PORTAL_RULE_PREFIX = "mesh-check-"  # quality rules written from the port's checks carry this id
CUSTOM_URN, CUSTOM_LOCATION, CUSTOM_CLASSIFICATION = "meshProductUrn", "meshPortLocation", "meshProductClassification"

# Product status → ODCS status, and the ODCS statuses that mean the same thing.
STATUS_OUT = {"draft": "draft", "published": "active", "deprecated": "deprecated", "retired": "retired"}
STATUS_SAME = {"draft": {"draft", "proposed"}, "published": {"active"}, "deprecated": {"deprecated"}}
STATUS_SAME["retired"] = {"retired"}

# Port kind ↔ the schema object's physicalType.
KIND_OUT = {"table": "table", "view": "view", "stream": "topic", "file": "file", "api": "api"}
KIND_IN = {"table": "table", "view": "view", "topic": "stream", "stream": "stream", "file": "file", "api": "api"}

# ODCS classification (free text) → the portal's column classification; anything else is refused, never guessed.
CLASSIFICATION_IN = {
    "": "",
    "public": "",
    "internal": "",
    "none": "",
    "unclassified": "",
    "confidential": "confidential",
    "sensitive": "sensitive",
    "restricted": "sensitive",
    "pii": "pii",
    "personal": "pii",
    "personal-data": "pii",
    "gdpr": "pii",
}

_LOGICAL_BY_BASE = {
    "string": "string",
    **dict.fromkeys(
        ["varchar", "char", "character", "text", "nvarchar", "nchar", "uuid", "clob", "citext", "bpchar", "name"],
        "string",
    ),
    **dict.fromkeys(["bytes", "binary", "varbinary", "blob", "bytea"], "string"),
    **dict.fromkeys(
        ["int", "integer", "bigint", "smallint", "tinyint", "int2", "int4", "int8", "long", "short", "serial"],
        "integer",
    ),
    "bigserial": "integer",
    **dict.fromkeys(["number", "numeric", "decimal", "float", "double", "real", "float4", "float8", "money"], "number"),
    **dict.fromkeys(["bool", "boolean"], "boolean"),
    "date": "date",
    **dict.fromkeys(["timestamp", "timestamptz", "datetime", "datetime2"], "timestamp"),
    **dict.fromkeys(["time", "timetz"], "time"),
    **dict.fromkeys(["object", "struct", "record", "json", "jsonb", "map", "variant", "super"], "object"),
    **dict.fromkeys(["array", "list"], "array"),
}
LOGICAL_TYPES = ("string", "date", "timestamp", "time", "number", "integer", "object", "array", "boolean")

# SLA properties the portal keeps (ODCS names and their synonyms, lower case) → the product's field.
SLA_FIELDS = {
    "latency": "freshness_minutes",
    "ly": "freshness_minutes",
    "freshness": "freshness_minutes",
    "availability": "availability_percent",
    "av": "availability_percent",
    "completeness": "completeness_percent",
    "retention": "retention_days",
    "re": "retention_days",
}
SLA_OUT = {
    "freshness_minutes": ("latency", "m"),
    "completeness_percent": ("completeness", "%"),
    "availability_percent": ("availability", "%"),
    "retention_days": ("retention", "d"),
}
_MINUTES = {
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds"], Decimal(1) / 60),
    **dict.fromkeys(["", "m", "min", "mins", "minute", "minutes"], Decimal(1)),
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], Decimal(60)),
    **dict.fromkeys(["d", "day", "days"], Decimal(1440)),
}
_DAYS = {
    **dict.fromkeys(["d", "day", "days"], 1),
    **dict.fromkeys(["w", "week", "weeks"], 7),
    **dict.fromkeys(["month", "months", "mo"], 30),
    **dict.fromkeys(["y", "yr", "yrs", "year", "years"], 365),
}
_PERCENT_UNITS = {"", "%", "percent"}


class ContractError(Exception):
    """A contract the portal cannot take: ``errors`` are (JSON path, message) pairs, the path "" for the whole."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("; ".join(f"{path or 'contract'}: {message}" for path, message in errors))
        self.errors = errors

    def as_dict(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path, message in self.errors:
            out.setdefault(path or "contract", []).append(message)
        return out


def json_path(parts) -> str:
    """``["schema", 0, "properties", 1]`` → ``schema[0].properties[1]``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- reading ------------------------------------------------------------------------------------------------------


class _ContractLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (a few lines of ``&a``/``*a`` can expand to gigabytes) and without
    turning dates into date objects (ODCS writes them as strings, and JSON has no date)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not accepted in a contract", problem_mark=mark)
        return super().compose_node(parent, index)


_ContractLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def contracts_load(text: str | bytes) -> list[dict]:
    """The documents in ``text`` (YAML, several separated by ``---``, or JSON). Refuses (``ContractError``) what
    is not YAML, is too large or too deep, or holds anything but mappings of plain data."""
    if isinstance(text, bytes):
        if len(text) > MAX_CONTRACT_BYTES:
            raise ContractError([("", f"A contract file may hold at most {MAX_CONTRACT_BYTES // 1000} kB.")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ContractError([("", "A contract is UTF-8 text.")]) from None
    if len(text) > MAX_CONTRACT_BYTES:
        raise ContractError([("", f"A contract file may hold at most {MAX_CONTRACT_BYTES // 1000} kB.")])
    try:
        documents = [doc for doc in yaml.load_all(text, Loader=_ContractLoader) if doc is not None]  # noqa: S506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ContractError([("", f"Not valid YAML: {where}{error.problem or error.context}.")]) from None
    except (yaml.YAMLError, RecursionError) as error:
        raise ContractError([("", f"Not valid YAML: {str(error).splitlines()[0][:200]}")]) from None
    if not documents:
        raise ContractError([("", "The file holds no contract.")])
    for index, document in enumerate(documents):
        prefix = f"[{index}]" if len(documents) > 1 else ""
        if not isinstance(document, dict):
            raise ContractError([(prefix, "A contract is a mapping of keys (apiVersion, kind, id, …) to values.")])
        document_plain_check(document, prefix)
    return documents


def document_plain_check(document, prefix: str = "") -> None:
    """JSON-compatible data only: string keys, no NaN or infinity, no NUL, not nested too deep."""
    try:
        json_input_check(document)
        json.dumps(document, allow_nan=False)
    except (JSONInputError, ValueError, TypeError) as error:
        raise ContractError(
            [(prefix, f"A contract holds plain data only (text, numbers, lists, maps): {error}")]
        ) from None


@functools.cache
def _validator():
    schema = json.loads(resources.files("open_data_contract_standard").joinpath("schema.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def schema_version() -> str:
    """The standard version of the JSON schema contracts are validated against."""
    return _validator().schema["properties"]["apiVersion"]["default"]


_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def contract_problems(document: dict) -> list[tuple[str, str]]:
    """What the official JSON schema finds wrong with ``document``: (JSON path, message), at most ``MAX_ERRORS``.

    The 3.2.0 schema asks for a ``map`` on any property without a ``logicalType`` (its ``if`` holds vacuously,
    bitol-io/open-data-contract-standard #322); that error is reported as the missing logicalType it means."""
    found: dict[tuple[str, str], None] = {}
    for error in _validator().iter_errors(document):
        parts = list(error.absolute_path)
        message = error.message
        missing = _REQUIRED.match(message) if error.validator == "required" else None
        if missing:
            key = missing.group(1)
            if key == "map" and isinstance(error.instance, dict) and "logicalType" not in error.instance:
                key = "logicalType"
                message = f"give a logicalType, one of {', '.join(LOGICAL_TYPES)}."
            else:
                message = "is required."
            parts.append(key)
        elif error.validator == "enum":
            message = f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}."
        found[(json_path(parts), message[:300])] = None
        if len(found) >= MAX_ERRORS:
            break
    return sorted(found, key=lambda item: item[0])


@dataclass
class ContractSpec:
    """What a contract says that the portal models, plus the document itself (kept verbatim)."""

    document: dict
    contract_id: str
    version: str
    status: str
    domain: str | None
    data_product: str | None
    port_name: str
    kind: str | None
    description: str
    location: str | None
    columns: list[dict]
    sla: dict = field(default_factory=dict)


def logical_type(data_type: str) -> str:
    """The ODCS logicalType of a portal data type (``decimal(12,2)`` → ``number``); unknown types are strings."""
    text = (data_type or "").strip().lower()
    if text.endswith("[]") or text.startswith("_"):
        return "array"
    base = re.split(r"[\s(<\[]", text, maxsplit=1)[0]
    return _LOGICAL_BY_BASE.get(base, "string")


def _type_key(text: str) -> str:
    return " ".join(str(text or "").lower().split())


def _number(value, path: str, errors: list) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        errors.append((path, "give a number."))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append((path, f"{value!r} is not a number."))
        return None
    if not number.is_finite():
        errors.append((path, "give a finite number."))
        return None
    return number


def sla_value(target: str, item: dict, path: str, errors: list):
    """The product field's value that an SLA item declares (minutes, days or a percentage), or None."""
    number = _number(item.get("value"), f"{path}.value", errors)
    if number is None:
        return None
    unit = str(item.get("unit") or "").strip().lower()
    if target == "freshness_minutes":
        if unit not in _MINUTES:
            errors.append((f"{path}.unit", f"{unit!r}: give the latency in s, m, h or d."))
            return None
        minutes = int((number * _MINUTES[unit]).to_integral_value(rounding="ROUND_CEILING"))
        if minutes < 0 or minutes > 10**9:
            errors.append((f"{path}.value", "give a latency between 0 and a billion minutes."))
            return None
        return minutes
    if target == "retention_days":
        if unit not in _DAYS:
            errors.append((f"{path}.unit", f"{unit!r}: give the retention in d, w, month or y."))
            return None
        days = int((number * _DAYS[unit]).to_integral_value(rounding="ROUND_CEILING"))
        if days < 0 or days > 10**7:
            errors.append((f"{path}.value", "give a retention between 0 and ten million days."))
            return None
        return days
    if unit not in _PERCENT_UNITS:
        errors.append((f"{path}.unit", f"{unit!r}: give a percentage (unit %)."))
        return None
    if number < 0 or number > 100:
        errors.append((f"{path}.value", "give a percentage between 0 and 100."))
        return None
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _sla_owned(items: list) -> dict[int, str]:
    """Index in ``slaProperties`` → product field, for the first item of each SLA the portal keeps."""
    owned: dict[int, str] = {}
    for index, item in enumerate(items):
        target = SLA_FIELDS.get(str(item.get("property", "")).strip().lower()) if isinstance(item, dict) else None
        if target and target not in owned.values():
            owned[index] = target
    return owned


def _column_read(prop: dict, path: str, errors: list) -> dict | None:
    name = prop.get("name")
    if not isinstance(name, str) or not name:
        errors.append((f"{path}.name", "is required."))
        return None
    if len(name) > 100 or not identifier_validator.regex.match(name):
        errors.append((f"{path}.name", f"{name!r}: use letters, digits and underscores, starting with a letter."))
    data_type = prop.get("physicalType") or prop.get("logicalType") or "string"
    if len(str(data_type)) > 50:
        errors.append((f"{path}.physicalType", "keep the type under 50 characters."))
    description = prop.get("description") or ""
    if len(description) > 500:
        errors.append((f"{path}.description", "keep a column's description under 500 characters."))
    classification = str(prop.get("classification") or "").strip().lower()
    if classification not in CLASSIFICATION_IN:
        errors.append(
            (
                f"{path}.classification",
                f"{prop.get('classification')!r} is not a classification the portal knows: use public, internal, "
                "confidential, sensitive, restricted or pii.",
            )
        )
    return {
        "name": name,
        "data_type": str(data_type),
        "nullable": not bool(prop.get("required", False)),
        "primary_key": bool(prop.get("primaryKey", False)),
        "classification": CLASSIFICATION_IN.get(classification, ""),
        "description": description,
    }


def contract_read(document: dict, *, portal_definition=None) -> ContractSpec:
    """What ``document`` (valid against the schema) says about the port the portal models. ``portal_definition``
    tells an authoritative definition the portal writes itself (a glossary link), which is not stored."""
    errors: list[tuple[str, str]] = []
    api_version = str(document.get("apiVersion", ""))
    if not api_version.startswith("v3."):
        errors.append(("apiVersion", f"{api_version!r}: the portal reads ODCS v3 contracts (v3.0.0 to v3.2.0)."))
    version = str(document.get("version", ""))
    if not SEMVER_RE.match(version):
        errors.append(("version", f"{version!r} is not a semantic version such as 1.0.0."))
    objects = document.get("schema") or []
    if len(objects) != 1:
        names = ", ".join(str(obj.get("name")) for obj in objects if isinstance(obj, dict))
        errors.append(
            (
                "schema",
                "a contract describes one output port: give exactly one schema object"
                + (
                    f" (this one has {len(objects)}: {names}); split the others into contracts of their own."
                    if names
                    else "."
                ),
            )
        )
        raise ContractError(errors)
    obj = objects[0]
    port_name = str(obj.get("name") or "")
    if len(port_name) > 100 or any(char in port_name for char in "\r\n\t\"'") or not port_name.strip():
        errors.append(("schema[0].name", "give the port a name of at most 100 characters, without quotes."))
    kind = None
    if obj.get("physicalType") is not None:
        kind = KIND_IN.get(str(obj["physicalType"]).lower())
    columns, seen = [], set()
    for index, prop in enumerate(obj.get("properties") or []):
        column = _column_read(prop, f"schema[0].properties[{index}]", errors)
        if column is None:
            continue
        if column["name"] in seen:
            errors.append((f"schema[0].properties[{index}].name", f"{column['name']!r} appears twice."))
        seen.add(column["name"])
        columns.append(column)
    sla: dict = dict.fromkeys(SLA_OUT)
    items = document.get("slaProperties") or []
    for index, target in _sla_owned(items).items():
        sla[target] = sla_value(target, items[index], f"slaProperties[{index}]", errors)
    location = None
    for item in document.get("customProperties") or []:
        if item.get("property") == CUSTOM_LOCATION:
            location = str(item.get("value") or "")[:500]
    if errors:
        raise ContractError(errors)
    return ContractSpec(
        document=document_stored(document, portal_definition=portal_definition),
        contract_id=str(document["id"]),
        version=version,
        status=str(document.get("status") or ""),
        domain=document.get("domain"),
        data_product=document.get("dataProduct"),
        port_name=port_name,
        kind=kind,
        description=str(obj.get("description") or ""),
        location=location,
        columns=columns,
        sla=sla,
    )


def document_stored(document: dict, *, portal_definition=None) -> dict:
    """``document`` without what the portal writes itself on export: quality rules from its checks, glossary
    links. What is left is kept verbatim."""
    stored = copy.deepcopy(document)

    def clean(element: dict) -> None:
        if isinstance(element.get("quality"), list):
            element["quality"] = [
                rule for rule in element["quality"] if not str(rule.get("id", "")).startswith(PORTAL_RULE_PREFIX)
            ]
            if not element["quality"]:
                del element["quality"]
        if portal_definition and isinstance(element.get("authoritativeDefinitions"), list):
            element["authoritativeDefinitions"] = [
                item for item in element["authoritativeDefinitions"] if not portal_definition(item)
            ]
            if not element["authoritativeDefinitions"]:
                del element["authoritativeDefinitions"]

    for obj in stored.get("schema") or []:
        clean(obj)
        for prop in obj.get("properties") or []:
            clean(prop)
    return stored


# --- writing ------------------------------------------------------------------------------------------------------


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


def _same_name(value, *names: str) -> bool:
    return isinstance(value, str) and value.strip().lower() in {name.lower() for name in names}


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
    if authored or ("domain" in doc and not _same_name(doc["domain"], facts.domain_slug, facts.domain_name)):
        doc["domain"] = facts.domain_slug
    if authored or (
        "dataProduct" in doc and not _same_name(doc["dataProduct"], facts.product_slug, facts.product_name)
    ):
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


# --- comparing (the round trip) ---------------------------------------------------------------------------------

# Values the standard gives by default: a key holding its default says nothing a missing key does not.
DEFAULTS = {
    "required": False,
    "unique": False,
    "primaryKey": False,
    "primaryKeyPosition": -1,
    "partitioned": False,
    "partitionKeyPosition": -1,
    "criticalDataElement": False,
    "deprecated": False,
    "kind": "DataContract",
}


def document_normalise(value):
    """``value`` with keys sorted and keys holding their default dropped: two documents that mean the same thing
    normalise to the same value."""
    if isinstance(value, dict):
        return {
            key: document_normalise(item)
            for key, item in sorted(value.items())
            if not (key in DEFAULTS and item == DEFAULTS[key])
        }
    if isinstance(value, list):
        return [document_normalise(item) for item in value]
    return value


def contract_yaml(documents: list[dict]) -> str:
    """Documents as a YAML stream (one document per port), keys in the order written."""
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, default_flow_style=False)
