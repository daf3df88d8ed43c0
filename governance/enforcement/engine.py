"""Standards enforced: evaluate products against the baseline and the standards in force, gate publishing, and
keep violations, compliance scores and auto-actions up to date.

Two entry points:

- ``publish_gate_check(product)`` answers ``products.signals.product_publish_validate``, which
  ``products.services.product_change_status`` sends before a product becomes published (page, API and admin action
  alike; the receiver is in ``governance.enforcement.receivers``). It refuses, with a ``DomainError`` listing every failure,
  when a blocker fails: the baseline (owner, description, schema, freshness SLA) always; a blocker standard in
  force always for a product never published, and for a product published before (coming back from deprecated)
  only once the standard's grace period is over. An approved, unexpired waiver lifts one standard. Warnings never
  block.
- ``products_evaluate(product_ids, run_id=None)`` is the continuous-enforcement core that a run's chunk tasks, the
  re-evaluation after a change (``receivers``) and a waiver's decision or expiry call. It costs the same number of queries for 5 products or 500: the
  products, their ports and fields, the rules, the waivers, the open violations and the team members are each
  loaded in one query, and every write is a bulk statement.

A violation is keyed by (product, rule key, message key): the rule key is the standard's code or
``baseline:<item>``; the message key is a hash of the message, so each failing field is its own violation and a
rerun with nothing changed finds the same keys and writes nothing: ``last_seen_at`` (and an unchanged score's
``evaluated_at``) moves only once it is older than ``SEEN_RESOLUTION``, and a violation opened on a published
product is stored already marked as notified, with its owners' notifications written beside it.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Q
from django.urls import reverse
from django.utils import timezone

from governance.enforcement.facts import product_rows_load
from governance.enforcement.models import (
    ComplianceSnapshot,
    EnforcementRun,
    ProductCompliance,
    StandardEnforcement,
    Violation,
    Waiver,
)
from governance.models import Severity, Standard
from governance.rules import EVALUATORS, ProductFacts, rule_evaluate
from portal.bulk import bulk_insert
from portal.errors import DomainError
from portal.models import Notification
from portal.scoring import severity_weight
from portal.services import task_enqueue_on_commit
from products.models import DataProduct, Membership
from products.services import product_change_status

logger = logging.getLogger(__name__)

BASELINE_ITEMS = {
    "owner": "Owner",
    "description": "Description",
    "schema": "Schema",
    "sla": "Freshness SLA",
}
ProductStatus = DataProduct.Status
EVALUATED_STATUSES = (ProductStatus.DRAFT, ProductStatus.PUBLISHED, ProductStatus.DEPRECATED)
SEEN_RESOLUTION = timedelta(hours=1)  # how stale an open violation's ``last_seen_at`` may be before a run moves it


@dataclass(frozen=True)
class Rule:
    """One check a product is held to: a baseline item or a standard in force."""

    key: str
    title: str
    kind: str
    rule: dict
    severity: str
    standard_id: int | None = None
    grace_ends: date | None = None

    @property
    def is_baseline(self) -> bool:
        return self.standard_id is None


@dataclass(frozen=True)
class Failure:
    rule: Rule
    message: str

    @property
    def message_key(self) -> str:
        return _message_key(self.message)


@lru_cache(maxsize=4096)
def _message_key(message: str) -> str:
    # The same messages recur across a catalog ("quality score missing: ..."): each is hashed once.
    return hashlib.sha1(message.encode(), usedforsecurity=False).hexdigest()[:40]


BASELINE_RULES = tuple(
    Rule(
        key=f"baseline:{item}",
        title=f"Baseline: {label}",
        kind="baseline",
        rule={"require": [item]},  # as a required-metadata rule
        severity=Severity.BLOCKER,
    )
    for item, label in BASELINE_ITEMS.items()
)


def _baseline(rule: Rule, facts: ProductFacts) -> list[str]:
    if rule.key == "baseline:sla":
        # The baseline asks for a freshness guarantee specifically (completeness or availability alone do not do).
        if facts.freshness_minutes is None:
            return ["freshness SLA missing: the baseline standard requires a freshness guarantee in minutes"]
        return []
    return rule_evaluate("required_metadata", rule.rule, facts, code="the baseline standard")


def rules_in_force() -> list[Rule]:
    """The baseline plus every standard version in force (one query)."""
    standards = (
        Standard.objects.in_force()
        .filter(kind__in=list(EVALUATORS))
        .only("pk", "code", "title", "kind", "rule", "severity", "effective_from", "grace_days")
    )
    return [
        *BASELINE_RULES,
        *(
            Rule(
                key=standard.code,
                title=standard.title,
                kind=standard.kind,
                rule=standard.rule,
                severity=standard.severity,
                standard_id=standard.pk,
                grace_ends=standard.grace_ends,
            )
            for standard in standards.order_by("code")
        ),
    ]


def evaluate(facts: ProductFacts, rules: list[Rule]) -> list[Failure]:
    """Every failure of one product against ``rules`` (pure: no database access)."""
    failures = []
    for rule in rules:
        if rule.is_baseline:
            messages = _baseline(rule, facts)
        else:
            messages = rule_evaluate(rule.kind, rule.rule, facts, code=rule.key)
        if messages:
            failures.extend(Failure(rule, message) for message in dict.fromkeys(messages))
    return failures


def score(rules: list[Rule], failures: list[Failure]) -> Decimal:
    """Share of applicable rules passed, weighted by ``portal.scoring.severity_weight`` (a blocker weighs 3, a
    warning 1), 0–100."""
    return _scorer(rules)(failures)


def _scorer(rules: list[Rule]):
    """``score`` for many products against the same rules: the weights are added up once."""
    weights = {rule.key: severity_weight(rule.severity) for rule in rules}
    total = sum(weights.values())
    cent = Decimal("0.01")

    def scored(failures: list[Failure]) -> Decimal:
        if not total:
            return Decimal(100)
        lost = sum(weights[key] for key in {failure.rule.key for failure in failures})
        return (Decimal(100) * (total - lost) / total).quantize(cent)

    return scored


def _waived_codes(product_ids, *, now) -> dict[int, set[str]]:
    waived: dict[int, set[str]] = {}
    for product_id, code in (
        Waiver.objects.active(now)
        .filter(product_id__any_of=list(product_ids))
        .values_list("product_id", "standard_code")
    ):
        waived.setdefault(product_id, set()).add(code)
    return waived


def blocking_failures(product, *, rules: list[Rule] | None = None, now=None) -> tuple[list[Failure], list[Failure]]:
    """(blocking, warnings) for publishing ``product`` now. See the module docstring for the grace rule."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    products = product_rows_load([product.pk])
    if not products:
        return [], []
    loaded = products[0]
    rules = rules if rules is not None else rules_in_force()
    waived = _waived_codes([loaded.pk], now=now).get(loaded.pk, set())
    was_published = loaded.published_at is not None
    blocking, warnings = [], []
    for failure in evaluate(loaded.facts, rules):
        rule = failure.rule
        in_grace = was_published and rule.grace_ends is not None and today < rule.grace_ends
        if rule.severity != Severity.BLOCKER or rule.key in waived or in_grace:
            warnings.append(failure)
        else:
            blocking.append(failure)
    return blocking, warnings


