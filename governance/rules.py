"""The machine-checkable rule of each standard kind: its schema, its validation, and its evaluation.

A rule is a small JSON object whose shape depends on the standard's kind:

==========================  ============================================================================
kind                        rule
==========================  ============================================================================
naming_convention           ``{"target": "slug" | "name" | "field_names", "pattern": "<regex>"}``
min_quality_score           ``{"minimum": 0..100}``
required_classification     ``{"field_pattern": "<regex>", "classification": "pii" | "sensitive" | ...}``
sla_template                at least one of ``{"max_freshness_minutes": int > 0,
                            "min_completeness_percent": 0..100, "min_availability_percent": 0..100}``
required_metadata           ``{"require": a non-empty subset of ["owner", "description", "schema", "sla"]}``
notice_period               ``{"days": 1..365}``: the notice consumers get before a breaking change or a
                            retirement takes effect (the catalog enforces it when a product changes; there
                            is nothing to evaluate per product)
==========================  ============================================================================

``rule_validate`` refuses a bad rule with a ``DomainError`` on the field ``rule`` whose message names the key
("rule.pattern: not a valid regular expression: ..."). ``rule_evaluate`` checks one product, given as plain
``ProductFacts`` so that the enforcement engine can evaluate thousands of products without touching the ORM per
rule, and returns one message per failure, each naming the field and what is expected.

Patterns are RE2 regular expressions (``portal.patterns``: linear time, so no pattern can stall a request or a
worker; no backreferences or look-arounds), matched with ``search`` (anchor them with ``^…$`` for a whole-name
match); the classification rule's ``field_pattern`` ignores case, so ``email`` catches ``EMail`` and
``customer_email``.
"""

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from portal.errors import DomainError
from portal.patterns import PatternError, pattern_compile, pattern_matcher

logger = logging.getLogger(__name__)

NAMING_TARGETS = ("slug", "name", "field_names")
CLASSIFICATIONS = ("pii", "sensitive", "confidential")
METADATA_ITEMS = ("owner", "description", "schema", "sla")
SLA_KEYS = ("max_freshness_minutes", "min_completeness_percent", "min_availability_percent")


@dataclass(frozen=True)
class FieldFacts:
    name: str
    classification: str = ""
    port: str = ""


@dataclass(frozen=True)
class ProductFacts:
    """What a rule needs to know about a product: plain values, no database access."""

    slug: str
    name: str
    has_owner: bool = False
    description: str = ""
    port_count: int = 0
    fields: tuple[FieldFacts, ...] = ()
    quality_score: float | None = None
    freshness_minutes: int | None = None
    completeness_percent: float | None = None
    availability_percent: float | None = None

    @property
    def has_schema(self) -> bool:
        return self.port_count > 0 and bool(self.fields)

    @property
    def has_sla(self) -> bool:
        return (
            self.freshness_minutes is not None
            or self.completeness_percent is not None
            or self.availability_percent is not None
        )


@dataclass
class _Schema:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    checks: dict[str, Callable[[object], None]] = field(default_factory=dict)


class _Bad(Exception):
    pass


def _regex(key: str) -> Callable[[object], None]:
    def check(value) -> None:
        pattern_compile(value, key=f"rule.{key}", field="rule")  # a DomainError naming the key

    return check


def _one_of(choices: Iterable[str]) -> Callable[[object], None]:
    choices = tuple(choices)

    def check(value) -> None:
        if value not in choices:
            raise _Bad(f"must be one of {', '.join(choices)}")

    return check


def _number(minimum: float, maximum: float | None = None, *, integer: bool = False, above: bool = False):
    def check(value) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Bad("must be a number" if not integer else "must be a whole number")
        if integer and not isinstance(value, int):
            raise _Bad("must be a whole number")
        if value < 0:
            raise _Bad(f"must not be negative (got {value})")
        if above and value <= minimum:
            raise _Bad(f"must be greater than {minimum:g} (got {value})")
        if value < minimum:
            raise _Bad(f"must be at least {minimum:g} (got {value})")
        if maximum is not None and value > maximum:
            raise _Bad(f"must be at most {maximum:g} (got {value})")

    return check


def _subset_of(choices: tuple[str, ...]) -> Callable[[object], None]:
    def check(value) -> None:
        if not isinstance(value, list) or not value:
            raise _Bad(f"must be a non-empty list drawn from {', '.join(choices)}")
        unknown = [item for item in value if item not in choices]
        if unknown:
            raise _Bad(f"unknown item {unknown[0]!r}; choose from {', '.join(choices)}")
        if len(set(value)) != len(value):
            raise _Bad("lists an item twice")

    return check


