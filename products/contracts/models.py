"""A port's promise to its consumers: every schema it has had (immutable versions, some waiting for their date)
and the column declassifications waiting for a second pair of eyes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.leases import LeasedWork
from products.models import PortRelatedQuerySet, ProductRelatedQuerySet, SchemaField, semver_validator


class DeclassificationQuerySet(ProductRelatedQuerySet):
    product_path = "field__port__product"


class SchemaVersion(models.Model):
    """One version of a port's schema: the whole schema as it stood, with what changed since the one before.

    Rows are never edited after they take effect. A ``scheduled`` version waits for ``effective_at`` (the end of a
    notice period), when a job applies it; ``cancelled`` ones never took effect."""

    class Status(models.TextChoices):
        APPLIED = "applied", "In effect"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    class Level(models.TextChoices):
        INITIAL = "initial", "First version"
        BREAKING = "breaking", "Breaking"
        ADDITIVE = "additive", "Additive"
        PATCH = "patch", "Patch"

    port = models.ForeignKey("products.OutputPort", on_delete=models.CASCADE, related_name="schema_versions")
    version = models.CharField(max_length=64, validators=[semver_validator])
    schema = models.JSONField(default=list, help_text="The port's columns, in order.")
    level = models.CharField(max_length=16, choices=Level.choices)
    changes = models.JSONField(default=list, blank=True, help_text="What changed since the previous version.")
    summary = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(default=timezone.now)

    objects = PortRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["port", "version"],
                condition=~Q(status="cancelled"),
                name="schema_version_unique_in_port",
            ),
            # One change at a time waits for its date.
            models.UniqueConstraint(
                fields=["port"], condition=Q(status="scheduled"), name="schema_version_one_scheduled"
            ),
        ]
        indexes = [
            models.Index(fields=["port", "-created_at"], name="schema_version_port_idx"),
            models.Index(fields=["status", "effective_at"], name="schema_version_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.port} v{self.version}"


class Declassification(models.Model):
    """A request to lower a column's classification. Until a steward or data-protection officer (never the
    requester) approves it, the column keeps its stricter classification, so masking holds."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    field = models.ForeignKey(SchemaField, on_delete=models.CASCADE, related_name="declassifications")
    from_classification = models.CharField(max_length=16, choices=SchemaField.Classification.choices)
    to_classification = models.CharField(max_length=16, choices=SchemaField.Classification.choices, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="declassifications_requested"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="declassifications_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.CharField(max_length=500, blank=True)

    objects = DeclassificationQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["field"], condition=Q(status="pending"), name="declassification_one_pending_per_field"
            )
        ]
        indexes = [models.Index(fields=["status", "-requested_at"], name="declassification_status_idx")]

    def __str__(self) -> str:
        return f"{self.field}: {self.from_classification or 'none'} → {self.to_classification or 'none'}"


class PortContract(models.Model):
    """The ODCS document last applied to a port (by upload, the API or ``contract_apply``), kept verbatim: what
    the portal does not model (servers, price, roles, custom properties …) is exported from here again."""

    port = models.OneToOneField("products.OutputPort", on_delete=models.CASCADE, related_name="contract")
    contract_id = models.CharField(max_length=200, unique=True, help_text="The document's ODCS id.")
    api_version = models.CharField(max_length=16)
    document = models.JSONField(help_text="The document as applied, less what the portal writes itself.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the document as applied.")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)

    objects = PortRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-applied_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.contract_id} → {self.port}"


class DriftRun(models.Model):
    """One comparison of ports' declared schemas with their real tables: "Check now" on a product, or the
    schedule for one warehouse. Ports are checked in chunks; ``completed`` counts ports done."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Check now"
        SCHEDULE = "schedule", "Schedule"

    product = models.ForeignKey(
        "products.DataProduct", null=True, blank=True, on_delete=models.CASCADE, related_name="drift_runs"
    )
    warehouse = models.ForeignKey(
        "products.Warehouse", null=True, blank=True, on_delete=models.CASCADE, related_name="drift_runs"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    port_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0, help_text="Ports whose table could not be read.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=Q(product__isnull=False) & ~Q(status="done"), name="drift_run_one_active"
            ),
            models.UniqueConstraint(
                fields=["warehouse"],
                condition=Q(warehouse__isnull=False) & ~Q(status="done"),
                name="drift_run_one_active_per_warehouse",
            ),
        ]
        indexes = [models.Index(fields=["product", "-created_at"], name="drift_run_product_idx")]

    def __str__(self) -> str:
        return f"drift check #{self.pk} of {self.product or self.warehouse} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * min(self.completed, self.total) / self.total)


class DriftChunk(LeasedWork):
    """Up to ``DRIFT_CHUNK`` ports of one warehouse in a run, read by one worker under a lease (``portal.leases``): a
    worker that dies mid-chunk loses it to the minute's sweep, and a chunk that keeps failing records its ports as
    unreadable, so its run still finishes."""

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="chunks")
    warehouse_id = models.PositiveBigIntegerField()
    port_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "pk"]
        indexes = [models.Index(fields=["state", "lease_expires_at"], name="drift_chunk_lease_idx")]

    def __str__(self) -> str:
        return f"{len(self.port_ids)} ports of drift check #{self.run_id} ({self.state})"


class PortDriftState(models.Model):
    """What the last drift check saw of a port's table: its columns as the warehouse reports them, or why it could
    not read them. ``run`` marks which run counted it, so a redelivered chunk counts a port once."""

    port = models.OneToOneField("products.OutputPort", on_delete=models.CASCADE, related_name="drift_state")
    run = models.ForeignKey(DriftRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)
    table_found = models.BooleanField(default=False)
    observed = models.JSONField(default=list, blank=True, help_text="Columns in the table: name, type, nullable.")
    error = models.CharField(max_length=500, blank=True, help_text="Why the table could not be read.")

    objects = PortRelatedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.port} checked {self.checked_at:%Y-%m-%d %H:%M}"


class DriftFinding(models.Model):
    """A difference between a port's declared schema and its real table. Opened once (a partial unique
    constraint), resolved by the first check that no longer finds it."""

    class Kind(models.TextChoices):
        TABLE_MISSING = "table_missing", "Table missing"
        MISSING = "missing", "Declared column missing"
        EXTRA = "extra", "Column not declared"
        TYPE = "type", "Type differs"
        NULLABLE = "nullable", "Accepts nulls the contract forbids"

    port = models.ForeignKey("products.OutputPort", on_delete=models.CASCADE, related_name="drift_findings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    column = models.CharField(max_length=100, blank=True)
    declared = models.CharField(max_length=100, blank=True)
    actual = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=300)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = PortRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["port", "kind", "column"], condition=Q(resolved_at__isnull=True), name="drift_finding_one_open"
            )
        ]
        indexes = [models.Index(fields=["port", "resolved_at"], name="drift_finding_port_open_idx")]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
