from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.enforcement import permissions, selectors, services
from governance.enforcement.api.serializers import (
    EnforcementRunSerializer,
    ViolationSerializer,
    WaiverDecisionSerializer,
    WaiverSerializer,
)
from governance.enforcement.filters import ViolationFilter, WaiverFilter
from governance.enforcement.models import EnforcementRun


class ViolationViewSet(viewsets.ReadOnlyModelViewSet):
    """Violations of the products the caller's team owns (all of them for the council and admins).
    ``?state=open`` (default), ``resolved`` or ``all``."""

    serializer_class = ViolationSerializer
    filterset_class = ViolationFilter

    def get_queryset(self):
        state = self.request.query_params.get("state", "open")
        return selectors.violation_list(user=self.request.user, state=state if self.action == "list" else "all")


class WaiverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Waivers: the product's team asks (``POST``), the council chair ``approve``s or ``reject``s."""

    serializer_class = WaiverSerializer
    filterset_class = WaiverFilter

    def get_queryset(self):
        return selectors.waiver_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        waiver = services.waiver_request(
            actor=request.user,
            product=data["product"],
            standard_code=data["standard_code"],
            reason=data["reason"],
            expires_at=data["expires_at"],
        )
        return Response(self.get_serializer(waiver).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, approve: bool):
        waiver = self.get_object()
        body = WaiverDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        waiver = services.waiver_decide(
            actor=request.user, waiver=waiver, approve=approve, note=body.validated_data["note"]
        )
        return Response(self.get_serializer(waiver).data)

    @extend_schema(request=WaiverDecisionSerializer, responses=WaiverSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=WaiverDecisionSerializer, responses=WaiverSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)


class EnforcementRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Enforcement runs with their progress counters (admins and staff)."""

    serializer_class = EnforcementRunSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return EnforcementRun.objects.none()
        if not permissions.can_view_enforcement_runs(self.request.user):
            raise PermissionDenied("Only admins and staff watch enforcement runs.")
        return selectors.enforcement_run_list(user=self.request.user)
