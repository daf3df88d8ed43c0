from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class AuditEvent(models.Model):
    """Who did what to which object, and when (UTC). Holds ids and states, never personal data."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_label or self.target_id}"


class Notification(models.Model):
    """An inbox entry. ``dedupe_key`` makes "notify once" a database fact: the same key never reaches a user twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_wanted = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True, help_text="Why the e-mail could not be sent.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_wanted=True, emailed_at=None),
                name="notification_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ApiToken(AbstractAuthToken):
    """A personal API token: pipelines and agents call the API with it, acting as its user.

    django-rest-knox's token, with a name and the time of last use added. The key itself is never stored: only its
    SHA-512 ``digest`` and ``token_key``, the key's first 15 characters, by which knox finds the row and the pages
    tell tokens apart. The key is shown once, when the token is made (``portal.services.api_token_create``).
    A revoked token is deleted; an expired one stops working at once and knox deletes it when its user next calls.
    A ``read_only`` token reads only, in the API and the MCP server alike (``portal.permissions.token_may_write``).
    """

    # Knox's digest is the primary key; here a plain id is, so that admin and API addresses never carry the digest.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True, editable=False)
    name = models.CharField(max_length=100)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Chosen when the token is made, never changed after: a read-only token reads (API GET, MCP reading tools) and
    # writes nothing, whatever its user may do.
    read_only = models.BooleanField(
        default=False, editable=False, help_text="Reads only: no writing API call and no writing MCP tool."
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"

    @property
    def prefix(self) -> str:
        return self.token_key

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()


class NamedLease(models.Model):
    """A lock held for a while by one process among many, by name: the one beat that sends scheduled jobs holds
    ``celery-beat`` and renews it; when it stops renewing, another takes over (``portal.leases.named_lease_hold``)."""

    name = models.CharField(max_length=100, unique=True)
    owner = models.CharField(max_length=120)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.owner} until {self.expires_at:%H:%M:%S}"