def gaps_of(failures: list[Failure]) -> list[tuple[Failure, list[str]]]:
    """Failures that name the same gap ("owner missing" from the baseline and from a required-metadata standard)
    once each, with the keys of every rule that asks for it, in the order first met."""
    gaps: dict[str, tuple[Failure, list[str]]] = {}
    for failure in failures:
        gap = failure.message.split(":", 1)[0]
        if gap in gaps:
            gaps[gap][1].append(failure.rule.key)
        else:
            gaps[gap] = (failure, [failure.rule.key])
    return list(gaps.values())


def publish_gate_check(product) -> None:
    """Refuse to publish ``product`` while a blocker fails, listing every gap once (warnings do not block)."""
    from governance.enforcement.advice import violation_fix, violation_fix_url

    blocking, _warnings = blocking_failures(product)
    if blocking:
        gaps = gaps_of(blocking)
        listed = "; ".join(failure.message for failure, _keys in gaps)
        details = []
        for failure, keys in gaps:
            what, _sep, expected = failure.message.partition(": ")
            details.append(
                {
                    "what": what,
                    "expected": expected,
                    "rules": keys,
                    "fix": violation_fix(rule_key=failure.rule.key, kind=failure.rule.kind),
                    "url": violation_fix_url(rule_key=failure.rule.key, kind=failure.rule.kind, product=product),
                }
            )
        raise DomainError(
            f"Publishing is blocked by {len(gaps)} failing standard{'s' if len(gaps) != 1 else ''}: {listed}.",
            details=tuple(details),
        )


# --- continuous enforcement ---------------------------------------------------------------------------------------


SCORE_COLUMNS = (
    "product_id",
    "score",
    "rules_checked",
    "rules_failed",
    "blockers_failed",
    "non_compliant",
    "evaluated_at",
)


