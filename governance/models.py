"""The federated governance council: seats, proposals, votes, comments and the versioned standards they adopt.

The decision log is not a table of its own: every transition and vote writes a ``portal.AuditEvent`` whose
``data`` carries the council id, and the log page and exports read those rows.

Enforcement's models (runs, violations, waivers, compliance) are in ``governance.enforcement.models``: the same
app, registered by ``GovernanceConfig.import_models()``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Council(models.Model):
    class Majority(models.TextChoices):
        SIMPLE = "simple", "Simple majority of non-abstaining votes"
        TWO_THIRDS = "two_thirds", "Two-thirds of non-abstaining votes"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    quorum_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of seats that must cast a vote (abstentions count) for a decision to be valid.",
    )
    majority = models.CharField(max_length=16, choices=Majority.choices, default=Majority.SIMPLE)
    default_vote_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:council-detail")


def _away_q(today) -> Q:
    return Q(substitute__isnull=False, substitute_until__gte=today)


class SeatQuerySet(models.QuerySet):
    def filled(self) -> "SeatQuerySet":
        """Seats with a holder: the ones that vote and count towards quorum (a vacant seat does neither)."""
        return self.filter(holder__isnull=False)

    def voted_by(self, user, today=None) -> "SeatQuerySet":
        """Seats ``user`` votes for today: those they hold unless a substitute stands in, and those they stand in
        for until the absence ends."""
        away = _away_q(today or timezone.localdate())
        return self.filter((Q(holder=user) & ~away) | (Q(substitute=user) & away))


class Seat(models.Model):
    """One voting seat: a domain's seat held by its representative, or the chair's seat (``domain`` empty).

    A domain seat may be vacant (no holder). During a holder's absence a substitute votes for the seat until
    ``substitute_until`` (inclusive); then the holder votes again."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="seats")
    domain = models.ForeignKey(
        "products.Domain", null=True, blank=True, on_delete=models.PROTECT, related_name="council_seats"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="council_seats"
    )
    is_chair = models.BooleanField(default=False)
    since = models.DateField(default=timezone.localdate)
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="council_substitutions",
        help_text="Votes for the seat while the holder is away.",
    )
    substitute_until = models.DateField(null=True, blank=True, help_text="The last day the substitute votes.")

    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["-is_chair", "domain__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "domain"], condition=Q(domain__isnull=False), name="seat_once_per_domain"
            ),
            models.UniqueConstraint(fields=["council"], condition=Q(is_chair=True), name="seat_one_chair"),
            models.CheckConstraint(
                condition=(Q(is_chair=True) & Q(domain__isnull=True)) | (Q(is_chair=False) & Q(domain__isnull=False)),
                name="seat_chair_xor_domain",
            ),
            models.CheckConstraint(condition=Q(is_chair=False) | Q(holder__isnull=False), name="seat_chair_held"),
            models.CheckConstraint(
                condition=Q(substitute__isnull=True, substitute_until__isnull=True)
                | Q(substitute__isnull=False, substitute_until__isnull=False),
                name="seat_substitute_with_end",
            ),
        ]

    def __str__(self) -> str:
        return "Chair" if self.is_chair else f"{self.domain} seat"

    @property
    def label(self) -> str:
        return "Chair" if self.is_chair else str(self.domain)

    def substitute_active(self, today=None) -> bool:
        return bool(
            self.substitute_id and self.substitute_until and self.substitute_until >= (today or timezone.localdate())
        )

    @property
    def voter_id(self) -> int | None:
        """Who votes for the seat today: the substitute during an absence, else the holder (None when vacant)."""
        return self.substitute_id if self.substitute_active() else self.holder_id


class StandardKind(models.TextChoices):
    NAMING_CONVENTION = "naming_convention", "Naming convention"
    MIN_QUALITY_SCORE = "min_quality_score", "Minimum quality score"
    REQUIRED_CLASSIFICATION = "required_classification", "Required classification"
    SLA_TEMPLATE = "sla_template", "SLA template"
    REQUIRED_METADATA = "required_metadata", "Required metadata"
    NOTICE_PERIOD = "notice_period", "Notice period for consumers"