SCHEMAS: dict[str, _Schema] = {
    "naming_convention": _Schema(
        required=("target", "pattern"), checks={"target": _one_of(NAMING_TARGETS), "pattern": _regex("pattern")}
    ),
    "min_quality_score": _Schema(required=("minimum",), checks={"minimum": _number(0, 100)}),
    "required_classification": _Schema(
        required=("field_pattern", "classification"),
        checks={"field_pattern": _regex("field_pattern"), "classification": _one_of(CLASSIFICATIONS)},
    ),
    "sla_template": _Schema(
        required=(),
        optional=SLA_KEYS,
        checks={
            "max_freshness_minutes": _number(0, integer=True, above=True),
            "min_completeness_percent": _number(0, 100),
            "min_availability_percent": _number(0, 100),
        },
    ),
    "required_metadata": _Schema(required=("require",), checks={"require": _subset_of(METADATA_ITEMS)}),
    "notice_period": _Schema(required=("days",), checks={"days": _number(1, 365, integer=True)}),
}

# A rule people can start from when drafting, one per kind (shown on the proposal form).
EXAMPLES: dict[str, dict] = {
    "naming_convention": {"target": "field_names", "pattern": "^[a-z][a-z0-9_]*$"},
    "min_quality_score": {"minimum": 80},
    "required_classification": {"field_pattern": "email|phone", "classification": "pii"},
    "sla_template": {"max_freshness_minutes": 1440, "min_availability_percent": 99},
    "required_metadata": {"require": ["owner", "description", "schema", "sla"]},
    "notice_period": {"days": 30},
}