def _stale(field: str, now):
    """Whether a stored row's ``field`` is older than SEEN_RESOLUTION, answered by the database (no timestamps to
    parse)."""
    return ExpressionWrapper(Q(**{f"{field}__lt": now - SEEN_RESOLUTION}), output_field=BooleanField())


@dataclass
class ChunkResult:
    checked: int = 0
    opened: int = 0
    resolved: int = 0


def _team_members(team_ids) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {}
    for team_id, user_id in Membership.objects.filter(team_id__in=list(team_ids), user__is_active=True).values_list(
        "team_id", "user_id"
    ):
        members.setdefault(team_id, []).append(user_id)
    return members


def products_evaluate(product_ids, *, run_id: int | None = None, now=None) -> ChunkResult:
    """Evaluate products, open and resolve violations, notify owners, apply auto-actions, store scores.

    Safe to run twice, or twice at once: the product rows are locked for the transaction, and the partial unique
    constraint keeps one open violation per key. With ``run_id`` the run's counters move with F() in the same
    transaction, and the chunk that completes the run closes it.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    product_ids = sorted(set(product_ids))
    with transaction.atomic():
        locked = list(
            DataProduct.objects.select_for_update()
            .filter(pk__any_of=product_ids, status__in=EVALUATED_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        products = product_rows_load(locked)
        rules = rules_in_force()
        actions = dict(StandardEnforcement.objects.values_list("code", "auto_action"))
        waived = _waived_codes(locked, now=now)
        open_rows = list(
            Violation.objects.filter(product_id__any_of=locked, resolved_at__isnull=True)
            .annotate(stale=_stale("last_seen_at", now))
            .values_list("pk", "product_id", "rule_key", "message_key", "stale")
        )
        open_by_key = {
            (product_id, rule_key, message_key): pk for pk, product_id, rule_key, message_key, _ in open_rows
        }
        stale_ids = {pk for pk, *_, is_stale in open_rows if is_stale}
        # Each product's stored score as (score, rules checked, failed, blockers failed, non-compliant, stale):
        # a score that has not changed is rewritten only once it is stale, as a violation's ``last_seen_at`` is.
        current = {
            product_id: tuple(row)
            for product_id, *row in ProductCompliance.objects.filter(product_id__any_of=locked)
            .annotate(stale=_stale("evaluated_at", now))
            .values_list(*SCORE_COLUMNS[:-1], "stale")
        }

        scored = _scorer(rules)
        seen: set[tuple] = set()
        # Rows to write (dicts for portal.bulk): violations opened, compliance scores, score snapshots.
        new_rows: list[dict] = []
        compliance_rows: list[dict] = []
        snapshots: list[dict] = []
        badge_codes = {code for code, action in actions.items() if action == StandardEnforcement.AutoAction.BADGE}
        deprecate_codes = {
            code for code, action in actions.items() if action == StandardEnforcement.AutoAction.DEPRECATE
        }
        for product in products:
            failures = evaluate(product.facts, rules)
            product_waived = waived.get(product.pk, set())
            published = product.status == ProductStatus.PUBLISHED
            non_compliant = False
            for failure in failures:
                rule = failure.rule
                key = (product.pk, rule.key, failure.message_key)
                seen.add(key)
                # A blocker of a published product, not waived, whose grace is over: it counts against the product.
                past_grace = (
                    published
                    and rule.severity == Severity.BLOCKER
                    and (rule.grace_ends or today) <= today
                    and rule.key not in product_waived
                )
                if key not in open_by_key:
                    new_rows.append(
                        {
                            "product_id": product.pk,
                            "standard_id": rule.standard_id,
                            "rule_key": rule.key,
                            "message_key": failure.message_key,
                            "message": failure.message,
                            "severity": rule.severity,
                            "opened_at": now,
                            "last_seen_at": now,
                            "grace_ends": rule.grace_ends or today,
                            "opened_by_run_id": run_id,
                            "notified_open": published,
                            # Told of as it opens, unless its standard deprecates the product: that goes through
                            # ``_notify_and_act`` with the stored row, which the audit names.
                            "notified_grace": past_grace and rule.key not in deprecate_codes,
                        }
                    )
                if past_grace and rule.key in badge_codes:
                    non_compliant = True
            value = scored(failures)
            outcome = (
                value,
                len(rules),
                len({f.rule.key for f in failures}),
                len({f.rule.key for f in failures if f.rule.severity == Severity.BLOCKER}),
                non_compliant,
            )
            previous = current.get(product.pk)
            if previous is None or previous[:-1] != outcome or previous[-1]:
                compliance_rows.append(dict(zip(SCORE_COLUMNS, (product.pk, *outcome, now), strict=True)))
            if previous is None or previous[0] != value:
                snapshots.append({"run_id": run_id, "product_id": product.pk, "score": value, "taken_at": now})

        resolved_ids = [pk for key, pk in open_by_key.items() if key not in seen]
        still_open = [pk for key, pk in open_by_key.items() if key in seen and pk in stale_ids]
        if resolved_ids:
            Violation.objects.filter(pk__any_of=resolved_ids, resolved_at__isnull=True).update(resolved_at=now)
        if still_open:
            Violation.objects.filter(pk__any_of=still_open).update(last_seen_at=now)
        bulk_insert(Violation, new_rows)  # a key opened meanwhile by a concurrent run is skipped
        _notify_opened(products, [row for row in new_rows if row["notified_open"]])
        bulk_insert(ProductCompliance, compliance_rows, unique_fields=("product",), update_fields=SCORE_COLUMNS[1:])
        bulk_insert(ComplianceSnapshot, snapshots)
        _notify_and_act(products, actions=actions, waived=waived, today=today)
        result = ChunkResult(checked=len(products), opened=len(new_rows), resolved=len(resolved_ids))
        if run_id is not None:
            EnforcementRun.objects.filter(pk=run_id).update(
                products_checked=F("products_checked") + result.checked,
                violations_opened=F("violations_opened") + result.opened,
                violations_resolved=F("violations_resolved") + result.resolved,
                chunks_done=F("chunks_done") + 1,
            )
    if run_id is not None:
        run_finish_if_done(run_id, now=timezone.now())
    return result


def _product_url(product) -> str:
    return reverse("products:product-detail", kwargs={"domain": product.domain_slug, "slug": product.slug})


def _notify_opened(products, rows: list[dict]) -> None:
    """The owning team hears of each violation opened on a published product, and of a blocker opened past its
    grace period, written with the violations (which are stored already marked as notified): one query for the
    members and one insert."""
    if not rows:
        return
    by_pk = {product.pk: product for product in products}
    members = _team_members({by_pk[row["product_id"]].owner_team_id for row in rows})
    notifications = []
    urls: dict[int, str] = {}
    for row in rows:
        product = by_pk[row["product_id"]]
        recipients = members.get(product.owner_team_id)
        if not recipients:
            continue
        if product.pk not in urls:
            urls[product.pk] = _product_url(product)
        key = hashlib.sha1(
            f"{row['product_id']}|{row['rule_key']}|{row['message_key']}|{row['opened_at'].isoformat()}".encode(),
            usedforsecurity=False,
        ).hexdigest()
        notifications += [
            Notification(
                recipient_id=user_id,
                kind="governance.violation_open",
                title=f"{product.name}: {row['rule_key']} violated"[:200],
                body=row["message"],
                url=urls[product.pk],
                dedupe_key=f"violation-open-{key}",
            )
            for user_id in recipients
        ]
        if row["notified_grace"]:
            notifications += [
                _grace_notification(user_id, product, row["rule_key"], row["message"], urls[product.pk], key)
                for user_id in recipients
            ]
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)


def _grace_notification(user_id, product, rule_key: str, message: str, url: str, key) -> Notification:
    return Notification(
        recipient_id=user_id,
        kind="governance.violation_grace_over",
        title=f"{product.name}: {rule_key} grace period is over"[:200],
        body=f"{message}. This blocker now counts against the product.",
        url=url,
        dedupe_key=f"violation-{key}-grace",
    )


def _notify_and_act(products, *, actions: dict, waived: dict, today) -> None:
    """Owners hear once of each violation opened on a published product, and once when a blocker passes its grace
    period (unless waived); then the standard's auto-action applies. Constant queries whatever the chunk size."""
    published = {product.pk: product for product in products if product.status == ProductStatus.PUBLISHED}
    if not published:
        return
    pending = list(
        Violation.objects.filter(product_id__any_of=list(published), resolved_at__isnull=True)
        .filter(Q(notified_open=False) | Q(severity=Severity.BLOCKER, notified_grace=False, grace_ends__lte=today))
        .only("pk", "product_id", "rule_key", "message", "severity", "grace_ends", "notified_open", "notified_grace")
        .order_by("pk")
    )
    if not pending:
        return
    members = _team_members({published[violation.product_id].owner_team_id for violation in pending})
    notifications, opened_ids, grace_ids, deprecate = [], [], [], {}
    urls: dict[int, str] = {}
    for violation in pending:
        product = published[violation.product_id]
        recipients = members.get(product.owner_team_id, [])
        if recipients and product.pk not in urls:
            urls[product.pk] = _product_url(product)
        url = urls.get(product.pk, "")
        if not violation.notified_open:
            opened_ids.append(violation.pk)
            notifications += [
                Notification(
                    recipient_id=user_id,
                    kind="governance.violation_open",
                    title=f"{product.name}: {violation.rule_key} violated"[:200],
                    body=violation.message,
                    url=url,
                    dedupe_key=f"violation-{violation.pk}-open",
                )
                for user_id in recipients
            ]
        passed_grace = (
            violation.severity == Severity.BLOCKER
            and not violation.notified_grace
            and violation.grace_ends is not None
            and violation.grace_ends <= today
            and violation.rule_key not in waived.get(product.pk, set())
        )
        if passed_grace:
            grace_ids.append(violation.pk)
            notifications += [
                _grace_notification(user_id, product, violation.rule_key, violation.message, url, violation.pk)
                for user_id in recipients
            ]
            if actions.get(violation.rule_key) == StandardEnforcement.AutoAction.DEPRECATE:
                deprecate.setdefault(product.pk, violation)
    if notifications:
        # Their emails go out when the run ends (``run_finish_if_done`` sends every pending email in one task).
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    if opened_ids:
        Violation.objects.filter(pk__any_of=opened_ids).update(notified_open=True)
    if grace_ids:
        Violation.objects.filter(pk__any_of=grace_ids).update(notified_grace=True)
    if deprecate:
        _auto_deprecate(deprecate)