class Severity(models.TextChoices):
    BLOCKER = "blocker", "Blocker"
    WARNING = "warning", "Warning"


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProposalQuerySet":
        from governance.permissions import proposal_visibility_q

        return self.filter(proposal_visibility_q(user))


class Proposal(models.Model):
    class Kind(models.TextChoices):
        ADOPT_STANDARD = "adopt_standard", "Adopt a new standard"
        AMEND_STANDARD = "amend_standard", "Amend a standard"
        RETIRE_STANDARD = "retire_standard", "Retire a standard"
        ADOPT_TERM = "adopt_term", "Adopt a glossary term"
        RESOLUTION = "resolution", "Other resolution"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for voting"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired (no quorum)"

    STANDARD_KINDS = (Kind.ADOPT_STANDARD, Kind.AMEND_STANDARD)
    TARGETED_KINDS = (Kind.AMEND_STANDARD, Kind.RETIRE_STANDARD)
    CLOSED_STATUSES = (Status.ACCEPTED, Status.REJECTED, Status.WITHDRAWN, Status.EXPIRED)

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="proposals")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals")
    title = models.CharField(max_length=200)
    motivation = models.TextField(help_text="Markdown: why the council should decide this.")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    deadline = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The tally frozen at close, so the record does not move if seats change later.
    result = models.JSONField(default=dict, blank=True, editable=False)

    target_standard = models.ForeignKey(
        "Standard",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="target_of",
        help_text="The standard version an amend or retire proposal is about.",
    )
    standard_kind = models.CharField(max_length=32, choices=StandardKind.choices, blank=True)
    standard_title = models.CharField(max_length=200, blank=True)
    standard_text = models.TextField(blank=True, help_text="Markdown: the standard as people read it.")
    rule = models.JSONField(default=dict, blank=True, help_text="The machine-checkable rule (see governance.rules).")
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    grace_days = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(365)])
    effective_from = models.DateField(
        null=True, blank=True, help_text="When the standard takes effect; empty means on acceptance."
    )
    payload = models.JSONField(default=dict, blank=True, help_text="Data for other kinds, e.g. {'term_id': 12}.")

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="proposal_status_deadline_idx"),
            models.Index(fields=["council", "status", "-created_at"], name="proposal_council_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("governance:proposal-detail", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def carries_standard(self) -> bool:
        return self.kind in self.STANDARD_KINDS

    @property
    def badge(self) -> str:
        return {
            self.Status.OPEN: "warn",
            self.Status.ACCEPTED: "ok",
            self.Status.REJECTED: "bad",
            self.Status.EXPIRED: "bad",
        }.get(self.status, "draft")

    def voting_is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.deadline is not None and now < self.deadline


class Vote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", "For"
        AGAINST = "against", "Against"
        ABSTAIN = "abstain", "Abstain"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(max_length=8, choices=Choice.choices)
    rationale = models.TextField(blank=True)
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["proposal_id", "seat_id"]
        constraints = [models.UniqueConstraint(fields=["proposal", "seat"], name="vote_once_per_seat")]

    def __str__(self) -> str:
        return f"{self.seat} votes {self.choice} on {self.proposal}"


class Comment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.proposal}"


class StandardQuerySet(models.QuerySet):
    def in_force(self) -> "StandardQuerySet":
        return self.filter(status=Standard.Status.IN_FORCE)


class Standard(models.Model):
    """One version of a standard. ``code`` (STD-007) is stable across versions; at most one version is in force."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_FORCE = "in_force", "In force"
        RETIRED = "retired", "Retired"

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="standards")
    code = models.CharField(max_length=16, db_index=True)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=32, choices=StandardKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    rule = models.JSONField(default=dict)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    effective_from = models.DateField()
    grace_days = models.PositiveSmallIntegerField(default=30)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    adopted_by = models.OneToOneField(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="adopted_standard"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = StandardQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="standard_code_version_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="in_force"), name="standard_one_version_in_force"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="standard_status_kind_idx")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("governance:standard-detail", kwargs={"code": self.code})

    @property
    def badge(self) -> str:
        return {self.Status.IN_FORCE: "ok", self.Status.SCHEDULED: "warn"}.get(self.status, "retired")

    @property
    def grace_ends(self):
        from datetime import timedelta

        return self.effective_from + timedelta(days=self.grace_days)
