"""Governance tools: the standards in force, and why a product does or does not comply (and how to fix it).
Enforcement's selectors decide who sees violations: the owning team, the council and admins."""

from governance.enforcement.advice import WAIVER_HINT, violation_fix
from governance.enforcement.selectors import product_compliance
from governance.models import Standard
from governance.selectors import standard_list
from portal.mcp.auth import Caller
from portal.mcp.catalog import product_find, product_ref
from portal.mcp.results import number, page_url, paginated, when

STANDARD_TEXT_LIMIT = 600


def _standard_row(standard: Standard) -> dict:
    text = standard.text or ""
    return {
        "code": standard.code,
        "version": standard.version,
        "title": standard.title,
        "kind": standard.kind,
        "severity": standard.severity,
        "status": standard.status,
        "effective_from": when(standard.effective_from),
        "grace_ends": when(standard.grace_ends),
        "rule": standard.rule,
        "text": text[:STANDARD_TEXT_LIMIT] + ("…" if len(text) > STANDARD_TEXT_LIMIT else ""),
        "url": page_url(standard.get_absolute_url()),
    }


def list_standards(caller: Caller, *, kind: str = "", page: int = 1, page_size: int = 20) -> dict:
    standards = standard_list(user=caller.user, kind=kind or None)
    result = paginated(standards, page=page, page_size=page_size, row=_standard_row)
    result["filters"] = {"kind": kind, "status": Standard.Status.IN_FORCE}
    return result


def explain_compliance(caller: Caller, *, domain: str, slug: str) -> dict:
    product = product_find(caller, domain, slug)
    compliance = product_compliance(user=caller.user, product=product)
    row = compliance["row"]
    answer = {
        "product": product_ref(product),
        "score": number(row.score) if row else None,
        "evaluated_at": when(row.evaluated_at) if row else None,
        "rules_checked": row.rules_checked if row else 0,
        "rules_failed": row.rules_failed if row else 0,
        "blockers_failed": row.blockers_failed if row else 0,
        "non_compliant_badge": bool(row and row.non_compliant),
        "violations_visible": compliance["may_see"],
    }
    if not compliance["may_see"]:
        answer["violations"] = []
        answer["note"] = "Violations are shown to the product's team, the governance council and admins."
        return answer
    answer["violations"] = [
        {
            "rule": violation.rule_key,
            "standard": violation.standard.title if violation.standard_id else "",
            "severity": violation.severity,
            "message": violation.message,
            "how_to_fix": violation_fix(
                rule_key=violation.rule_key, kind=violation.standard.kind if violation.standard_id else None
            ),
            "opened_at": when(violation.opened_at),
            "grace_ends": when(violation.grace_ends),
            "url": page_url(violation.standard.get_absolute_url()) if violation.standard_id else "",
        }
        for violation in compliance["violations"]
    ]
    answer["waivers"] = [
        {"standard": waiver.standard_code, "status": waiver.status, "expires_at": when(waiver.expires_at)}
        for waiver in compliance["waivers"]
    ]
    answer["note"] = WAIVER_HINT if compliance["may_request_waiver"] and answer["violations"] else ""
    return answer