def _auto_deprecate(deprecate: dict) -> None:
    """The ``deprecate`` auto-action: published → deprecated through the product lifecycle service, as the portal
    itself (``actor=None``), so the transition table, the row lock and the audit row are the catalog's own.

    Runs inside ``products_evaluate``'s transaction, each product in a savepoint: a product the service refuses is
    logged and left for the next run, and the others still move."""
    moved = []
    models_by_pk = DataProduct.objects.in_bulk(list(deprecate))
    for product_id, violation in deprecate.items():
        try:
            with transaction.atomic():
                product_change_status(
                    actor=None,
                    product=models_by_pk[product_id],
                    to_status=ProductStatus.DEPRECATED,
                    comment=f"auto-action of {violation.rule_key} after its grace period: {violation.message}"[:500],
                    data={"auto_action": "deprecate", "standard": violation.rule_key, "violation": violation.pk},
                )
        except DomainError:
            logger.exception("auto-action could not deprecate product %s", product_id)
            continue
        moved.append(violation.pk)
    if moved:
        Violation.objects.filter(pk__in=moved).update(auto_action_taken=StandardEnforcement.AutoAction.DEPRECATE)


def run_finish_if_done(run_id: int, *, now=None) -> bool:
    """Close a run once every chunk has reported (only one caller wins), and record per-domain snapshots."""
    now = now or timezone.now()
    with transaction.atomic():
        closed = EnforcementRun.objects.filter(
            pk=run_id, status=EnforcementRun.Status.RUNNING, chunks_done__gte=F("chunks_total")
        ).update(status=EnforcementRun.Status.DONE, finished_at=now)
        if not closed:
            return False
        compliance_snapshot_take(run_id=run_id, now=now)
        from portal.tasks import notification_emails_send

        task_enqueue_on_commit(notification_emails_send)
    return True


def compliance_snapshot_take(*, run_id: int | None, now) -> Decimal | None:
    """Per-domain and overall average scores of the products not retired (two queries and one insert)."""
    live = ProductCompliance.objects.filter(product__status__in=EVALUATED_STATUSES)
    rows = [
        ComplianceSnapshot(
            run_id=run_id,
            domain_id=row["product__domain_id"],
            score=Decimal(row["average"]).quantize(Decimal("0.01")),
            products=row["n"],
            taken_at=now,
        )
        for row in live.values("product__domain_id").annotate(average=Avg("score"), n=Count("pk")).order_by()
    ]
    overall = live.aggregate(average=Avg("score"), n=Count("pk"))
    overall_score = None
    if overall["n"]:
        overall_score = Decimal(overall["average"]).quantize(Decimal("0.01"))
        rows.append(ComplianceSnapshot(run_id=run_id, score=overall_score, products=overall["n"], taken_at=now))
    ComplianceSnapshot.objects.bulk_create(rows)
    if run_id is not None:
        EnforcementRun.objects.filter(pk=run_id).update(score=overall_score)
    return overall_score