def rule_validate(kind: str, rule) -> None:
    """Refuse a rule that does not fit its kind's schema, naming the offending key."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        raise DomainError(f"standard kind: unknown kind {kind!r}; choose from {', '.join(SCHEMAS)}.", field="rule")
    if not isinstance(rule, dict):
        raise DomainError("rule: must be a JSON object.", field="rule")
    allowed = schema.required + schema.optional
    for key in rule:
        if key not in allowed:
            raise DomainError(
                f"rule.{key}: unknown key for a {kind} rule; expected {', '.join(allowed)}.", field="rule"
            )
    for key in schema.required:
        if key not in rule:
            raise DomainError(f"rule.{key}: required for a {kind} rule.", field="rule")
    if not schema.required and not rule:
        raise DomainError(f"rule: a {kind} rule needs at least one of {', '.join(schema.optional)}.", field="rule")
    for key, value in rule.items():
        try:
            schema.checks[key](value)
        except _Bad as bad:
            raise DomainError(f"rule.{key}: {bad}.", field="rule") from None


def _fmt(value) -> str:
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except InvalidOperation:
        return str(value)


def _naming(rule: dict, facts: ProductFacts, code: str) -> list[str]:
    found_in = pattern_matcher(rule["pattern"], key="rule.pattern")
    expected = f"must match {rule['pattern']}"
    if rule["target"] == "slug":
        return [] if found_in(facts.slug) else [f"slug `{facts.slug}` breaks {code} naming convention: {expected}"]
    if rule["target"] == "name":
        return [] if found_in(facts.name) else [f"name `{facts.name}` breaks {code} naming convention: {expected}"]
    return [
        f"field `{item.name}` breaks {code} naming convention: {expected}"
        for item in facts.fields
        if not found_in(item.name)
    ]


def _quality(rule: dict, facts: ProductFacts, code: str) -> list[str]:
    minimum = rule["minimum"]
    if facts.quality_score is None:
        return [f"quality score missing: {code} requires at least {_fmt(minimum)}"]
    if facts.quality_score < minimum:
        return [f"quality score {_fmt(facts.quality_score)} is below {code} minimum {_fmt(minimum)}"]
    return []


def _classification(rule: dict, facts: ProductFacts, code: str) -> list[str]:
    found_in = pattern_matcher(rule["field_pattern"], key="rule.field_pattern", ignore_case=True)
    wanted = rule["classification"]
    messages = []
    for item in facts.fields:
        if found_in(item.name) and item.classification != wanted:
            actual = item.classification or "unclassified"
            messages.append(
                f"field `{item.name}` must be classified {wanted} by {code} "
                f"(names matching {rule['field_pattern']}), but is {actual}"
            )
    return messages


def _sla(rule: dict, facts: ProductFacts, code: str) -> list[str]:
    messages = []
    if "max_freshness_minutes" in rule:
        maximum = rule["max_freshness_minutes"]
        if facts.freshness_minutes is None:
            messages.append(f"freshness SLA missing: {code} requires at most {maximum} min")
        elif facts.freshness_minutes > maximum:
            messages.append(f"freshness SLA {facts.freshness_minutes} min exceeds {code} maximum {maximum} min")
    for key, label, value in (
        ("min_completeness_percent", "completeness", facts.completeness_percent),
        ("min_availability_percent", "availability", facts.availability_percent),
    ):
        if key not in rule:
            continue
        minimum = rule[key]
        if value is None:
            messages.append(f"{label} SLA missing: {code} requires at least {_fmt(minimum)} %")
        elif value < minimum:
            messages.append(f"{label} SLA {_fmt(value)} % is below {code} minimum {_fmt(minimum)} %")
    return messages


_METADATA_PRESENT: dict[str, Callable[[ProductFacts], bool]] = {
    "owner": lambda facts: facts.has_owner,
    "description": lambda facts: bool(facts.description),
    "schema": lambda facts: facts.has_schema,
    "sla": lambda facts: facts.has_sla,
}
_METADATA_EXPECTED = {
    "owner": "an owning team and an accountable person",
    "description": "a summary or documentation",
    "schema": "at least one output port with a schema",
    "sla": "at least one service level (freshness, completeness or availability)",
}


def _metadata(rule: dict, facts: ProductFacts, code: str) -> list[str]:
    return [
        f"{item} missing: {code} requires {_METADATA_EXPECTED[item]}"
        for item in rule["require"]
        if not _METADATA_PRESENT[item](facts)
    ]


EVALUATORS: dict[str, Callable[[dict, ProductFacts, str], list[str]]] = {
    "naming_convention": _naming,
    "min_quality_score": _quality,
    "required_classification": _classification,
    "sla_template": _sla,
    "required_metadata": _metadata,
}
# Kinds without an evaluator hold for the whole mesh rather than product by product (notice_period: the catalog's
# contracts read it when a product changes); enforcement runs only EVALUATORS' kinds.


def rule_evaluate(kind: str, rule: dict, product_facts: ProductFacts, *, code: str = "the standard") -> list[str]:
    """Evaluate one validated rule against one product; an empty list means the product passes.

    A pattern stored before patterns ran on RE2 may use what RE2 lacks (a backreference, a look-around): the
    standard cannot be checked, which is logged, and no product is blamed for it."""
    try:
        return EVALUATORS[kind](rule, product_facts, code)
    except PatternError as error:
        logger.warning("%s cannot be evaluated: %s", code, error.message)
        return []


NAMING_TARGET_LABELS = {"slug": "Product slugs", "name": "Product names", "field_names": "Field names"}
METADATA_LABELS = {"owner": "an owner", "description": "a description", "schema": "a schema", "sla": "a service level"}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def rule_sentence_parts(kind: str, rule) -> list[tuple[str, bool]]:
    """A rule as a sentence people read, in parts; a part flagged True is a literal (a pattern) shown as code.

    A rule that does not fit its kind (never stored by the services, perhaps by hand) reads as its JSON."""
    rule = rule if isinstance(rule, dict) else {}
    try:
        if kind == "naming_convention":
            target = NAMING_TARGET_LABELS.get(rule["target"], str(rule["target"]))
            return [(f"{target} must match ", False), (str(rule["pattern"]), True), (".", False)]
        if kind == "min_quality_score":
            return [(f"A product's quality score must be at least {_fmt(rule['minimum'])}.", False)]
        if kind == "required_classification":
            label = {"pii": "PII"}.get(rule["classification"], str(rule["classification"]))
            return [
                ("Fields whose name contains a match for ", False),
                (str(rule["field_pattern"]), True),
                (f" (any case) must be classified {label}.", False),
            ]
        if kind == "sla_template":
            promises = []
            if "max_freshness_minutes" in rule:
                promises.append(f"data at most {rule['max_freshness_minutes']} minutes old")
            if "min_completeness_percent" in rule:
                promises.append(f"at least {_fmt(rule['min_completeness_percent'])} % completeness")
            if "min_availability_percent" in rule:
                promises.append(f"at least {_fmt(rule['min_availability_percent'])} % availability")
            if promises:
                return [(f"A product's service levels must promise {_and(promises)}.", False)]
        if kind == "required_metadata":
            items = [METADATA_LABELS.get(item, str(item)) for item in rule["require"]]
            if items:
                return [(f"Every product must have {_and(items)}.", False)]
        if kind == "notice_period":
            return [
                (f"Consumers get at least {rule['days']} days' notice before a breaking change or a retirement.", False)
            ]
    except (KeyError, TypeError):
        pass
    if not rule:
        return [("No machine-checkable rule.", False)]
    return [(json.dumps(rule, sort_keys=True), True)]


def rule_sentence(kind: str, rule) -> str:
    """The rule as one line of text, literals in backticks (for exports and plain-text mail)."""
    return "".join(f"`{text}`" if literal else text for text, literal in rule_sentence_parts(kind, rule))
