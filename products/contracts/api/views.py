from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from portal.api.parsers import TextJSONParser
from portal.filters import IdFilter, ScopedFilterSet, StrictBooleanFilter
from products.contracts import drift_runs, imports, odcs, selectors, services, successors
from products.contracts.api.serializers import (
    ContractApplyResultSerializer,
    ContractSerializer,
    DecisionSerializer,
    DeclassificationSerializer,
    DiffSerializer,
    DriftFindingSerializer,
    DriftRunSerializer,
    DriftRunStartSerializer,
    ScheduleSerializer,
    SchemaVersionSerializer,
    SuccessionSerializer,
    SuccessorSerializer,
)
from products.contracts.changes import schema_diff
from products.contracts.export import port_documents
from products.contracts.models import DriftFinding, SchemaVersion
from products.models import SEMVER_RE, OutputPort


class SchemaVersionFilter(ScopedFilterSet):
    port = IdFilter(field_name="port_id")

    class Meta:
        model = SchemaVersion
        fields = ["port", "status", "level"]


class SchemaVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every version of the ports you may see, newest first. ``POST`` schedules a change for the end of the notice
    period (the port's whole schema after it); ``cancel`` drops one still waiting; ``diff`` compares two."""

    serializer_class = SchemaVersionSerializer
    filterset_class = SchemaVersionFilter

    def get_queryset(self):
        return (
            SchemaVersion.objects.visible_to(self.request.user).select_related("author").order_by("-created_at", "-pk")
        )

    @extend_schema(request=ScheduleSerializer, responses={201: SchemaVersionSerializer})
    def create(self, request):
        serializer = ScheduleSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = services.schema_change_schedule(
            actor=request.user,
            port=data["port"],
            fields=[dict(item) for item in data["fields"]],
            version=data["version"],
            summary=data.get("summary", ""),
        )
        return Response(SchemaVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SchemaVersionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        version = services.schema_change_cancel(actor=request.user, version=self.get_object())
        return Response(SchemaVersionSerializer(version).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "old",
                {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
                required=True,
                description="The earlier version's id",
            ),
            OpenApiParameter(
                "new",
                {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
                required=True,
                description="The later version's id",
            ),
        ],
        responses=DiffSerializer,
    )
    @action(detail=False, methods=["get"])
    def diff(self, request):
        ids = {}
        for name in ("old", "new"):
            value = request.query_params.get(name, "")
            if not value.isdigit() or len(value) > 18:
                raise ValidationError({name: ["Give a version id."]})
            ids[name] = int(value)
        versions = {version.pk: version for version in self.get_queryset().filter(pk__in=ids.values())}
        missing = [name for name, pk in ids.items() if pk not in versions]
        if missing:
            raise ValidationError({name: ["No such version."] for name in missing}, code="does_not_exist")
        old, new = versions[ids["old"]], versions[ids["new"]]
        changes = [change.as_dict() for change in schema_diff(old.schema, new.schema)]
        return Response(DiffSerializer({"old": old, "new": new, "changes": changes}).data)


class DeclassificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Requests to lower a column's classification on products you may see. The owning team asks; a steward or
    data-protection officer other than the requester ``approve``s or ``reject``s; the requester may ``withdraw``."""

    serializer_class = DeclassificationSerializer
    filterset_fields = ["status", "field"]

    def get_queryset(self):
        return selectors.declassification_list(user=self.request.user, status=None)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.declassification_request(
            actor=self.request.user,
            field=data["field"],
            to_classification=data.get("to_classification", ""),
            reason=data.get("reason", ""),
        )

    def _decide(self, request, approve: bool):
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        done = services.declassification_decide(
            actor=request.user,
            declassification=self.get_object(),
            approve=approve,
            comment=decision.validated_data.get("comment", ""),
        )
        return Response(DeclassificationSerializer(done, context={"request": request}).data)

    @extend_schema(request=DecisionSerializer, responses=DeclassificationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses=DeclassificationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)

    @extend_schema(request=None, responses=DeclassificationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        done = services.declassification_withdraw(actor=request.user, declassification=self.get_object())
        return Response(DeclassificationSerializer(done, context={"request": request}).data)


ODCS_DOCUMENT = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="An Open Data Contract Standard (ODCS v3) document, valid against the standard's JSON schema.",
)


# What the portal needs of a contract beyond the standard's schema (checked by ``odcs.contract_read``): a semantic
# version and exactly one schema object, the port it describes.
CONTRACT_REQUEST = {
    "type": "object",
    "description": (
        "An ODCS v3 document describing one output port (or a list of them); see the standard's schema. Through the "
        "API it names its data product (`dataProduct`, and `domain` when several domains have one of that name); "
        "a document whose `id` the portal already holds may leave them out."
    ),
    "required": ["apiVersion", "kind", "id", "version", "schema", "dataProduct"],
    "properties": {
        "apiVersion": {"type": "string", "enum": ["v3.2.0", "v3.1.0", "v3.0.2", "v3.0.1", "v3.0.0"]},
        "kind": {"type": "string", "enum": ["DataContract"]},
        "id": {"type": "string", "minLength": 1},
        "dataProduct": {"type": "string", "minLength": 1, "description": "The data product's slug or name."},
        "domain": {"type": "string", "minLength": 1, "description": "Its domain's slug or name."},
        "version": {"type": "string", "pattern": SEMVER_RE.pattern},
        "schema": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}},
            },
        },
    },
}


class ContractYAMLParser(BaseParser):
    """An ODCS contract as YAML (``Content-Type: application/yaml``): read by ``odcs.contracts_load``."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        return YamlBody(stream.read(odcs.MAX_CONTRACT_BYTES + 1))


class YamlBody(bytes):
    """The raw YAML body, told apart from a parsed JSON document."""


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


class ContractViewSet(viewsets.GenericViewSet):
    """ODCS v3 contracts of the ports you may see: ``GET /contracts/{port id}/`` is the port's document;
    ``POST /contracts/apply/`` creates or updates a port from a document (JSON, or YAML with
    ``Content-Type: application/yaml``; several YAML documents apply together), ``?dry_run=true`` shows what would
    change and saves nothing. Errors are a 400 keyed by the JSON path of each problem."""

    serializer_class = ContractSerializer
    filterset_fields = ["product"]
    queryset = OutputPort.objects.none()

    def get_queryset(self):
        return selectors.contracts_visible(self.request.user)

    def list(self, request):
        ports = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        documents = port_documents(ports)
        rows = [
            {"port": port.pk, "product": port.product.urn, "contract": document}
            for port, document in zip(ports, documents, strict=True)
        ]
        return self.get_paginated_response(ContractSerializer(rows, many=True).data)

    @extend_schema(responses={200: ODCS_DOCUMENT})
    def retrieve(self, request, pk=None):
        port = self.get_object()
        return Response(port_documents([port])[0])

    @extend_schema(
        request={
            "application/json": CONTRACT_REQUEST,
            # The same document written as YAML; several documents separated by ``---`` apply together.
            "application/yaml": CONTRACT_REQUEST,
        },
        parameters=[
            OpenApiParameter("dry_run", bool, required=False, description="Show what would change; save nothing.")
        ],
        responses=ContractApplyResultSerializer,
    )
    @action(detail=False, methods=["post"], parser_classes=[TextJSONParser, ContractYAMLParser])
    def apply(self, request):
        flag = request.query_params.get("dry_run", "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise ValidationError({"dry_run": ["Give true or false."]})
        body = request.data
        try:
            if isinstance(body, YamlBody):
                outcomes = imports.contracts_apply(actor=request.user, text=bytes(body), dry_run=flag in _TRUE)
            else:
                documents = body if isinstance(body, list) else [body]
                outcomes = imports.contracts_apply(actor=request.user, documents=documents, dry_run=flag in _TRUE)
        except odcs.ContractError as error:
            raise (NotFound if error.missing else ValidationError)(error.as_dict()) from None
        data = {"dry_run": flag in _TRUE, "contracts": [outcome.as_dict() for outcome in outcomes]}
        return Response(ContractApplyResultSerializer(data).data)


class DriftFindingFilter(ScopedFilterSet):
    port = IdFilter(field_name="port_id")
    product = IdFilter(field_name="port__product_id")
    open = StrictBooleanFilter(field_name="resolved_at", lookup_expr="isnull", label="Only open (true) or resolved")

    class Meta:
        model = DriftFinding
        fields = ["port", "product", "kind", "open"]


class DriftFindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Differences between ports' declared schemas and their real tables, on products of your teams."""

    serializer_class = DriftFindingSerializer
    filterset_class = DriftFindingFilter

    def get_queryset(self):
        return selectors.drift_findings_visible(user=self.request.user)


class DriftRunViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """``POST {"product": id}`` checks the product's tables now (its team); ``GET`` shows the progress."""

    serializer_class = DriftRunSerializer

    def get_queryset(self):
        return selectors.drift_runs_visible(user=self.request.user)

    @extend_schema(request=DriftRunStartSerializer, responses={202: DriftRunSerializer})
    def create(self, request, *args, **kwargs):
        body = DriftRunStartSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        run = drift_runs.drift_run_start(actor=request.user, product=body.validated_data["product"])
        return Response(DriftRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PortSuccessorViewSet(viewsets.GenericViewSet):
    """``POST`` publishes a breaking schema at once as a new port (the next major version) and deprecates the old
    port until its sunset; the old port's consumers are told once, and a job retires it at the sunset."""

    serializer_class = SuccessorSerializer

    @extend_schema(request=SuccessorSerializer, responses={201: SuccessionSerializer})
    def create(self, request):
        serializer = SuccessorSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        port = data.pop("port")
        fields = [dict(item) for item in data.pop("fields")]
        successor = successors.port_successor_publish(actor=request.user, port=port, fields=fields, **data)
        port.refresh_from_db()
        body = SuccessionSerializer({"successor": successor, "port": port}).data
        return Response(body, status=status.HTTP_201_CREATED)
