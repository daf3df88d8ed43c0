from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from portal.filters import IdFilter, ScopedFilterSet
from products.contracts import selectors, services
from products.contracts.api.serializers import (
    DecisionSerializer,
    DeclassificationSerializer,
    DiffSerializer,
    ScheduleSerializer,
    SchemaVersionSerializer,
)
from products.contracts.changes import schema_diff
from products.contracts.models import SchemaVersion


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
            OpenApiParameter("old", int, required=True, description="The earlier version's id"),
            OpenApiParameter("new", int, required=True, description="The later version's id"),
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
            raise ValidationError({name: ["No such version."] for name in missing})
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
