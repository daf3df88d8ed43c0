"""The proposal form's rule builder: one form field per key of each standard kind's rule, so people fill in a
pattern or a number and the form writes the JSON (``governance.rules`` says what each kind's rule holds).

``builder_fields()`` makes the fields (named ``rule_<key>``), ``rule_from_builder`` turns their cleaned values into
the rule of a kind, ``builder_initial`` turns a stored rule back into their initial values; the two round-trip.
"""

from django import forms

from governance.rules import CLASSIFICATIONS, METADATA_ITEMS, METADATA_LABELS, NAMING_TARGET_LABELS

PREFIX = "rule_"

# kind -> the keys of its rule, in the order the form shows them.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "naming_convention": ("target", "pattern"),
    "min_quality_score": ("minimum",),
    "required_classification": ("field_pattern", "classification"),
    "sla_template": ("max_freshness_minutes", "min_completeness_percent", "min_availability_percent"),
    "required_metadata": ("require",),
    "notice_period": ("days",),
}
PATTERN_KEYS = ("pattern", "field_pattern")
INTEGER_KEYS = ("max_freshness_minutes", "days")
NUMBER_KEYS = ("minimum", "min_completeness_percent", "min_availability_percent")


def builder_fields() -> dict[str, forms.Field]:
    pattern_attrs = {"class": "mono", "autocomplete": "off", "spellcheck": "false"}
    return {
        "rule_target": forms.ChoiceField(
            label="Names to check", required=False, choices=[("", "---------"), *NAMING_TARGET_LABELS.items()]
        ),
        "rule_pattern": forms.CharField(
            label="Pattern they must match",
            required=False,
            max_length=500,
            widget=forms.TextInput(attrs={**pattern_attrs, "placeholder": "^[a-z][a-z0-9_]*$"}),
            help_text="An RE2 regular expression; anchor it with ^ and $ to match the whole name.",
        ),
        "rule_minimum": forms.FloatField(
            label="Lowest quality score allowed", required=False, widget=forms.NumberInput(attrs={"step": "any"})
        ),
        "rule_field_pattern": forms.CharField(
            label="Field names to catch",
            required=False,
            max_length=500,
            widget=forms.TextInput(attrs={**pattern_attrs, "placeholder": "email|phone"}),
            help_text="An RE2 regular expression, matched anywhere in the name, ignoring case.",
        ),
        "rule_classification": forms.ChoiceField(
            label="Classification they must carry",
            required=False,
            choices=[("", "---------"), *((value, "PII" if value == "pii" else value) for value in CLASSIFICATIONS)],
        ),
        "rule_max_freshness_minutes": forms.IntegerField(label="Data at most this many minutes old", required=False),
        "rule_min_completeness_percent": forms.FloatField(
            label="Completeness of at least (%)", required=False, widget=forms.NumberInput(attrs={"step": "any"})
        ),
        "rule_min_availability_percent": forms.FloatField(
            label="Availability of at least (%)", required=False, widget=forms.NumberInput(attrs={"step": "any"})
        ),
        "rule_require": forms.MultipleChoiceField(
            label="Every product must have",
            required=False,
            choices=[(item, METADATA_LABELS[item]) for item in METADATA_ITEMS],
            widget=forms.CheckboxSelectMultiple,
        ),
        "rule_days": forms.IntegerField(label="Days of notice", required=False),
    }


def builder_used(kind: str, data) -> bool:
    """Whether the submitted form filled any builder field of ``kind`` (else the JSON rule is used as typed)."""
    for key in KIND_KEYS.get(kind, ()):
        name = PREFIX + key
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        if any(value not in (None, "") for value in values):
            return True
    return False


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def rule_from_builder(kind: str, cleaned: dict) -> dict:
    """The rule of ``kind`` from the builder's cleaned values; empty fields are left out."""
    rule: dict = {}
    for key in KIND_KEYS.get(kind, ()):
        value = cleaned.get(PREFIX + key)
        if value in (None, "", []):
            continue
        rule[key] = _number(value) if key in NUMBER_KEYS else value
    return rule


def builder_initial(rule) -> dict:
    """The builder's initial values for a stored rule (whatever its kind: each key has its own field)."""
    if not isinstance(rule, dict):
        return {}
    known = {key for keys in KIND_KEYS.values() for key in keys}
    return {PREFIX + key: value for key, value in rule.items() if key in known}


def builder_field_of(message: str) -> tuple[str | None, str]:
    """The builder field a ``rule_validate`` message names (``rule.pattern: …``) and the message without it."""
    head, sep, rest = message.partition(": ")
    if sep and head.startswith("rule."):
        key = head.removeprefix("rule.")
        if any(key in keys for keys in KIND_KEYS.values()):
            return PREFIX + key, rest[:1].upper() + rest[1:]
    return None, message
