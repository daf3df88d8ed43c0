from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from products.access import clearances, permissions, selectors, services, upgrades
from products.access.api.serializers import (
    AccessDecisionSerializer,
    AccessGrantSerializer,
    AccessRequestDetailSerializer,
    AccessRequestSerializer,
    ClearanceGrantSerializer,
    ClearanceSerializer,
    GrantRevokeSerializer,
    GrantUpgradeSerializer,
    PortPreviewSerializer,
)
from products.access.models import AccessRequest
from products.models import OutputPort
from products.warehouse import PortNotWired, WarehouseError


class AccessRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Access requests: your own, plus those on products whose access you decide.

    Create one for a published product's port with a purpose and a duration; approvers ``approve`` or ``reject``
    (with a ``note``); the requester may ``withdraw``. One request names who it is ``waiting_for``. Status and decisions are never writable fields."""

    serializer_class = AccessRequestSerializer
    filterset_fields = ["status", "port"]

    def get_serializer_class(self):
        if self.action in ("retrieve", "approve", "reject", "withdraw"):
            return AccessRequestDetailSerializer
        return AccessRequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return self.get_serializer_class().Meta.model.objects.none()
        return selectors.access_requests_visible(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.access_request_create(
            actor=self.request.user,
            port=data["port"],
            purpose=data.get("purpose", ""),
            duration_days=data.get("duration_days", AccessRequest.Duration.DAYS_90),
            wants_unmasked_pii=data.get("wants_unmasked_pii", False),
            renewal_of=data.get("renewal_of"),
        )

    def _decide(self, request, service):
        access_request = self.get_object()
        body = AccessDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service(actor=request.user, access_request=access_request, note=body.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=access_request.pk)).data)

    @extend_schema(request=AccessDecisionSerializer, responses=AccessRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.access_request_approve)

    @extend_schema(request=AccessDecisionSerializer, responses=AccessRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.access_request_reject)

    @extend_schema(request=None, responses=AccessRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        access_request = self.get_object()
        services.access_request_withdraw(actor=request.user, access_request=access_request)
        return Response(self.get_serializer(self.get_queryset().get(pk=access_request.pk)).data)


class AccessGrantViewSet(viewsets.ReadOnlyModelViewSet):
    """Grants: your own, plus those on products whose access you decide (who may ``revoke`` them)."""

    serializer_class = AccessGrantSerializer
    filterset_fields = ["status", "port", "provisioning_state"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return self.get_serializer_class().Meta.model.objects.none()
        return selectors.grants_visible(user=self.request.user)

    @extend_schema(request=GrantRevokeSerializer, responses=AccessGrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        grant = self.get_object()
        body = GrantRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.grant_revoke(actor=request.user, grant=grant, reason=body.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=grant.pk)).data)

    @extend_schema(request=GrantUpgradeSerializer, responses={201: AccessRequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def upgrade(self, request, pk=None):
        """Ask to unmask your live grant once you hold a valid clearance: an access request the approvers decide;
        approving it unmasks the grant and keeps its expiry."""
        grant = self.get_object()
        body = GrantUpgradeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access_request = upgrades.grant_upgrade_request(
            actor=request.user, grant=grant, purpose=body.validated_data["purpose"]
        )
        access_request = selectors.access_request_get(user=request.user, pk=access_request.pk)
        return Response(AccessRequestDetailSerializer(access_request, context={"request": request}).data, status=201)


class ClearanceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Clearances: your own; the data-protection group (and admins) see everyone's, record one (``POST`` with a
    user name, kind and expiry: recording an existing one renews it) and revoke one (``DELETE``)."""

    serializer_class = ClearanceSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return ClearanceSerializer.Meta.model.objects.none()
        return selectors.clearances_visible(user=self.request.user)

    @extend_schema(request=ClearanceGrantSerializer, responses={201: ClearanceSerializer})
    def create(self, request):
        body = ClearanceGrantSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        clearance = clearances.clearance_grant(
            actor=request.user,
            username=data["user"],
            kind=data["kind"],
            expires_at=data["expires_at"],
            note=data["note"],
        )
        return Response(ClearanceSerializer(self.get_queryset().get(pk=clearance.pk)).data, status=201)

    def perform_destroy(self, instance):
        clearances.clearance_revoke(actor=self.request.user, clearance=instance)


class PortDataViewSet(viewsets.GenericViewSet):
    """Rows of a port's table, as the caller may see them (``/ports/{id}/preview/``, beside the catalog's ports)."""

    serializer_class = PortPreviewSerializer
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return OutputPort.objects.visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("ordering", str, description="A column, or -column for descending."),
            OpenApiParameter("where", str, description="Filter: a column that must equal ``value``."),
            OpenApiParameter("value", str),
        ],
        responses={
            200: PortPreviewSerializer,
            410: OpenApiResponse(description="The port's product is retired: its data is no longer served."),
        },
    )
    @action(detail=True, methods=["get"], url_path="preview", url_name="preview")
    def preview(self, request, pk=None):
        """Up to 50 rows of the port's table, with classified columns masked unless you are cleared for them.

        Needs a live access grant on the port (or membership of the owning team). Filtering or ordering on a
        masked column is refused. A retired product's ports answer 410 Gone."""
        port = selectors.port_for_data(user=request.user, pk=self.get_object().pk)
        try:
            data = selectors.port_data_read(
                user=request.user,
                port=port,
                ordering=request.query_params.get("ordering", "")[:64],
                where=request.query_params.get("where", "")[:64],
                value=request.query_params.get("value", "")[:500],
                limit=50,
            )
        except permissions.PortGone as gone:
            return Response({"detail": gone.message}, status=410)
        except PortNotWired as error:
            return Response({"detail": str(error)}, status=409)
        except WarehouseError as error:
            return Response({"detail": f"The warehouse could not answer: {error}"}, status=503)
        return Response(
            {"columns": data.columns, "masked": sorted(data.masked), "rows": [list(row) for row in data.rows]}
        )
