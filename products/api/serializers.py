from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.api.fields import StrictCharField
from products import permissions
from products.api.fields import PercentField, ProductField
from products.models import (
    SCHEMA_COLUMN_KEYS,
    DataProduct,
    Domain,
    LineageEdge,
    Membership,
    OutputPort,
    SchemaField,
    Subscription,
    Team,
)

User = get_user_model()


class DomainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Domain
        fields = ["id", "slug", "name", "description"]


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role"]


class TeamSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "domain", "description", "members"]


class SchemaFieldSerializer(serializers.ModelSerializer):
    class Meta:
        model = SchemaField
        fields = list(SCHEMA_COLUMN_KEYS)
        extra_kwargs = {"name": {"validators": []}}


class ScheduledChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The waiting schema version's id (see /schema-versions/).")
    version = serializers.CharField()
    effective_at = serializers.DateTimeField()
    message = serializers.CharField()


class OutputPortSerializer(serializers.ModelSerializer):
    product = ProductField(scope="edit")
    fields = SchemaFieldSerializer(many=True, required=False)
    scheduled_change = serializers.SerializerMethodField(
        help_text="In the answer to a write whose breaking change waits for the notice period (the port has "
        "consumers): the change and the date it takes effect. The port keeps its version and columns until then."
    )

    class Meta:
        model = OutputPort
        fields = ["id", "product", "name", "kind", "location", "version", "description", "warehouse", "table", "fields"]
        fields += ["successor", "sunset_at", "retired_at", "scheduled_change"]
        read_only_fields = ["successor", "sunset_at", "retired_at"]
        validators = []

    @extend_schema_field(ScheduledChangeSerializer(allow_null=True))
    def get_scheduled_change(self, port) -> dict | None:
        deferred = getattr(port, "schema_deferred", None)
        return ScheduledChangeSerializer(deferred).data if deferred else None

    def validate(self, attrs):
        if self.instance is not None and "product" in attrs and attrs["product"].pk != self.instance.product_id:
            raise serializers.ValidationError({"product": ["A port cannot move to another product."]})
        return attrs


@extend_schema_field(SchemaFieldSerializer(many=True, read_only=True))
class SchemaColumnsField(serializers.Field):
    """A port's columns for reading, as ``SchemaFieldSerializer`` writes them (the schema says so), without a
    serializer per column: a product list holds hundreds of columns, and DRF's field-by-field pass took half of
    its time. Every key is a plain text or boolean column, returned as stored."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, port):
        columns = getattr(port, "columns", None)  # read as plain values for a whole list (``port_columns_attach``)
        if columns is not None:
            return columns
        return [{key: getattr(column, key) for key in SCHEMA_COLUMN_KEYS} for column in port.fields.all()]


class NestedPortSerializer(serializers.ModelSerializer):
    fields = SchemaColumnsField()

    class Meta:
        model = OutputPort
        fields = ["id", "name", "kind", "location", "version", "description", "fields"]


class TeamSlugField(serializers.SlugRelatedField):
    """A team reference limited to the caller's own teams."""

    def get_queryset(self):
        request = self.context.get("request")
        return permissions.teams_user_may_own_for(getattr(request, "user", None))


class TagListField(serializers.ListField):
    """Tags as a list of names; reads the (prefetched) tag relation."""

    def to_representation(self, data):
        return [tag.name for tag in data.all()]


class DataProductSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", queryset=Domain.objects.all())
    owner_team = TeamSlugField(slug_field="slug")
    accountable = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = TagListField(child=StrictCharField(max_length=50), required=False)
    completeness_percent = PercentField(required=False, allow_null=True)
    availability_percent = PercentField(required=False, allow_null=True)
    ports = NestedPortSerializer(many=True, read_only=True)
    page_url = serializers.SerializerMethodField()
    # governance.ProductCompliance, joined by the viewset's select_related("compliance"); null until evaluated.
    compliance_score = serializers.DecimalField(
        source="compliance.score", max_digits=5, decimal_places=2, read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = DataProduct
        fields = [
            "id",
            "urn",
            "page_url",
            "name",
            "slug",
            "domain",
            "owner_team",
            "accountable",
            "status",
            "summary",
            "documentation",
            "classification",
            "tags",
            "freshness_minutes",
            "completeness_percent",
            "availability_percent",
            "retention_days",
            "quality_score",
            "compliance_score",
            "ports",
            "created_at",
            "updated_at",
            "published_at",
        ]
        read_only_fields = ["urn", "status", "quality_score", "created_at", "updated_at", "published_at"]
        validators = []

    def get_page_url(self, product) -> str:
        return product.get_absolute_url()

    def validate(self, attrs):
        if self.instance is None:
            team, domain = attrs.get("owner_team"), attrs.get("domain")
            if team and domain and team.domain_id != domain.pk:
                raise serializers.ValidationError(
                    {"domain": [f"Team {team.slug} belongs to domain {team.domain.slug}."]}
                )
        else:
            for name in ("slug", "domain"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError({name: ["This cannot change after creation."]})
        return attrs


class StatusChangeSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class SubscriptionSerializer(serializers.ModelSerializer):
    product = ProductField(scope="view")
    team = TeamSlugField(slug_field="slug", required=False, allow_null=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Subscription
        fields = ["id", "product", "team", "user", "purpose", "created_at"]
        read_only_fields = ["created_at"]
        validators = []


class LineageEdgeSerializer(serializers.ModelSerializer):
    product = ProductField(scope="edit")
    upstream = ProductField(scope="view", required=False, allow_null=True)

    class Meta:
        model = LineageEdge
        fields = ["id", "product", "upstream", "external_source", "description"]
        validators = []
