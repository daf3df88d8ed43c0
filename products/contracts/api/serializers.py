from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from products.api.fields import ProductField
from products.api.serializers import SchemaFieldSerializer
from products.contracts.models import Declassification, SchemaVersion
from products.models import OutputPort, SchemaField


class ChangeSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=["breaking", "additive", "patch"])
    kind = serializers.CharField()
    column = serializers.CharField()
    detail = serializers.CharField()


class SchemaVersionSerializer(serializers.ModelSerializer):
    port = serializers.PrimaryKeyRelatedField(read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    schema = serializers.SerializerMethodField()
    changes = ChangeSerializer(many=True, read_only=True)

    class Meta:
        model = SchemaVersion
        fields = ["id", "port", "version", "level", "status", "summary", "changes", "schema", "author"]
        fields += ["created_at", "effective_at"]
        read_only_fields = fields

    @extend_schema_field(SchemaFieldSerializer(many=True))
    def get_schema(self, version) -> list:
        return version.schema


@extend_schema_field(OpenApiTypes.INT)
class VisiblePortField(serializers.PrimaryKeyRelatedField):
    """A port of a product the caller may see; any other id answers "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        return OutputPort.objects.visible_to(getattr(request, "user", None)).select_related("product")


class ScheduleSerializer(serializers.Serializer):
    """A change that waits for the end of the notice period: the port's whole schema after it, and its version."""

    port = VisiblePortField()
    version = serializers.CharField(max_length=64)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    fields = SchemaFieldSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    old = SchemaVersionSerializer()
    new = SchemaVersionSerializer()
    changes = ChangeSerializer(many=True)


class VisibleFieldField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        visible = OutputPort.objects.visible_to(getattr(request, "user", None))
        return SchemaField.objects.filter(port__in=visible).select_related("port__product")


class DeclassificationSerializer(serializers.ModelSerializer):
    field = VisibleFieldField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Declassification
        fields = ["id", "field", "from_classification", "to_classification", "reason", "status"]
        fields += ["requested_by", "requested_at", "decided_by", "decided_at", "decision_comment"]
        read_only_fields = [
            "from_classification",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]
        validators = []  # one pending request per column: the service updates it rather than refusing


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "An Open Data Contract Standard (ODCS v3) document, valid against the standard's JSON schema.",
    }
)
class OdcsDocumentField(serializers.JSONField):
    pass


class ContractSerializer(serializers.Serializer):
    """A port's contract in the list: which port, and its ODCS document."""

    port = serializers.IntegerField()
    product = serializers.CharField(help_text="The product's URN.")
    contract = OdcsDocumentField()


class ContractOutcomeSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="domain/slug")
    port = serializers.CharField()
    port_id = serializers.IntegerField(allow_null=True, help_text="None in a dry run that would create the port.")
    contract_id = serializers.CharField()
    created = serializers.BooleanField()
    unchanged = serializers.BooleanField()
    version_from = serializers.CharField(allow_null=True)
    version_to = serializers.CharField()
    level = serializers.ChoiceField(choices=["initial", "breaking", "additive", "patch"], allow_null=True)
    changes = ChangeSerializer(many=True)
    other_changes = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class ContractApplyResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    contracts = ContractOutcomeSerializer(many=True)


class DriftFindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    port = serializers.IntegerField(source="port_id")
    product = serializers.CharField(source="port.product.urn")
    kind = serializers.CharField()
    column = serializers.CharField()
    declared = serializers.CharField()
    actual = serializers.CharField()
    summary = serializers.CharField()
    opened_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class DriftRunSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True)
    trigger = serializers.CharField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    completed = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)
    percent = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_field(OpenApiTypes.INT)
class EditableProductField(ProductField):
    """A product of the caller's teams; any other id answers "does not exist"."""

    def __init__(self, **kwargs):
        super().__init__(scope="edit", **kwargs)


class DriftRunStartSerializer(serializers.Serializer):
    product = EditableProductField()


class SuccessorSerializer(serializers.Serializer):
    """A breaking schema published at once as a new port of the same product (the next major version); the old
    port is deprecated until ``sunset_at`` (at least the notice period away; empty: the earliest allowed)."""

    port = VisiblePortField(help_text="The port the new one supersedes.")
    name = serializers.CharField(max_length=100, help_text="The new port's name, e.g. orders_v2.")
    version = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="Default: next major.")
    sunset_at = serializers.DateTimeField(required=False, allow_null=True)
    location = serializers.CharField(max_length=500, required=False, allow_blank=True)
    table = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    fields = SchemaFieldSerializer(many=True)


class SupersededPortSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutputPort
        fields = ["id", "name", "version", "successor", "sunset_at", "retired_at"]
        read_only_fields = fields


class SuccessionSerializer(serializers.Serializer):
    successor = SupersededPortSerializer(help_text="The new port, published now.")
    port = SupersededPortSerializer(help_text="The old port, deprecated until its sunset.")
