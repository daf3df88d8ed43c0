"""Quality: checks, runs, results, score snapshots, incidents and ingest tokens."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.leases import LeasedWork
from portal.scoring import severity_weight
from products.models import DataProduct, OutputPort, ProductRelatedQuerySet, identifier_validator


class QualityCheckQuerySet(ProductRelatedQuerySet):
    def with_latest_result(self, **fields: str) -> "QualityCheckQuerySet":
        """Annotate each check with fields of its latest result, e.g. ``with_latest_result(latest_state="state")``:
        one correlated subquery per field, so a list of checks with their state costs one query."""
        latest = CheckResult.objects.filter(quality_check=models.OuterRef("pk")).order_by("-measured_at", "-id")
        return self.annotate(**{alias: models.Subquery(latest.values(column)[:1]) for alias, column in fields.items()})


class QualityCheck(models.Model):
    """One automated check on a product's data. ``params`` depend on ``kind`` (validated by
    ``products.quality.runner.params_validate``):

    freshness ``{"max_age_minutes": int}`` · completeness ``{"min_percent": 0..100}`` · row_count
    ``{"min_rows": int, "max_rows": int}`` (either or both) · uniqueness ``{"max_duplicates": int}`` (default 0) ·
    accepted_values ``{"values": [...]}`` · custom_sql ``{"sql": "SELECT …", "operator": ">=", "threshold": n}`` ·
    external: results only arrive through the push API.

    Severity is ``blocker`` (weight 3 in the score) or ``warning`` (weight 1), as for governance standards.
    """

    class Kind(models.TextChoices):
        FRESHNESS = "freshness", "Freshness"
        COMPLETENESS = "completeness", "Completeness"
        ROW_COUNT = "row_count", "Row count"
        UNIQUENESS = "uniqueness", "Uniqueness"
        ACCEPTED_VALUES = "accepted_values", "Accepted values"
        CUSTOM_SQL = "custom_sql", "Custom SQL"
        EXTERNAL = "external", "Pushed by a pipeline"

    class Severity(models.TextChoices):
        BLOCKER = "blocker", "Blocker"
        WARNING = "warning", "Warning"

    class Dimension(models.TextChoices):  # ODCS v3 data quality dimensions
        ACCURACY = "accuracy", "Accuracy"
        COMPLETENESS = "completeness", "Completeness"
        CONFORMITY = "conformity", "Conformity"
        CONSISTENCY = "consistency", "Consistency"
        COVERAGE = "coverage", "Coverage"
        TIMELINESS = "timeliness", "Timeliness"
        UNIQUENESS = "uniqueness", "Uniqueness"

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="quality_checks")
    port = models.ForeignKey(OutputPort, null=True, blank=True, on_delete=models.CASCADE, related_name="quality_checks")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    column = models.CharField(max_length=63, blank=True, validators=[identifier_validator])
    params = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = QualityCheckQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="quality_check_name_unique")]

    def __str__(self) -> str:
        return f"{self.product} · {self.name}"

    @property
    def weight(self) -> int:
        return severity_weight(self.severity)


class CheckRun(models.Model):
    """One execution of a product's enabled checks ("Run checks now" or the schedule), with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Run checks now"
        SCHEDULE = "schedule", "Schedule"

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="check_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, editable=False)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    check_ids = models.JSONField(default=list, editable=False)
    total = models.PositiveIntegerField(default=0, editable=False)
    completed = models.PositiveIntegerField(default=0, editable=False)
    failed = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=~Q(status="done"), name="check_run_one_active_per_product"
            )
        ]
        indexes = [models.Index(fields=["product", "-created_at"], name="check_run_product_idx")]

    def __str__(self) -> str:
        return f"run #{self.pk} of {self.product} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * min(self.completed, self.total) / self.total)


class CheckRunItem(LeasedWork):
    """One check of a run, run by one worker under a lease (``portal.leases``): a worker that dies mid-check loses
    it to the sweep within a minute, and a check that keeps killing its worker ends as an error result."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="items")
    check_id = models.PositiveBigIntegerField(help_text="The check (kept if the check is deleted meanwhile).")

    class Meta:
        ordering = ["run", "check_id"]
        constraints = [models.UniqueConstraint(fields=["run", "check_id"], name="check_run_item_once")]
        indexes = [models.Index(fields=["state", "lease_expires_at"], name="check_run_item_lease_idx")]

    def __str__(self) -> str:
        return f"check {self.check_id} of run {self.run_id} ({self.state})"


class CheckResult(models.Model):
    """One measurement of one check: the time series behind scores, charts, SLA compliance and incidents."""

    class State(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ERROR = "error", "Could not run"

    class Source(models.TextChoices):
        RUNNER = "runner", "Runner"
        PUSH = "push", "Pushed"

    quality_check = models.ForeignKey(QualityCheck, on_delete=models.CASCADE, related_name="results")
    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="check_results")
    run = models.ForeignKey(CheckRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="results")
    state = models.CharField(max_length=10, choices=State.choices)
    observed_value = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="What was measured, or the database's error.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.RUNNER)
    measured_at = models.DateTimeField(default=timezone.now)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-measured_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "quality_check"], condition=Q(run__isnull=False), name="check_result_once_per_run"
            )
        ]
        indexes = [
            models.Index(fields=["quality_check", "measured_at"], name="check_result_series_idx"),
            models.Index(fields=["product", "measured_at"], name="check_result_product_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quality_check_id} {self.state} at {self.measured_at:%Y-%m-%d %H:%M}"


class QualityScoreSnapshot(models.Model):
    """The product's score (0–100) and per-dimension scores after a run or a push: the history chart's points."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="quality_snapshots")
    measured_at = models.DateTimeField(default=timezone.now)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    dimensions = models.JSONField(default=dict)

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [models.Index(fields=["product", "measured_at"], name="quality_snapshot_idx")]

    def __str__(self) -> str:
        return f"{self.product} {self.score} at {self.measured_at:%Y-%m-%d %H:%M}"


class Incident(models.Model):
    """A breached check or a missed SLA. Open until the check passes again (or the SLA is met again).

    Partial unique constraints keep one open incident per check, and one per product and SLA metric, so a job
    that runs twice (or twice at once) opens it once."""

    class Kind(models.TextChoices):
        BREACH = "breach", "Check breached"
        SLA_MISS = "sla_miss", "SLA missed"

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="incidents")
    quality_check = models.ForeignKey(
        QualityCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="incidents"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    metric = models.CharField(max_length=16, blank=True, help_text="SLA misses: freshness, completeness, availability")
    summary = models.CharField(max_length=500)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quality_check"],
                condition=Q(resolved_at__isnull=True, quality_check__isnull=False),
                name="incident_one_open",
            ),
            models.UniqueConstraint(
                fields=["product", "metric"],
                condition=Q(resolved_at__isnull=True, kind="sla_miss"),
                name="incident_one_open_sla_miss",
            ),
        ]
        indexes = [models.Index(fields=["product", "resolved_at"], name="incident_product_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ProductIngestToken(models.Model):
    """A token a pipeline uses to push check results for one product. Only its SHA-256 is stored."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="ingest_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.product}"
