from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from glossary.models import ConflictFinding, Steward, Term, TermAlias, TermLink, TermRelation
from portal.api.fields import StrictCharField
from products.api.fields import ProductField
from products.models import DataProduct, Domain, SchemaField
from products.permissions import product_editable_q


@extend_schema_field({"type": "string", "maxLength": 150, "pattern": "^[^\\u0000]*[^\\W_][^\\u0000]*$"})
class TermNameField(StrictCharField):
    """A term's name: the service refuses one without a letter or digit, and the schema says so."""


@extend_schema_field(OpenApiTypes.INT)
class VisibleTermField(serializers.PrimaryKeyRelatedField):
    """A term reference limited to the terms the caller may see (optionally only approved ones)."""

    def __init__(self, *, approved_only: bool = False, **kwargs):
        self.approved_only = approved_only
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = Term.objects.visible_to(getattr(request, "user", None))
        return queryset.filter(status=Term.Status.APPROVED) if self.approved_only else queryset


class EditableFieldField(serializers.PrimaryKeyRelatedField):
    """A schema field of a product the caller's team owns (IDOR guard)."""

    def get_queryset(self):
        request = self.context.get("request")
        editable = DataProduct.objects.filter(product_editable_q(getattr(request, "user", None)))
        return SchemaField.objects.filter(port__product__in=editable).select_related("port__product")


class AliasListField(serializers.ListField):
    def __init__(self, *, kind: str, **kwargs):
        self.kind = kind
        super().__init__(child=StrictCharField(max_length=150), required=False, **kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, term):
        return [alias.name for alias in term.aliases.all() if alias.kind == self.kind]


@extend_schema_field(
    {"type": "string", "nullable": True, "description": "Domain slug; empty or null: enterprise-wide."}
)
class OptionalDomainField(serializers.SlugRelatedField):
    """A term's domain; like every DRF relation allowing null, an empty string means none (enterprise-wide)."""


class TermSerializer(serializers.ModelSerializer):
    name = TermNameField(max_length=150)
    domain = OptionalDomainField(slug_field="slug", queryset=Domain.objects.all(), required=False, allow_null=True)
    synonyms = AliasListField(kind=TermAlias.Kind.SYNONYM)
    abbreviations = AliasListField(kind=TermAlias.Kind.ABBREVIATION)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = Term
        fields = [
            "id",
            "name",
            "slug",
            "domain",
            "definition",
            "examples",
            "synonyms",
            "abbreviations",
            "status",
            "author",
            "replaced_by",
            "review_comment",
            "approved_at",
            "council_proposal_id",
            "page_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "slug",
            "status",
            "replaced_by",
            "review_comment",
            "approved_at",
            "council_proposal_id",
            "created_at",
            "updated_at",
        ]
        validators = []

    def get_page_url(self, term) -> str:
        return term.get_absolute_url()

    def validate(self, attrs):
        if self.instance is not None and "domain" in attrs and attrs["domain"] != self.instance.domain:
            raise serializers.ValidationError({"domain": ["The domain of a term does not change after creation."]})
        return attrs


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    replaced_by = VisibleTermField(approved_only=True, required=False, allow_null=True, default=None)


class EscalateSerializer(serializers.Serializer):
    motivation = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The CSV file (multipart upload).")
    csv = serializers.CharField(required=False, help_text="Or the CSV text itself.", max_length=2_000_000)
    good_rows_only = serializers.BooleanField(required=False, default=False)
    submit = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("file") and not attrs.get("csv"):
            raise serializers.ValidationError({"file": ["Send a CSV file or the csv text."]})
        return attrs


class ImportResultSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["all_or_nothing", "good_rows"])
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    summary = serializers.CharField()
    created = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(child=serializers.DictField())


class TermRelationSerializer(serializers.ModelSerializer):
    source = VisibleTermField()
    target = VisibleTermField()

    class Meta:
        model = TermRelation
        fields = ["id", "source", "target", "kind", "explanation", "created_at"]
        read_only_fields = ["created_at"]
        validators = []


class TermLinkSerializer(serializers.ModelSerializer):
    term = VisibleTermField(approved_only=True)
    field = EditableFieldField(required=False, allow_null=True)
    product = ProductField(scope="edit", required=False, allow_null=True)

    class Meta:
        model = TermLink
        fields = ["id", "term", "field", "product", "created_at"]
        read_only_fields = ["created_at"]
        validators = []

    def validate(self, attrs):
        if bool(attrs.get("field")) == bool(attrs.get("product")):
            raise serializers.ValidationError({"field": ["Give either a field or a product."]})
        return attrs


class ConflictFindingSerializer(serializers.ModelSerializer):
    terms = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ConflictFinding
        fields = ["id", "kind", "key", "description", "terms", "field", "first_seen", "last_seen", "resolved_at"]
        read_only_fields = fields


class StewardSerializer(serializers.ModelSerializer):
    username = StrictCharField(source="user.username", max_length=150, help_text="The steward's user name.")
    domain = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Domain.objects.all(),
        allow_null=True,
        required=False,
        help_text="The domain's slug; null for an enterprise-wide steward (admins only).",
    )

    class Meta:
        model = Steward
        fields = ["id", "username", "domain", "created_at"]
        read_only_fields = ["id", "created_at"]
