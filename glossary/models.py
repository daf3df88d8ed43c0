"""The business glossary: terms with their review lifecycle, aliases, pending revisions, typed relations, links to
the catalog (schema fields and products), the stewards who review, and the findings of the conflict job."""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

_KEY_STRIP = re.compile(r"[\W_]+", re.UNICODE)


def name_key(text: str) -> str:
    """The matching key of a name: lower case, without spaces, underscores, hyphens or punctuation.

    ``Customer ID``, ``customer_id`` and ``CustomerId`` share the key ``customerid``; field names are matched to
    terms and synonyms through it.
    """
    return _KEY_STRIP.sub("", (text or "").lower())


class Steward(models.Model):
    """A glossary steward: for one domain, or enterprise-wide when ``domain`` is empty (reviews every term)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="glossary_stewardships")
    domain = models.ForeignKey(
        "products.Domain",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="glossary_stewards",
        help_text="Leave empty for an enterprise-wide steward.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["domain__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "domain"], condition=Q(domain__isnull=False), name="steward_once_per_domain"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(domain__isnull=True), name="steward_once_enterprise_wide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.domain or 'enterprise-wide'}"


class TermQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TermQuerySet":
        from glossary.permissions import term_visibility_q

        return self.filter(term_visibility_q(user))


class Term(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        DEPRECATED = "deprecated", "Deprecated"

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, editable=False)
    name_key = models.CharField(max_length=160, editable=False, db_index=True)
    domain = models.ForeignKey(
        "products.Domain",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="terms",
        help_text="Leave empty for an enterprise-wide term.",
    )
    definition = models.TextField(help_text="Markdown.")
    examples = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="glossary_terms"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces", editable=False
    )
    review_comment = models.TextField(blank=True, editable=False, help_text="The last reviewer's comment.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    council_proposal_id = models.PositiveBigIntegerField(
        null=True, blank=True, editable=False, help_text="The council proposal this term was escalated to."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = SearchVectorField(null=True, editable=False)  # maintained on PostgreSQL; FTS5 on SQLite

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "slug"], condition=Q(domain__isnull=False), name="term_slug_unique_in_domain"
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(domain__isnull=True), name="term_slug_unique_enterprise"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="term_status_name_idx"),
            models.Index(fields=["domain", "status", "name"], name="term_domain_status_name_idx"),
            models.Index(fields=["name"], name="term_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.slug = slugify(self.name)[:160] or "term"
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("glossary:term-detail", kwargs={"pk": self.pk})

    @property
    def scope_label(self) -> str:
        return str(self.domain) if self.domain_id else "Enterprise-wide"

    @property
    def initial(self) -> str:
        first = self.name[:1].upper()
        return first if first.isalpha() else "#"


class TermAlias(models.Model):
    """A synonym or abbreviation of a term, kept as rows so they are searchable and matched against field names."""

    class Kind(models.TextChoices):
        SYNONYM = "synonym", "Synonym"
        ABBREVIATION = "abbreviation", "Abbreviation"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="aliases")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SYNONYM)
    name = models.CharField(max_length=150)
    name_key = models.CharField(max_length=160, editable=False, db_index=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["term", "name_key"], name="alias_once_per_term")]
        verbose_name_plural = "term aliases"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()} of {self.term_id})"

    def save(self, *args, **kwargs) -> None:
        self.name_key = name_key(self.name)
        super().save(*args, **kwargs)


class TermRevision(models.Model):
    """A proposed edit of an approved term. The approved text stays in force until a steward approves this."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="revisions")
    name = models.CharField(max_length=150)
    definition = models.TextField()
    examples = models.TextField(blank=True)
    synonyms = models.JSONField(default=list, blank=True)
    abbreviations = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="glossary_revisions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, editable=False)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    comment = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["term"], condition=Q(status="pending"), name="revision_one_pending_per_term"
            )
        ]

    def __str__(self) -> str:
        return f"Revision of {self.term} ({self.get_status_display().lower()})"


class TermRelation(models.Model):
    class Kind(models.TextChoices):
        SYNONYM_OF = "synonym_of", "synonym of"
        IS_A = "is_a", "is a"
        BROADER = "broader", "broader than"
        NARROWER = "narrower", "narrower than"
        RELATED_TO = "related_to", "related to"
        DIFFERS_FROM = "differs_from", "differs from"
        REPLACED_BY = "replaced_by", "replaced by"

    # How the relation reads from the target's end.
    INVERSE_LABELS = {
        "synonym_of": "synonym of",
        "is_a": "has kind",
        "broader": "narrower than",
        "narrower": "broader than",
        "related_to": "related to",
        "differs_from": "differs from",
        "replaced_by": "replaces",
    }

    source = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    explanation = models.TextField(blank=True, help_text="Required for “differs from”: say how the terms differ.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="relation_once"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="relation_not_self"),
            models.CheckConstraint(
                condition=~Q(kind="differs_from") | ~Q(explanation=""), name="differs_from_needs_explanation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"

    @property
    def inverse_label(self) -> str:
        return self.INVERSE_LABELS[self.kind]


class TermLink(models.Model):
    """An approved term attached to a schema field (one term per field) or to a whole data product."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="links")
    field = models.ForeignKey(
        "products.SchemaField", null=True, blank=True, on_delete=models.CASCADE, related_name="glossary_links"
    )
    product = models.ForeignKey(
        "products.DataProduct", null=True, blank=True, on_delete=models.CASCADE, related_name="glossary_links"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(field__isnull=False) & Q(product__isnull=True))
                | (Q(field__isnull=True) & Q(product__isnull=False)),
                name="term_link_field_xor_product",
            ),
            models.UniqueConstraint(fields=["field"], condition=Q(field__isnull=False), name="term_link_one_per_field"),
            models.UniqueConstraint(
                fields=["term", "product"], condition=Q(product__isnull=False), name="term_link_product_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.field or self.product}"


class FormerTermLink(models.Model):
    """A term's link to a column that a schema change removed: kept with the port's version that last had it, so
    the term page can say "was linked in v1.4.0" instead of the link silently disappearing."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="former_links")
    port = models.ForeignKey("products.OutputPort", on_delete=models.CASCADE, related_name="former_term_links")
    column = models.CharField(max_length=100)
    last_version = models.CharField(max_length=64)
    removed_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-removed_at", "-pk"]
        indexes = [models.Index(fields=["term", "-removed_at"], name="former_link_term_idx")]

    def __str__(self) -> str:
        return f"{self.term} was linked to {self.port}.{self.column} (v{self.last_version})"


class ConflictFinding(models.Model):
    """One thing the conflict job found. ``key`` identifies it, so a re-run updates rather than duplicates."""

    class Kind(models.TextChoices):
        SAME_NAME = "same_name", "Same name in different domains"
        DEPRECATED_LINK = "deprecated_link", "Linked to a deprecated term"
        NAME_MISMATCH = "name_mismatch", "Field named like one term, linked to another"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=200, unique=True)
    description = models.TextField()
    terms = models.ManyToManyField(Term, blank=True, related_name="findings")
    field = models.ForeignKey(
        "products.SchemaField", null=True, blank=True, on_delete=models.CASCADE, related_name="glossary_findings"
    )
    # The product a finding names (through its field or a product link): the finding is visible exactly when it is.
    product = models.ForeignKey(
        "products.DataProduct", null=True, blank=True, on_delete=models.CASCADE, related_name="glossary_findings"
    )
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-first_seen", "-pk"]
        indexes = [models.Index(fields=["resolved_at", "kind"], name="finding_open_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.key}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
