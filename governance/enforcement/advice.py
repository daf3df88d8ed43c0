"""How an owner fixes a violation, by the kind of rule it breaks: one sentence each, for agents and pages.

The violation's own message says what is wrong (the field, the value, the standard's requirement); this says what to
change. A violation closes by itself on the next enforcement run once the product passes.
"""

from governance.models import StandardKind

BASELINE_FIXES = {
    "baseline:owner": "Set the owning team and an accountable person on the product's edit page.",
    "baseline:description": "Write a summary or documentation on the product's edit page.",
    "baseline:schema": "Add an output port and describe its columns (the port's schema page).",
    "baseline:sla": "Set a freshness SLA (the most minutes the data may be old) on the product's edit page.",
}

KIND_FIXES = {
    StandardKind.NAMING_CONVENTION: "Rename what the message names so it matches the pattern; renaming a column of "
    "a published port is a breaking change and needs a new major version.",
    StandardKind.MIN_QUALITY_SCORE: "Raise the quality score: fix the failing checks on the product's Quality tab "
    "(or add checks where none run), then run them again.",
    StandardKind.REQUIRED_CLASSIFICATION: "Classify the named columns as the standard requires on the port's schema "
    "page (raising a classification applies at once).",
    StandardKind.SLA_TEMPLATE: "Declare service levels at least as strict as the standard's on the product's edit "
    "page.",
    StandardKind.REQUIRED_METADATA: "Fill in what the message says is missing on the product's edit page.",
}

WAIVER_HINT = "If the product cannot comply yet, its owners may ask the council chair for a time-limited waiver."


def violation_fix(*, rule_key: str, kind: str | None) -> str:
    """What to change so that the rule passes (``kind`` is the standard's kind; baseline rules have none)."""
    if rule_key in BASELINE_FIXES:
        return BASELINE_FIXES[rule_key]
    return KIND_FIXES.get(kind or "", "Change the product as the message says; the next run re-checks it.")


def violation_fix_url(*, rule_key: str, kind: str | None, product) -> str:
    """Where the owner makes that change: the edit page, the port editor, the schema or the Quality tab."""
    from django.urls import reverse

    args = [product.domain.slug, product.slug]
    if rule_key == "baseline:schema":
        return reverse("products:port-create", args=args)
    if kind in (StandardKind.NAMING_CONVENTION, StandardKind.REQUIRED_CLASSIFICATION):
        return reverse("products:product-detail", args=args) + "#schema"
    if kind == StandardKind.MIN_QUALITY_SCORE:
        return reverse("products:quality-detail", args=args)
    return reverse("products:product-edit", args=args)
