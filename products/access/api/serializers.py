from rest_framework import serializers

from products.access import permissions
from products.access.models import AccessApproval, AccessGrant, AccessRequest, Clearance
from products.models import DataProduct, OutputPort


class RequestablePortField(serializers.PrimaryKeyRelatedField):
    """A port of a published product the caller can see (IDOR guard: other ports do not exist for them). A retired
    product's port is found too, so that the service refuses it saying since when its data is no longer served."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return (
            OutputPort.objects.visible_to(user)
            .filter(product__status__in=(DataProduct.Status.PUBLISHED, DataProduct.Status.RETIRED))
            .select_related("product")
        )


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
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
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
            "upgrades",
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
            "upgrades",
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


class AccessRequestDetailSerializer(AccessRequestSerializer):
    """One request, with the user names of everyone who may decide it now (empty once decided)."""

    waiting_for = serializers.SerializerMethodField()

    class Meta(AccessRequestSerializer.Meta):
        fields = [*AccessRequestSerializer.Meta.fields, "waiting_for"]

    def get_waiting_for(self, access_request) -> list[str]:
        return list(permissions.access_request_approvers(access_request).values_list("username", flat=True))


class AccessDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class GrantUpgradeSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=2000)


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
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Clearance
        fields = ["id", "user", "kind", "granted_at", "granted_by", "expires_at", "note"]
        read_only_fields = fields


class ClearanceGrantSerializer(serializers.Serializer):
    """What the data-protection group sends to record a clearance: whose (user name), which kind, until when."""

    user = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=Clearance.Kind.choices)
    expires_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PortPreviewSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    masked = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField())
