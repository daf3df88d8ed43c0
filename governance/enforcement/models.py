"""Standards enforced: enforcement runs, violations, waivers, each product's compliance and its history, and the
auto-action chosen per standard.

These models live in this module but belong to the ``governance`` app (same app label, tables and migrations):
``GovernanceConfig.import_models()`` imports this module with the app's own models.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from governance.models import Severity, Standard
from portal.leases import LeasedWork


class EnforcementRun(models.Model):
    """One pass of continuous enforcement over every product not retired, in ``EnforcementChunk``s that workers
    lease (``governance.enforcement.runs``). Chunks count into it with F(); one run runs at a time (a partial unique
    constraint), whoever starts it."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SCHEDULE)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunk_size = models.PositiveIntegerField(default=500)
    products_total = models.PositiveIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    products_checked = models.PositiveIntegerField(default=0)
    violations_opened = models.PositiveIntegerField(default=0)
    violations_resolved = models.PositiveIntegerField(default=0)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    failure_reason = models.TextField(blank=True, help_text="Why the run failed (a chunk out of attempts).")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="enfrun_one_running")
        ]
        indexes = [models.Index(fields=["status", "-started_at"], name="enfrun_status_started_idx")]

    def __str__(self) -> str:
        return f"Enforcement run {self.pk} ({self.status})"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def progress_percent(self) -> int:
        if not self.chunks_total:
            return 100 if self.status != self.Status.RUNNING else 0
        return int(100 * self.chunks_done / self.chunks_total)

    @property
    def products_per_second(self) -> float | None:
        duration = self.duration
        if not duration or not duration.total_seconds():
            return None
        return self.products_checked / duration.total_seconds()


class EnforcementChunk(LeasedWork):
    """A slice of a run's products, evaluated by one worker under a lease (``portal.leases``): a worker that dies
    loses it to the sweep within a minute, and its evaluation and "done" commit together, so it counts once."""

    run = models.ForeignKey(EnforcementRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    product_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="enfchunk_once_per_run")]
        indexes = [models.Index(fields=["state", "lease_expires_at"], name="enfchunk_lease_idx")]

    def __str__(self) -> str:
        return f"chunk {self.index} of run {self.run_id} ({self.state})"


