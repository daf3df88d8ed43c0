"""A port's contract in the Open Data Contract Standard (ODCS v3): read, validate and write. Pure: no database.

- ``contracts_load(text)`` reads YAML (or JSON) into documents; ``contract_problems(document)`` validates one
  against the JSON schema shipped in the ``open-data-contract-standard`` package, every error naming its JSON path.
- ``contract_read(document)`` takes out what the portal models (the port's name, kind, description and version,
  each column's name, type, nullability, primary key, classification and description, the product's SLAs) and
  refuses what it cannot hold, naming the path.
- writing a port's document is ``odcs_write.document_build``.
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
    """A contract the portal cannot take: ``errors`` are (JSON path, message) pairs, the path "" for the whole.
    ``missing`` when it names something that does not exist for the caller (a data product): the API's 404."""

    def __init__(self, errors: list[tuple[str, str]], *, missing: bool = False):
        super().__init__("; ".join(f"{path or 'contract'}: {message}" for path, message in errors))
        self.errors = errors
        self.missing = missing

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


def same_name(value, *names: str) -> bool:
    """Whether a document's ``value`` names one of ``names`` (case and surrounding space aside)."""
    return isinstance(value, str) and value.strip().lower() in {name.lower() for name in names}


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
