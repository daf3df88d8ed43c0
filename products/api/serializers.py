from django.contrib.auth import get_user_model
from rest_framework import serializers

from portal.api.fields import StrictCharField
from products import permissions
from products.models import (
    AccessApproval,
    AccessGrant,
    AccessRequest,
    Clearance,
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
        fields = ["name", "data_type", "description", "nullable", "classification"]
        extra_kwargs = {"name": {"validators": []}}


class UserScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A product reference the caller may only point at products they are allowed to ``scope`` (IDOR guard)."""

    def __init__(self, *, scope: str, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        scope_q = permissions.product_editable_q if self.scope == "edit" else permissions.product_visibility_q
        return DataProduct.objects.filter(scope_q(user))


class OutputPortSerializer(serializers.ModelSerializer):
    product = UserScopedPrimaryKeyField(scope="edit")
    fields = SchemaFieldSerializer(many=True, required=False)

    class Meta:
        model = OutputPort
        fields = ["id", "product", "name", "kind", "location", "version", "description", "fields"]
        validators = []

    def validate(self, attrs):
        if self.instance is not None and "product" in attrs and attrs["product"].pk != self.instance.product_id:
            raise serializers.ValidationError({"product": ["A port cannot move to another product."]})
        return attrs


class NestedPortSerializer(serializers.ModelSerializer):
    fields = SchemaFieldSerializer(many=True, read_only=True)

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
    product = UserScopedPrimaryKeyField(scope="view")
    team = TeamSlugField(slug_field="slug", required=False, allow_null=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "product", "team", "user", "purpose", "created_at"]
        read_only_fields = ["created_at"]
        validators = []


class LineageEdgeSerializer(serializers.ModelSerializer):
    product = UserScopedPrimaryKeyField(scope="edit")
    upstream = UserScopedPrimaryKeyField(scope="view", required=False, allow_null=True)

    class Meta:
        model = LineageEdge
        fields = ["id", "product", "upstream", "external_source", "description"]
        validators = []


# --- Access to data ------------------------------------------------------------------------------------------


class RequestablePortField(serializers.PrimaryKeyRelatedField):
    """A port of a published product the caller can see (IDOR guard: other ports do not exist for them)."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return OutputPort.objects.filter(
            product__in=DataProduct.objects.filter(permissions.product_visibility_q(user)),
            product__status=DataProduct.Status.PUBLISHED,
        ).select_related("product")


class OwnGrantField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        return AccessGrant.objects.filter(user=getattr(request, "user", None)).select_related("port__product")


class AccessApprovalSerializer(serializers.ModelSerializer):
    approver = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AccessApproval
        fields = ["approver", "note", "at"]


class AccessRequestSerializer(serializers.ModelSerializer):
    """Requesters write purpose, port, duration, the PII wish and (for a renewal) their grant; nothing else."""

    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    port = RequestablePortField()
    renewal_of = OwnGrantField(required=False, allow_null=True)
    approvals = AccessApprovalSerializer(many=True, read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    grant = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "requester",
            "port",
            "purpose",
            "duration_days",
            "wants_unmasked_pii",
            "renewal_of",
            "status",
            "approvals_required",
            "approvals",
            "created_at",
            "decided_at",
            "decided_by",
            "decision_note",
            "grant",
        ]
        read_only_fields = [
            "status",
            "approvals_required",
            "created_at",
            "decided_at",
            "decided_by",
            "decision_note",
        ]

    def get_grant(self, access_request) -> int | None:
        try:
            return access_request.grant.pk
        except AccessGrant.DoesNotExist:
            return None


class AccessDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class GrantRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AccessGrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    purpose = serializers.CharField(source="request.purpose", read_only=True)
    product = serializers.CharField(source="port.product.urn", read_only=True)

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "request",
            "user",
            "port",
            "product",
            "purpose",
            "granted_at",
            "expires_at",
            "unmasked_pii",
            "status",
            "ended_at",
            "end_reason",
            "provisioning_state",
            "provisioning_error",
        ]
        read_only_fields = fields


class ClearanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clearance
        fields = ["id", "kind", "granted_at", "expires_at"]
        read_only_fields = fields


class PortPreviewSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    masked = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())


# --- Quality ------------------------------------------------------------------------------------------------------

from products.models import CheckRun, Incident, QualityCheck  # noqa: E402 - appended section


class QualityCheckSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.urn", read_only=True)
    port = serializers.CharField(source="port.name", read_only=True, default=None)
    latest_state = serializers.CharField(read_only=True, allow_null=True)
    latest_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = QualityCheck
        fields = [
            "id",
            "product",
            "port",
            "name",
            "kind",
            "column",
            "params",
            "severity",
            "dimension",
            "enabled",
            "latest_state",
            "latest_at",
        ]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.urn", read_only=True)
    check = serializers.CharField(source="quality_check.name", read_only=True, default=None)

    class Meta:
        model = Incident
        fields = ["id", "product", "check", "kind", "metric", "summary", "opened_at", "resolved_at"]
        read_only_fields = fields


class CheckRunSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=DataProduct.objects.all())
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = CheckRun
        fields = [
            "id",
            "product",
            "status",
            "trigger",
            "total",
            "completed",
            "failed",
            "percent",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [name for name in fields if name != "product"]


class PushedResultSerializer(serializers.Serializer):
    check = serializers.CharField(max_length=120)
    passed = serializers.BooleanField(required=False)
    state = serializers.ChoiceField(choices=["passed", "failed", "error"], required=False)
    observed_value = serializers.FloatField(required=False, allow_null=True)
    message = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    measured_at = serializers.DateTimeField(required=False)
    dimension = serializers.ChoiceField(choices=QualityCheck.Dimension.choices, required=False)
    severity = serializers.ChoiceField(choices=QualityCheck.Severity.choices, required=False)

    def validate(self, attrs):
        if "passed" not in attrs and "state" not in attrs:
            raise serializers.ValidationError("Give passed (true/false) or state.")
        return attrs


class QualityResultsPushSerializer(serializers.Serializer):
    results = PushedResultSerializer(many=True, allow_empty=False, max_length=500)
