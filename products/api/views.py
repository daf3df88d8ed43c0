from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from portal.errors import DomainError, require
from products import permissions, selectors, services
from products.api.serializers import (
    DataProductSerializer,
    DomainSerializer,
    LineageEdgeSerializer,
    OutputPortSerializer,
    StatusChangeSerializer,
    SubscriptionSerializer,
    TeamSerializer,
)
from products.filters import ProductFilter
from products.models import DataProduct, Domain, LineageEdge, OutputPort, SchemaField, Subscription, Team
from products.teams import selectors as team_selectors
from products.teams import services as team_services
from products.teams.api.serializers import MemberAddSerializer, MemberRoleSerializer, ProductTransferSerializer

User = get_user_model()


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Domain.objects.order_by("name")
    serializer_class = DomainSerializer
    lookup_field = "slug"
    filterset_fields = ["slug"]


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams and their members. A team's owners (and admins) add members, set roles and remove members; a team
    always keeps one owner (the last owner's removal or demotion is a 400)."""

    queryset = team_selectors.teams_with_members()
    serializer_class = TeamSerializer
    lookup_field = "slug"
    filterset_fields = {"domain__slug": ["exact"]}

    def _fresh(self, team):
        return Response(self.get_serializer(team_selectors.teams_with_members().get(pk=team.pk)).data)

    @extend_schema(request=MemberAddSerializer, responses={201: TeamSerializer})
    @action(detail=True, methods=["post"], url_path="members")
    def members(self, request, slug=None):
        team = self.get_object()
        body = MemberAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        require(permissions.can_manage_team(request.user, team), team_services.NOT_OWNER)
        user = team_services.user_by_username(body.validated_data["username"])
        team_services.membership_add(actor=request.user, team=team, user=user, role=body.validated_data["role"])
        response = self._fresh(team)
        response.status_code = 201
        return response

    def _member(self, team, username: str):
        user = User.objects.filter(username=username, memberships__team=team).first()
        if user is None:
            raise NotFound("No such member.")
        return user

    @extend_schema(methods=["patch"], request=MemberRoleSerializer, responses=TeamSerializer)
    @extend_schema(methods=["delete"], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"members/(?P<username>[\w.@+-]+)")
    def member(self, request, slug=None, username=None):
        team = self.get_object()
        require(permissions.can_manage_team(request.user, team), team_services.NOT_OWNER)
        user = self._member(team, username)
        if request.method == "DELETE":
            team_services.membership_remove(actor=request.user, team=team, user=user)
            return Response(status=204)
        body = MemberRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        team_services.membership_role_set(actor=request.user, team=team, user=user, role=body.validated_data["role"])
        return self._fresh(team)


def _ports_with_columns() -> Prefetch:
    return Prefetch(
        "ports",
        queryset=OutputPort.objects.prefetch_related(
            Prefetch("fields", queryset=SchemaField.objects.order_by("position", "id"))
        ),
    )


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
        # A list's ports get their columns as plain values, for the whole page at once (get_serializer).
        listing = self.action == "list"
        return (
            selectors.product_list(user=self.request.user)
            .select_related("accountable", "compliance")
            .prefetch_related(
                Prefetch("ports", queryset=OutputPort.objects.all()) if listing else _ports_with_columns()
            )
        )

    def get_serializer(self, *args, **kwargs):
        if self.action == "list" and args:
            selectors.port_columns_attach(port for product in args[0] for port in product.ports.all())
        return super().get_serializer(*args, **kwargs)

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
        data = dict(serializer.validated_data)
        data.pop("slug", None)
        data.pop("domain", None)
        serializer.instance = services.product_update(actor=self.request.user, product=product, **data)
        prefetch_related_objects([serializer.instance], _ports_with_columns())  # the answer lists them

    def _change_status(self, request, to_status: str):
        product = self.get_object()
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        product = services.product_change_status(
            actor=request.user, product=product, to_status=to_status, comment=body.validated_data["comment"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=product.pk)).data)

    @extend_schema(request=ProductTransferSerializer, responses=DataProductSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Hand the product to another team of its domain (an owner of the owning team, or an admin)."""
        product = self.get_object()
        body = ProductTransferSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        require(
            permissions.can_transfer_product(request.user, product),
            "Only an owner of the owning team hands a product on.",
        )
        team = Team.objects.filter(slug=body.validated_data["team"]).first()
        if team is None:
            raise DomainError("No such team.", field="team", code="does_not_exist")
        product = services.product_transfer(
            actor=request.user, product=product, team=team, comment=body.validated_data["comment"]
        )
        # Not read again through get_queryset: a draft handed on is no longer the caller's to see.
        prefetch_related_objects([product], _ports_with_columns())
        return Response(self.get_serializer(product).data)

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
            OutputPort.objects.visible_to(self.request.user)
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
        self._save(serializer, port=serializer.instance)

    def perform_destroy(self, instance):
        services.port_delete(actor=self.request.user, port=instance)


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
            Subscription.objects.visible_to(self.request.user)
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
        services.lineage_remove(actor=self.request.user, edge=instance)
