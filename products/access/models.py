"""Access to data: clearances, requests, approvals and the grants they create."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from products.models import OutputPort, PortRelatedQuerySet


class Clearance(models.Model):
    """A user's recorded training or authorisation (e.g. GDPR), granted by an admin until ``expires_at``.

    A valid clearance is what unmasks classified columns: ``gdpr`` covers PII and sensitive columns,
    ``confidential`` covers confidential ones."""

    class Kind(models.TextChoices):
        GDPR = "gdpr", "GDPR training (PII and sensitive data)"
        CONFIDENTIAL = "confidential", "Confidential business data"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clearances")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="clearance_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} until {self.expires_at:%Y-%m-%d}"

    def is_valid(self, now=None) -> bool:
        return self.expires_at > (now or timezone.now())


class AccessRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"

    class Duration(models.IntegerChoices):
        DAYS_30 = 30, "30 days"
        DAYS_90 = 90, "90 days"
        DAYS_365 = 365, "365 days"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests")
    port = models.ForeignKey(OutputPort, on_delete=models.CASCADE, related_name="access_requests")
    purpose = models.TextField()
    duration_days = models.PositiveIntegerField(choices=Duration.choices, default=Duration.DAYS_90)
    wants_unmasked_pii = models.BooleanField(default=False)
    renewal_of = models.ForeignKey(
        "AccessGrant", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewal_requests"
    )
    upgrades = models.BooleanField(
        default=False,
        editable=False,
        help_text="Asks to unmask the live grant in ``renewal_of`` (its holder gained a clearance); approving it "
        "changes no expiry.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, editable=False)
    approvals_required = models.PositiveSmallIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    decision_note = models.TextField(blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PortRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "port"], condition=Q(status="pending"), name="access_request_one_pending"
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="access_request_status_idx"),
            models.Index(fields=["requester", "-created_at"], name="access_request_mine_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requester} → {self.port}"

    def get_absolute_url(self) -> str:
        return reverse("products:access-request-detail", kwargs={"pk": self.pk})


class AccessApproval(models.Model):
    """One approver's yes. A restricted product needs two distinct ones; the constraint makes it one per person."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "approver"], name="approval_once_per_approver")]

    def __str__(self) -> str:
        return f"{self.approver} approved #{self.request_id}"


class AccessGrant(models.Model):
    """The access an approved request gives. ``request`` is one-to-one: one decision can never leave two grants."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    class Provisioning(models.TextChoices):
        PENDING = "pending", "Pending"
        PROVISIONED = "provisioned", "Provisioned"
        FAILED = "failed", "Failed"
        DEPROVISIONED = "deprovisioned", "Deprovisioned"

    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants")
    port = models.ForeignKey(OutputPort, on_delete=models.CASCADE, related_name="grants")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    unmasked_pii = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=300, blank=True)
    provisioning_state = models.CharField(max_length=16, choices=Provisioning.choices, default=Provisioning.PENDING)
    provisioning_error = models.TextField(blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    provisioning_attempts = models.PositiveSmallIntegerField(default=0, help_text="Failed attempts in a row.")
    provisioning_retry_at = models.DateTimeField(null=True, blank=True, help_text="When the sweep tries again.")

    objects = PortRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["expires_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "port"], condition=Q(status="active"), name="grant_one_active")
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="grant_status_expiry_idx"),
            models.Index(fields=["provisioning_state"], name="grant_provisioning_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.port} until {self.expires_at:%Y-%m-%d}"

    def is_live(self, now=None) -> bool:
        return self.status == self.Status.ACTIVE and self.expires_at > (now or timezone.now())
