from drf_spectacular.utils import extend_schema
from rest_framework import authentication, mixins, status, viewsets
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from portal.api.authentication import ApiTokenAuthentication
from portal.filters import ScopedFilterSet, StrictBooleanFilter
from products.models import DataProduct
from products.quality import selectors, services
from products.quality.api.serializers import (
    CheckRunSerializer,
    IncidentSerializer,
    ProductSlaSerializer,
    QualityCheckSerializer,
    QualityResultsPushSerializer,
)
from products.quality.models import Incident


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
    """``Authorization: Bearer <token>`` with a product ingest token (only on the push endpoint). Ingest tokens
    start with ``mpq_``; any other bearer token is left to the personal API token authentication."""

    keyword = "Bearer"
    prefix = b"mpq_"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) == 2 and not header[1].startswith(self.prefix):
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


class IncidentFilter(ScopedFilterSet):
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
        run = services.quality_run_start(actor=request.user, product=serializer.validated_data["product"])
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


class QualityResultPushViewSet(viewsets.ViewSet):
    """Pipelines post check results for one product: ``Authorization: Bearer <ingest token>`` (a token pushes
    to its own product only), or a member of the owning team (with a personal API token, or signed in)."""

    authentication_classes = [
        IngestTokenAuthentication,
        ApiTokenAuthentication,
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
        serializer.is_valid(raise_exception=True)
        results = [
            {**item, "measured_at": item["measured_at"].isoformat()} if "measured_at" in item else dict(item)
            for item in serializer.validated_data["results"]
        ]
        count = services.quality_results_push(
            product=product,
            results=results,
            actor=None if token else request.user,
            token=token,
        )
        product.refresh_from_db(fields=["quality_score"])
        return Response(
            {
                "recorded": count,
                "quality_score": None if product.quality_score is None else f"{product.quality_score:.2f}",
            },
            status=status.HTTP_201_CREATED,
        )


class ProductSlaViewSet(viewsets.ViewSet):
    """The product's SLAs as it declares them, over the last 30 days: per field the target, what was measured,
    the error budget left and the burn rate."""

    serializer_class = ProductSlaSerializer

    @extend_schema(responses=ProductSlaSerializer)
    def list(self, request, product_pk=None):
        product = DataProduct.objects.visible_to(request.user).filter(pk=product_pk).first()
        if product is None:
            raise NotFound("No such product.")
        metrics = selectors.product_sla_get(user=request.user, product=product)
        data = {"product": product.urn, "window_days": metrics[0]["window_days"], "metrics": metrics}
        return Response(ProductSlaSerializer(data).data)
