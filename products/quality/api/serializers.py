from rest_framework import serializers

from products.api.fields import ProductField
from products.quality.models import CheckRun, Incident, QualityCheck


class QualityCheckSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.urn", read_only=True)
    port = serializers.CharField(source="port.name", read_only=True, default=None, allow_null=True)
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
    check = serializers.CharField(source="quality_check.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Incident
        fields = ["id", "product", "check", "kind", "metric", "summary", "opened_at", "resolved_at"]
        read_only_fields = fields


class CheckRunSerializer(serializers.ModelSerializer):
    product = ProductField(scope="view")
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
        # One active run per product is the service's rule: a second start returns the run already going, so the
        # constraint's generated validator ("must make a unique set") must not refuse it first.
        validators = []


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
