from rest_framework import serializers

from governance.enforcement.models import EnforcementRun, Violation, Waiver
from products.api.fields import ProductField


class ViolationSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="urn", read_only=True)

    class Meta:
        model = Violation
        fields = [
            "id",
            "product",
            "rule_key",
            "message",
            "severity",
            "opened_at",
            "last_seen_at",
            "resolved_at",
            "grace_ends",
            "auto_action_taken",
        ]
        read_only_fields = fields


class WaiverSerializer(serializers.ModelSerializer):
    """Status, requester and decision are read-only: they move only through ``approve`` / ``reject``."""

    product = ProductField(scope="edit")
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Waiver
        fields = [
            "id",
            "product",
            "standard_code",
            "reason",
            "expires_at",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = ["status", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note"]
        validators = []


class WaiverDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EnforcementRunSerializer(serializers.ModelSerializer):
    duration_seconds = serializers.SerializerMethodField()

    class Meta:
        model = EnforcementRun
        fields = [
            "id",
            "status",
            "trigger",
            "started_at",
            "finished_at",
            "duration_seconds",
            "products_total",
            "products_checked",
            "chunks_total",
            "chunks_done",
            "violations_opened",
            "violations_resolved",
            "score",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, run) -> float | None:
        return run.duration.total_seconds() if run.duration else None
