import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from portal.outbound import UnsafeDestination, destination_check
from portal.validators import header_safe_name_validate

# semver.org's official pattern: MAJOR.MINOR.PATCH with optional pre-release and build metadata.
SEMVER_RE = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)


semver_validator = RegexValidator(SEMVER_RE, "Enter a semantic version such as 1.0.0 or 2.1.0-rc.1.")


identifier_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]*$", "Use letters, digits and underscores, starting with a letter or underscore."
)


table_name_validator = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$",
    "A table name, optionally schema-qualified: letters, digits and underscores (e.g. sales.bookings).",
)


class Domain(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A domain team. Its auth ``Group`` carries the team's object permissions on the products it owns."""

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="teams")
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team", editable=False)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.group_id:
            self.group, _ = Group.objects.get_or_create(name=f"team:{self.slug}")
        super().save(*args, **kwargs)


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        APPROVER = "approver", "Access approver"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    # Set when the identity provider's claims made this membership: each sign-in updates or removes it.
    from_identity_provider = models.BooleanField(default=False, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_once_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class TeamClaimMapping(models.Model):
    """A value of the identity provider's group claim (``MESH_OIDC_GROUPS_CLAIM``, e.g. ``groups``) that puts
    whoever carries it in ``team`` with ``role``, applied at each OIDC sign-in."""

    claim_value = models.CharField(max_length=200, help_text="A value of the group claim, e.g. crm-data-owners.")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="claim_mappings")
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.MEMBER)

    class Meta:
        ordering = ["claim_value", "team__name"]
        constraints = [models.UniqueConstraint(fields=["claim_value", "team"], name="claim_mapping_once_per_team")]

    def __str__(self) -> str:
        return f"{self.claim_value} → {self.team} ({self.role})"


class IdentityProviderLink(models.Model):
    """The identity provider's own, unchanging id of a person who signs in through it (the ID token's ``iss`` and
    ``sub``). A sign-in finds its account by this link, never by a name or an e-mail the provider may let people
    change, so nobody becomes someone else by renaming themselves there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_provider_link"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="identity_link_once")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.issuer} {self.subject}"


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Classification(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class DataProductQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DataProductQuerySet":
        """Products ``user`` may see (``product_visibility_q``)."""
        from products.permissions import product_visibility_q

        return self.filter(product_visibility_q(user))


class ProductRelatedQuerySet(models.QuerySet):
    """Rows that hang off a product (ports, consumers, checks, incidents) are visible exactly when it is."""

    product_path = "product"

    def visible_to(self, user):
        return self.filter(**{f"{self.product_path}__in": DataProduct.objects.visible_to(user)})


class PortRelatedQuerySet(ProductRelatedQuerySet):
    """Rows that hang off a port (access requests, grants) are visible when the port's product is."""

    product_path = "port__product"


