import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from portal.filters import StrictBooleanFilter
from products import permissions, selectors, services
from products.api.serializers import (
    AccessDecisionSerializer,
    AccessGrantSerializer,
    AccessRequestSerializer,
    ClearanceSerializer,
    DataProductSerializer,
    DomainSerializer,
    GrantRevokeSerializer,
    LineageEdgeSerializer,
    OutputPortSerializer,
    PortPreviewSerializer,
    StatusChangeSerializer,
    SubscriptionSerializer,
    TeamSerializer,
)
from products.filters import ProductFilter
from products.models import (
    AccessRequest,
    DataProduct,
    Domain,
    Incident,
    LineageEdge,
    OutputPort,
    SchemaField,
    Subscription,
    Team,
)
from products.warehouse import WarehouseError


def _refuse_unless(allowed: bool, message: str = "Only the owning team may change this product.") -> None:
    if not allowed:
        raise ApiPermissionDenied(message)


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Domain.objects.order_by("name")
    serializer_class = DomainSerializer
    lookup_field = "slug"
    filterset_fields = ["slug"]


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Team.objects.select_related("domain").prefetch_related("memberships__user").order_by("name")
    serializer_class = TeamSerializer
    lookup_field = "slug"
    filterset_fields = {"domain__slug": ["exact"]}


class DataProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Data products the caller may see. ``?q=`` searches names, summaries, docs, tags and field names.

    Owners create and edit through the same services as the pages; lifecycle moves are actions
    (``publish``, ``deprecate``, ``retire``). Products are never deleted through the API: retire them.
    """

    serializer_class = DataProductSerializer
    filterset_class = ProductFilter
    filter_backends = [*viewsets.GenericViewSet.filter_backends, OrderingFilter]
    ordering_fields = ["name", "updated_at", "published_at"]

    def get_queryset(self):
        return (
            selectors.product_list(user=self.request.user)
            .select_related("accountable", "compliance")
            .prefetch_related(
                Prefetch(
                    "ports",
                    queryset=OutputPort.objects.prefetch_related(
                        Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id"))
                    ),
                )
            )
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("domain", None)
        serializer.instance = services.product_create(
            actor=self.request.user,
            team=data.pop("owner_team"),
            slug=data.pop("slug"),
            tags=data.pop("tags", []),
            **data,
        )

    def perform_update(self, serializer):
        product = serializer.instance
        _refuse_unless(permissions.can_edit_product(self.request.user, product))
        data = dict(serializer.validated_data)
        data.pop("slug", None)
        data.pop("domain", None)
        serializer.instance = services.product_update(actor=self.request.user, product=product, **data)

    def _change_status(self, request, to_status: str):
        product = self.get_object()
        _refuse_unless(permissions.can_change_product_status(request.user, product))
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_change_status(
            actor=request.user, product=product, to_status=to_status, comment=body.validated_data["comment"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(request=StatusChangeSerializer, responses=DataProductSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._change_status(request, DataProduct.Status.PUBLISHED)

    @extend_schema(request=StatusChangeSerializer, responses=DataProductSerializer)
    @action(detail=True, methods=["post"])
    def deprecate(self, request, pk=None):
        return self._change_status(request, DataProduct.Status.DEPRECATED)

    @extend_schema(request=StatusChangeSerializer, responses=DataProductSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._change_status(request, DataProduct.Status.RETIRED)


class OutputPortViewSet(viewsets.ModelViewSet):
    """Output ports with their schema. Writing ``fields`` replaces the port's whole schema, in order."""

    serializer_class = OutputPortSerializer
    filterset_fields = ["product", "kind"]

    def get_queryset(self):
        return (
            OutputPort.objects.filter(product__in=DataProduct.objects.visible_to(self.request.user))
            .prefetch_related(Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id")))
            .order_by("product_id", "name")
        )

    def _save(self, serializer, port=None):
        data = dict(serializer.validated_data)
        product = data.pop("product", None) or port.product
        fields = data.pop("fields", None)
        serializer.instance = services.port_save(
            actor=self.request.user, product=product, port=port, fields=fields, **data
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        _refuse_unless(permissions.can_edit_product(self.request.user, serializer.instance.product))
        self._save(serializer, port=serializer.instance)

    def perform_destroy(self, instance):
        _refuse_unless(permissions.can_edit_product(self.request.user, instance.product))
        services.port_delete(actor=self.request.user, port=instance)

    @extend_schema(
        parameters=[
            OpenApiParameter("ordering", str, description="A column, or -column for descending."),
            OpenApiParameter("where", str, description="Filter: a column that must equal ``value``."),
            OpenApiParameter("value", str),
        ],
        responses=PortPreviewSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request, pk=None):
        """Up to 50 rows of the port's table, with classified columns masked unless you are cleared for them.

        Needs a live access grant on the port (or membership of the owning team). Filtering or ordering on a
        masked column is refused."""
        port = self.get_object()
        port = selectors.port_for_data(user=request.user, pk=port.pk)
        try:
            data = selectors.port_data_read(
                user=request.user,
                port=port,
                ordering=request.query_params.get("ordering", "")[:64],
                where=request.query_params.get("where", "")[:64],
                value=request.query_params.get("value", "")[:500],
                limit=50,
            )
        except DjangoPermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from error
        except WarehouseError as error:
            return Response({"detail": f"The warehouse could not answer: {error}"}, status=503)
        return Response(
            {"columns": data.columns, "masked": sorted(data.masked), "rows": [list(row) for row in data.rows]}
        )


class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Consumers of the products the caller may see. Subscribing names a purpose; ``team`` subscribes your team."""

    serializer_class = SubscriptionSerializer
    filterset_fields = ["product"]

    def get_queryset(self):
        return (
            Subscription.objects.filter(product__in=DataProduct.objects.visible_to(self.request.user))
            .select_related("team", "user")
            .order_by("-created_at", "-id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.subscription_create(
            actor=self.request.user, product=data["product"], purpose=data["purpose"], team=data.get("team")
        )

    def perform_destroy(self, instance):
        services.subscription_delete(actor=self.request.user, subscription=instance)


class LineageEdgeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Lineage: ``product`` reads from ``upstream`` (a product) or from ``external_source``."""

    serializer_class = LineageEdgeSerializer
    filterset_fields = ["product", "upstream"]

    def get_queryset(self):
        visible = DataProduct.objects.visible_to(self.request.user)
        return (
            LineageEdge.objects.filter(product__in=visible)
            .filter(Q(upstream__isnull=True) | Q(upstream__in=visible))
            .order_by("product_id", "id")
        )

    def perform_create(self, serializer):
        serializer.instance = services.lineage_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        _refuse_unless(permissions.can_edit_product(self.request.user, instance.product))
        services.lineage_remove(actor=self.request.user, edge=instance)


# --- Access to data ------------------------------------------------------------------------------------------


class AccessRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Access requests: your own, plus those on products whose access you decide.

    Create one for a published product's port with a purpose and a duration; approvers ``approve`` or ``reject``
    (with a ``note``); the requester may ``withdraw``. Status and decisions are never writable fields."""

    serializer_class = AccessRequestSerializer
    filterset_fields = ["status", "port"]

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
        try:
            service(actor=request.user, access_request=access_request, note=body.validated_data["note"])
        except DjangoPermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=access_request.pk)).data)

    @extend_schema(request=AccessDecisionSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.access_request_approve)

    @extend_schema(request=AccessDecisionSerializer, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.access_request_reject)

    @extend_schema(request=None, responses=AccessRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        access_request = self.get_object()
        try:
            services.access_request_withdraw(actor=request.user, access_request=access_request)
        except DjangoPermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from error
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
        try:
            services.grant_revoke(actor=request.user, grant=grant, reason=body.validated_data["reason"])
        except DjangoPermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from error
        return Response(self.get_serializer(self.get_queryset().get(pk=grant.pk)).data)


class ClearanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Your own clearances (recorded by admins)."""

    serializer_class = ClearanceSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return self.get_serializer_class().Meta.model.objects.none()
        return selectors.clearances_of(user=self.request.user)


# --- Quality ------------------------------------------------------------------------------------------------------

from rest_framework import authentication, status  # noqa: E402 - appended section
from rest_framework.exceptions import AuthenticationFailed, NotFound  # noqa: E402

from products.api.serializers import (  # noqa: E402
    CheckRunSerializer,
    IncidentSerializer,
    QualityCheckSerializer,
    QualityResultsPushSerializer,
)


class IngestPrincipal:
    """Who a push token authenticates as: not a person, and good for nothing but its product's push endpoint."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    pk = id = None

    def __init__(self, token):
        self.token = token
        self.username = f"token:{token.prefix}"

    def __str__(self) -> str:
        return self.username


class IngestTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` with a product ingest token (only on the push endpoint)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Send Authorization: Bearer <token>.")
        token = services.ingest_token_authenticate(header[1].decode(errors="replace"))
        if token is None:
            raise AuthenticationFailed("Unknown or revoked token.")
        return IngestPrincipal(token), token

    def authenticate_header(self, request):
        return self.keyword


class QualityCheckViewSet(viewsets.ReadOnlyModelViewSet):
    """Quality checks of the products you may see, with their latest result."""

    serializer_class = QualityCheckSerializer
    filterset_fields = ["product", "kind", "dimension", "severity"]

    def get_queryset(self):
        return selectors.quality_checks_visible(user=self.request.user)


class IncidentFilter(django_filters.FilterSet):
    open = StrictBooleanFilter(field_name="resolved_at", lookup_expr="isnull", label="Only open (true) or resolved")

    class Meta:
        model = Incident
        fields = ["product", "kind", "open"]


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        return selectors.incidents_visible(user=self.request.user)


class CheckRunViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """``POST {"product": id}`` runs the product's checks now (owning team); ``GET`` shows the progress."""

    serializer_class = CheckRunSerializer

    def get_queryset(self):
        return selectors.quality_runs_visible(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = DataProduct.objects.visible_to(request.user).filter(pk=serializer.validated_data["product"].pk)
        product = product.first()
        if product is None:
            raise NotFound("No such product.")
        _refuse_unless(permissions.can_run_quality_checks(request.user, product), "Only the owning team runs checks.")
        run = services.quality_run_start(actor=request.user, product=product)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class QualityResultPushViewSet(viewsets.ViewSet):
    """Pipelines post check results for one product: ``Authorization: Bearer <ingest token>`` (a token pushes
    to its own product only), or a signed-in member of the owning team."""

    authentication_classes = [
        IngestTokenAuthentication,
        authentication.TokenAuthentication,
        authentication.SessionAuthentication,
    ]
    serializer_class = QualityResultsPushSerializer

    @extend_schema(request=QualityResultsPushSerializer, responses={201: None})
    def create(self, request, product_pk=None):
        serializer = QualityResultsPushSerializer(data=request.data)
        token = request.auth if isinstance(request.user, IngestPrincipal) else None
        if token is not None:
            if str(token.product_id) != str(product_pk):
                raise ApiPermissionDenied("This token is for another product.")
            product = token.product
        else:
            product = DataProduct.objects.visible_to(request.user).filter(pk=product_pk).first()
            if product is None:
                raise NotFound("No such product.")
            _refuse_unless(
                permissions.can_push_quality_results(request.user, product), "Only the owning team pushes results."
            )
        serializer.is_valid(raise_exception=True)
        results = [
            {**item, "measured_at": item["measured_at"].isoformat()} if "measured_at" in item else dict(item)
            for item in serializer.validated_data["results"]
        ]
        try:
            count = services.quality_results_push(
                product=product,
                results=results,
                actor=None if token else request.user,
                token=token,
            )
        except DjangoPermissionDenied as error:
            raise ApiPermissionDenied(str(error)) from error
        product.refresh_from_db(fields=["quality_score"])
        return Response(
            {
                "recorded": count,
                "quality_score": None if product.quality_score is None else f"{product.quality_score:.2f}",
            },
            status=status.HTTP_201_CREATED,
        )