class Violation(models.Model):
    """A product failing one rule. ``rule_key`` is the standard's code ("STD-004") or a baseline rule
    ("baseline:owner"); ``message_key`` tells apart several failures of one rule (one per field, say).

    At most one open violation exists per (product, rule_key, message_key): a rerun refreshes ``last_seen_at``
    instead of adding a row, and a passing product closes it (``resolved_at``)."""

    # No index of its own: ``violation_product_open_idx`` (product, resolved_at) serves the product's look-ups and
    # cascades, and every violation an enforcement run opens would otherwise maintain one more index.
    product = models.ForeignKey(
        "products.DataProduct", on_delete=models.CASCADE, related_name="violations", db_index=False
    )
    standard = models.ForeignKey(Standard, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_key = models.CharField(max_length=40)
    message_key = models.CharField(max_length=40)
    message = models.TextField()
    severity = models.CharField(max_length=16, choices=Severity.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    grace_ends = models.DateField(null=True, blank=True, help_text="When a blocker starts to bite a published product.")
    opened_by_run = models.ForeignKey(
        EnforcementRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_open = models.BooleanField(default=False)
    notified_grace = models.BooleanField(default=False)
    auto_action_taken = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "rule_key", "message_key"],
                condition=Q(resolved_at__isnull=True),
                name="violation_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["product", "resolved_at"], name="violation_product_open_idx"),
            models.Index(fields=["rule_key", "resolved_at"], name="violation_rule_open_idx"),
            # The few open violations whose owners still have a notice due (enforcement's ``_notify_and_act``):
            # a rerun of a settled catalog finds none without reading every open violation of the chunk.
            models.Index(
                fields=["product"],
                condition=Q(resolved_at__isnull=True)
                & (Q(notified_open=False) | Q(severity=Severity.BLOCKER, notified_grace=False)),
                name="violation_notice_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_key}: {self.message[:80]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def is_baseline(self) -> bool:
        return self.rule_key.startswith("baseline:")


class WaiverQuerySet(models.QuerySet):
    def active(self, now=None) -> "WaiverQuerySet":
        return self.filter(status=Waiver.Status.APPROVED, expires_at__gt=now or timezone.now())


class Waiver(models.Model):
    """An exception to one standard for one product, until ``expires_at``. The owner asks, the chair decides."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    MAX_DAYS = 365

    product = models.ForeignKey("products.DataProduct", on_delete=models.CASCADE, related_name="waivers")
    standard_code = models.CharField(max_length=16)
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = WaiverQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "standard_code"],
                condition=Q(status__in=["requested", "approved"]),
                name="waiver_one_live_per_standard",
            )
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="waiver_status_expiry_idx")]

    def __str__(self) -> str:
        return f"Waiver of {self.standard_code} for {self.product}"

    @property
    def badge(self) -> str:
        return {self.Status.APPROVED: "ok", self.Status.REQUESTED: "warn", self.Status.REJECTED: "bad"}.get(
            self.status, "retired"
        )


class ProductCompliance(models.Model):
    """The current compliance of one product (one row per product). An evaluation rewrites it when the outcome
    changes, and otherwise once ``evaluated_at`` is older than enforcement's ``SEEN_RESOLUTION`` (an hour), so
    ``evaluated_at`` tells when the score was last computed or confirmed, to the hour."""

    product = models.OneToOneField(
        "products.DataProduct", primary_key=True, on_delete=models.CASCADE, related_name="compliance"
    )
    score = models.DecimalField(max_digits=5, decimal_places=2)
    rules_checked = models.PositiveSmallIntegerField(default=0)
    rules_failed = models.PositiveSmallIntegerField(default=0)
    blockers_failed = models.PositiveSmallIntegerField(default=0)
    non_compliant = models.BooleanField(default=False, help_text="Badge set by a standard's auto-action.")
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "product compliance"

    def __str__(self) -> str:
        return f"{self.product_id}: {self.score}"

    @property
    def badge(self) -> str:
        return "ok" if self.score >= 90 else ("warn" if self.score >= 60 else "bad")


class ComplianceSnapshot(models.Model):
    """History for trend charts: per domain and overall at the end of each run (``domain`` empty = overall),
    and per product whenever its score changes (``product`` set)."""

    run = models.ForeignKey(EnforcementRun, null=True, blank=True, on_delete=models.CASCADE, related_name="snapshots")
    product = models.ForeignKey(
        "products.DataProduct", null=True, blank=True, on_delete=models.CASCADE, related_name="compliance_snapshots"
    )
    domain = models.ForeignKey(
        "products.Domain", null=True, blank=True, on_delete=models.CASCADE, related_name="compliance_snapshots"
    )
    score = models.DecimalField(max_digits=5, decimal_places=2)
    products = models.PositiveIntegerField(default=1)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [
            models.Index(fields=["domain", "taken_at"], name="compsnap_domain_taken_idx"),
            models.Index(fields=["product", "taken_at"], name="compsnap_product_taken_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.score} at {self.taken_at:%Y-%m-%d %H:%M}"


class StandardEnforcement(models.Model):
    """Per standard code (all versions): what happens to a published product once a blocker's grace is over."""

    class AutoAction(models.TextChoices):
        NONE = "none", "Nothing (notify only)"
        BADGE = "non_compliant_badge", "Show a “non-compliant” badge"
        DEPRECATE = "deprecate", "Move the product to deprecated"

    code = models.CharField(max_length=16, unique=True)
    auto_action = models.CharField(max_length=24, choices=AutoAction.choices, default=AutoAction.NONE)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.get_auto_action_display()}"