class DataProduct(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        DEPRECATED = "deprecated", "Deprecated"
        RETIRED = "retired", "Retired"

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="products")
    slug = models.SlugField(max_length=80)
    urn = models.CharField(max_length=200, unique=True, editable=False)
    name = models.CharField(max_length=150)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="products")
    accountable = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accountable_for",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    summary = models.CharField(max_length=300, blank=True)
    documentation = models.TextField(blank=True, help_text="Markdown: business context, calculation, caveats, usage.")
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    classification = models.CharField(max_length=16, choices=Classification.choices, default=Classification.INTERNAL)
    freshness_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Data is at most this many minutes old."
    )
    completeness_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    availability_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rows are kept at least this many days."
    )
    quality_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the product is deprecated: consumers have until then; retirement waits for it.
    sunset_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DataProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["domain", "slug"], name="product_slug_unique_in_domain")]
        indexes = [
            models.Index(fields=["status", "name"], name="product_status_name_idx"),
            models.Index(fields=["owner_team", "status"], name="product_team_status_idx"),
            models.Index(fields=["classification"], name="product_classification_idx"),
            # The catalog's order and the newest-published lists, under the visibility filter.
            models.Index(fields=["name", "id"], name="product_name_id_idx"),
            models.Index(fields=["status", "published_at", "id"], name="product_status_published_idx"),
        ]
        permissions = [("publish_dataproduct", "Can publish, deprecate and retire the data product")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.urn:
            self.urn = f"{settings.MESH_URN_PREFIX}:{self.domain.slug}:{self.slug}"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("products:product-detail", kwargs={"domain": self.domain.slug, "slug": self.slug})

    @property
    def has_sla(self) -> bool:
        return any(
            value is not None
            for value in (
                self.freshness_minutes,
                self.completeness_percent,
                self.availability_percent,
                self.retention_days,
            )
        )


class ProductSearchVector(models.Model):
    """A product's full-text search vector on PostgreSQL, kept by ``products.search`` beside the product rather than
    in its row, so that the lists and the product page never read it (SQLite keeps an FTS5 table instead). Its GIN
    index is created by migration ``0022`` on PostgreSQL only."""

    product = models.OneToOneField(
        DataProduct, primary_key=True, on_delete=models.CASCADE, related_name="search_vector", editable=False
    )
    vector = SearchVectorField(null=True, editable=False)

    def __str__(self) -> str:
        return f"search vector of product {self.product_id}"


class DataProductGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK object permissions: deleting a product deletes its permission rows (guardian's advice)."""

    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


class DataProductUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(DataProduct, on_delete=models.CASCADE)


class OutputPort(models.Model):
    class Kind(models.TextChoices):
        TABLE = "table", "Table"
        VIEW = "view", "View"
        API = "api", "API"
        STREAM = "stream", "Stream"
        FILE = "file", "File"

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="ports")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TABLE)
    location = models.CharField(
        max_length=500, blank=True, help_text="Where consumers read it, e.g. warehouse.sales.orders or a URL."
    )
    version = models.CharField(max_length=64, default="1.0.0", validators=[semver_validator])
    description = models.TextField(blank=True)
    # Where the port's rows really live: previews, exports, provisioning and quality checks read from here.
    warehouse = models.ForeignKey("Warehouse", null=True, blank=True, on_delete=models.SET_NULL, related_name="ports")
    table = models.CharField(
        max_length=200,
        blank=True,
        validators=[table_name_validator],
        help_text="Table or view in the warehouse, schema-qualified on PostgreSQL (e.g. sales.bookings).",
    )
    # A port superseded by a new major port: it lives until ``sunset_at``, then a job retires it (its grants are
    # revoked and it serves nothing more).
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors", editable=False
    )
    sunset_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="port_name_unique_in_product")]
        indexes = [
            # The few ports being superseded, which every consumer's product page looks for among its inputs.
            models.Index(fields=["product"], condition=Q(sunset_at__isnull=False), name="port_sunset_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} / {self.name}"

    def clean(self) -> None:
        # The name goes into download file names (``<product>-<port>.csv``) and webhook payloads.
        header_safe_name_validate(self.name, field="name")


# What a column promises its consumers: what forms, the API, schema versions and contracts carry, in this order.
SCHEMA_COLUMN_KEYS = ("name", "data_type", "nullable", "primary_key", "classification", "description")


class SchemaField(models.Model):
    class Classification(models.TextChoices):
        NONE = "", "Not classified"
        PII = "pii", "PII"
        SENSITIVE = "sensitive", "Sensitive"
        CONFIDENTIAL = "confidential", "Confidential"

    port = models.ForeignKey(OutputPort, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=100, validators=[identifier_validator])
    data_type = models.CharField(max_length=50, default="string")
    description = models.CharField(max_length=500, blank=True)
    nullable = models.BooleanField(default=True)
    primary_key = models.BooleanField(default=False, help_text="Part of the port's primary key.")
    classification = models.CharField(max_length=16, choices=Classification.choices, blank=True, default="")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["port", "name"], name="field_name_unique_in_port")]
        indexes = [models.Index(fields=["name"], name="schemafield_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_classified(self) -> bool:
        return bool(self.classification)


class Subscription(models.Model):
    """A consumer of a product: a team or a single user, with the purpose they use it for."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="subscriptions")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    purpose = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(user__isnull=True))
                | (Q(team__isnull=True) & Q(user__isnull=False)),
                name="subscription_team_xor_user",
            ),
            models.UniqueConstraint(fields=["product", "team"], condition=Q(team__isnull=False), name="sub_team_once"),
            models.UniqueConstraint(fields=["product", "user"], condition=Q(user__isnull=False), name="sub_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.user} → {self.product}"

    @property
    def consumer_label(self) -> str:
        return str(self.team) if self.team_id else (self.user.get_full_name() or self.user.username)


class LineageEdge(models.Model):
    """``product`` reads from ``upstream`` (another product) or from an external source outside the mesh."""

    product = models.ForeignKey(DataProduct, on_delete=models.CASCADE, related_name="inputs")
    upstream = models.ForeignKey(DataProduct, null=True, blank=True, on_delete=models.CASCADE, related_name="outputs")
    external_source = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)

    objects = ProductRelatedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(upstream__isnull=False) & Q(external_source=""))
                | (Q(upstream__isnull=True) & ~Q(external_source="")),
                name="lineage_product_xor_source",
            ),
            models.CheckConstraint(condition=~Q(upstream=models.F("product")), name="lineage_not_self"),
            models.UniqueConstraint(
                fields=["product", "upstream"], condition=Q(upstream__isnull=False), name="lineage_edge_once"
            ),
            models.UniqueConstraint(
                fields=["product", "external_source"],
                condition=~Q(external_source=""),
                name="lineage_source_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.upstream or self.external_source} → {self.product}"

    def clean(self) -> None:
        if bool(self.upstream_id) == bool(self.external_source):
            raise ValidationError("Give either an upstream product or an external source, not both.")


class Warehouse(models.Model):
    """A database that holds the ports' tables. Credentials never live in the portal's database: a PostgreSQL
    warehouse names the environment variable that holds its DSN; a SQLite warehouse gives a file path (relative
    paths are under ``VAR_DIR``)."""

    class Engine(models.TextChoices):
        POSTGRESQL = "postgresql", "PostgreSQL"
        SQLITE = "sqlite", "SQLite"

    name = models.CharField(max_length=100, unique=True)
    engine = models.CharField(max_length=16, choices=Engine.choices)
    dsn_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*$", "An environment variable name, e.g. WAREHOUSE_DSN.")],
        help_text="PostgreSQL: the environment variable holding the connection string.",
    )
    path = models.CharField(max_length=500, blank=True, help_text="SQLite: the database file.")
    provision_grants = models.BooleanField(
        default=True, help_text="PostgreSQL: create a role per grantee and GRANT/REVOKE on approval and expiry."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(engine="postgresql") & ~Q(dsn_env="")) | (Q(engine="sqlite") & ~Q(path="")),
                name="warehouse_has_location",
            )
        ]

    def __str__(self) -> str:
        return self.name


def webhook_secret_new() -> str:
    """A fresh signing secret in the Standard Webhooks form: ``whsec_`` and 32 random bytes in base64."""
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """An external system told about grants, quality incidents and contract changes, following Standard Webhooks
    (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``; see ``products.webhooks``)."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=200,
        default=webhook_secret_new,
        help_text="Signing secret shared with the receiver: whsec_ and base64 (Standard Webhooks); any other text "
        "is used as raw bytes.",
    )
    active = models.BooleanField(default=False)
    event_kinds = models.JSONField(
        default=list, blank=True, help_text='Event kinds to send, e.g. ["grant.provisioned"]; empty sends all.'
    )
    max_concurrency = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(16)],
        help_text="Deliveries in flight to this receiver at once (1–16).",
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How long one delivery waits for the receiver's answer (1–120 s); longer than it usually takes.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        return not self.event_kinds or kind in self.event_kinds

    def clean(self) -> None:
        # Public addresses only (checked again at each delivery): see portal.outbound.
        if self.url:
            try:
                destination_check(self.url)
            except UnsafeDestination as error:
                raise ValidationError({"url": error.message}) from None


class OutboxEvent(models.Model):
    """A webhook delivery that must not be lost: written in the same transaction as the change it reports."""

    event_id = models.UUIDField(unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    sending_until = models.DateTimeField(
        null=True, blank=True, help_text="Set while a delivery is in flight (it counts against the endpoint's limit)."
    )
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(delivered_at=None), name="outbox_due_idx"),
            models.Index(
                fields=["endpoint", "sending_until"], condition=Q(delivered_at=None), name="outbox_inflight_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.endpoint} ({self.event_id})"
