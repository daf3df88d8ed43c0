from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from portal.api.fields import StrictBooleanField
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
    passed = StrictBooleanField(required=False)
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
    results = serializers.ListField(child=PushedResultSerializer(), min_length=1, max_length=500)


class SlaMetricSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["freshness", "completeness", "availability", "retention"])
    target = serializers.FloatField(allow_null=True, help_text="As the product declares it, in ``unit``.")
    unit = serializers.ChoiceField(choices=["minutes", "%", "days"])
    objective_percent = serializers.FloatField(
        allow_null=True, help_text="The share that must meet the target (freshness: of measurements)."
    )
    met_percent = serializers.FloatField(allow_null=True, help_text="Measured over the window.")
    measurements = serializers.IntegerField()
    budget_left_percent = serializers.FloatField(allow_null=True, help_text="Share of the error budget left.")
    budget_consumed_percent = serializers.FloatField(allow_null=True, help_text="Over 100 when exhausted.")
    burn_rate = serializers.FloatField(
        allow_null=True,
        help_text="Shortfall over the last day / the allowed one: 1.0 spends the budget exactly over the window. "
        "Null when not measured, or when a 100 % target met a shortfall.",
    )
    status = serializers.ChoiceField(
        choices=["met", "at_risk", "missed", "not_measured", "not_declared", "not_monitored"]
    )
    ok = serializers.BooleanField(allow_null=True)
    window_days = serializers.IntegerField()


@extend_schema_serializer(many=False)  # the answer of a "list" route, but one object
class ProductSlaSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="The product's URN.")
    window_days = serializers.IntegerField()
    metrics = SlaMetricSerializer(many=True)


class PushedResultSchema(OpenApiSerializerExtension):
    """The schema of a pushed result says what ``PushedResultSerializer.validate`` asks: ``passed`` or ``state``."""

    target_class = PushedResultSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "anyOf": [{"required": ["passed"]}, {"required": ["state"]}]}
