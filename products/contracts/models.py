"""A port's promise to its consumers: every schema it has had (immutable versions, some waiting for their date)
and the column declassifications waiting for a second pair of eyes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

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
