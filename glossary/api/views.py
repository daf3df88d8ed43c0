from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from glossary import imports, links, permissions, selectors, services, stewards
from glossary.api.serializers import (
    ConflictFindingSerializer,
    EscalateSerializer,
    ImportResultSerializer,
    ImportSerializer,
    StewardSerializer,
    TermLinkSerializer,
    TermRelationSerializer,
    TermSerializer,
    TransitionSerializer,
)
from glossary.filters import TermFilter
from glossary.models import Steward, TermRevision
from portal.api.parsers import TextJSONParser
from portal.errors import require
from products.teams.services import user_by_username


class TermViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Glossary terms the caller may see, A–Z. ``?q=`` searches names, synonyms and definitions; ``?domain=``
    takes a domain slug or ``enterprise``; ``?status=`` filters the lifecycle.

    Creating makes a draft. Updating a draft edits it; updating an approved term proposes a revision (the response
    shows the approved term, still in force, and ``pending_revision``). Lifecycle moves are actions: ``submit``,
    ``approve``, ``return`` (comment required), ``deprecate`` (optional ``replaced_by``), ``escalate``.
    """

    serializer_class = TermSerializer
    filterset_class = TermFilter

    def get_queryset(self):
        return selectors.term_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.term_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        term = serializer.instance
        data = dict(serializer.validated_data)
        data.pop("domain", None)
        result = services.term_update(actor=self.request.user, term=term, **data)
        self._revision = result if isinstance(result, TermRevision) else None
        serializer.instance = self.get_queryset().get(pk=term.pk)

    def update(self, request, *args, **kwargs):
        self._revision = None
        response = super().update(request, *args, **kwargs)
        if self._revision is not None:
            response.data = {**response.data, "pending_revision": self._revision.pk}
            response.status_code = status.HTTP_202_ACCEPTED
        return response

    def _transition(self, request, name: str):
        term = self.get_object()
        body = TransitionSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        services.term_change_status(
            actor=request.user,
            term=term,
            action=name,
            comment=body.validated_data["comment"],
            replaced_by=body.validated_data.get("replaced_by"),
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=term.pk)).data)

    @extend_schema(request=TransitionSerializer, responses=TermSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, "submit")

    @extend_schema(request=TransitionSerializer, responses=TermSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, "approve")

    @extend_schema(request=TransitionSerializer, responses=TermSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._transition(request, "return")

    @extend_schema(request=TransitionSerializer, responses=TermSerializer)
    @action(detail=True, methods=["post"])
    def deprecate(self, request, pk=None):
        return self._transition(request, "deprecate")

    @extend_schema(request=EscalateSerializer, responses={201: OpenApiResponse(description="The proposal id")})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        term = self.get_object()
        body = EscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.term_escalate(actor=request.user, term=term, motivation=body.validated_data["motivation"])
        return Response({"proposal": proposal.pk, "term": term.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ImportSerializer,
        responses={200: ImportResultSerializer, 400: ImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser, TextJSONParser],
    )
    def import_csv(self, request):
        """Import terms from CSV. All or nothing by default (400 with the bad rows, nothing imported); with
        ``good_rows_only`` the good rows are imported and the bad ones listed. Terms enter as drafts (or in review
        with ``submit``), never approved."""
        if not permissions.can_import_terms(request.user):  # before reading the upload
            raise PermissionDenied("Only stewards import terms.")
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data.get("file")
        data = upload.read() if upload else body.validated_data["csv"]
        result = imports.terms_import(
            actor=request.user,
            data=data,
            good_rows_only=body.validated_data["good_rows_only"],
            submit=body.validated_data["submit"],
        )
        failed = bool(result.errors) and not result.imported
        return Response(result.as_dict(), status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK)

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="CSV in the import format")})
    @action(detail=False, methods=["get"])
    def export(self, request):
        return imports.terms_export(self.filter_queryset(self.get_queryset())[:10000])


class TermRelationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Typed relations between terms the caller may see. ``differs_from`` needs an ``explanation``."""

    serializer_class = TermRelationSerializer
    filterset_fields = ["source", "target", "kind"]

    def get_queryset(self):
        return selectors.relation_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.relation_add(actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.relation_remove(actor=self.request.user, relation=instance)


class TermLinkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Links from approved terms to schema fields (one term per field) or to whole products. Owners link their
    own products' fields; linking a field that already has a term moves it to the new term."""

    serializer_class = TermLinkSerializer
    filterset_fields = ["term", "field", "product"]

    def get_queryset(self):
        return selectors.link_list(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        if data.get("field"):
            serializer.instance = links.link_field(actor=self.request.user, term=data["term"], field=data["field"])
        else:
            serializer.instance = links.link_product(
                actor=self.request.user, term=data["term"], product=data["product"]
            )

    def perform_destroy(self, instance):
        links.link_remove(actor=self.request.user, link=instance)


class ConflictFindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Open glossary conflicts (``?resolved=1`` includes resolved ones); for stewards and admins."""

    serializer_class = ConflictFindingSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        include_resolved = self.request.query_params.get("resolved") == "1"
        return selectors.conflict_list(user=self.request.user, include_resolved=include_resolved)


class StewardViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Glossary stewards. Owners of a domain's teams (and admins) appoint (``POST``) and remove (``DELETE``) its
    stewards; enterprise-wide stewards (``domain`` null) are appointed by admins."""

    serializer_class = StewardSerializer
    filterset_fields = {"domain__slug": ["exact"]}

    def get_queryset(self):
        return Steward.objects.select_related("user", "domain").order_by("domain__name", "user__username", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        require(permissions.can_appoint_stewards(self.request.user, data.get("domain")), stewards.NOT_YOURS)
        user = user_by_username(data["user"]["username"])
        serializer.instance = stewards.steward_appoint(actor=self.request.user, user=user, domain=data.get("domain"))

    def perform_destroy(self, instance):
        stewards.steward_remove(actor=self.request.user, steward=instance)
