from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance import permissions, selectors, services
from governance.api.serializers import (
    CommentBodySerializer,
    CouncilSerializer,
    EnforcementRunSerializer,
    OpenSerializer,
    ProposalSerializer,
    SeatSerializer,
    StandardSerializer,
    ViolationSerializer,
    VoteCastSerializer,
    VoteSerializer,
    WaiverDecisionSerializer,
    WaiverSerializer,
)
from governance.filters import ProposalFilter, StandardFilter, ViolationFilter, WaiverFilter
from governance.models import Council, EnforcementRun, Seat


class CouncilViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Council.objects.prefetch_related("seats__domain", "seats__holder").order_by("name")
    serializer_class = CouncilSerializer


class SeatViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Seat.objects.select_related("domain", "holder").order_by("council_id", "-is_chair", "domain__name")
    serializer_class = SeatSerializer
    filterset_fields = ["council"]


class ProposalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Council proposals. Everyone signed in reads (drafts: council members and their author); council members
    draft; the author edits a draft; transitions are actions: ``open`` and ``close`` (chair), ``withdraw``
    (author), ``vote`` (seat holders, changeable until close)."""

    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter

    def get_queryset(self):
        return selectors.proposal_list(user=self.request.user)

    def _fresh(self, proposal):
        return self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data

    def create(self, request, *args, **kwargs):
        if not permissions.councils_user_may_propose_in(request.user).exists():
            raise PermissionDenied("Only council members draft proposals.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        proposal = services.proposal_create(actor=request.user, council=data.pop("council"), **data)
        return Response(self._fresh(proposal), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        proposal = self.get_object()
        if not permissions.can_edit_proposal(request.user, proposal):
            raise PermissionDenied("Only the author edits a draft.")
        serializer = self.get_serializer(proposal, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("council", None)
        proposal = services.proposal_update(actor=request.user, proposal=proposal, **data)
        return Response(self._fresh(proposal))

    @extend_schema(request=OpenSerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        body = OpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_open(
            actor=request.user, proposal=self.get_object(), deadline=body.validated_data.get("deadline")
        )
        return Response(self._fresh(proposal))

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        proposal = services.proposal_close(self.get_object().pk, actor=request.user)
        return Response(self._fresh(proposal))

    @extend_schema(request=CommentBodySerializer, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        body = CommentBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_withdraw(
            actor=request.user, proposal=self.get_object(), comment=body.validated_data["comment"]
        )
        return Response(self._fresh(proposal))

    @extend_schema(request=VoteCastSerializer, responses=VoteSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        proposal = self.get_object()
        if not permissions.can_vote(request.user, proposal):
            raise PermissionDenied("Only seat holders vote.")
        body = VoteCastSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        vote = services.vote_cast(actor=request.user, proposal=proposal, **body.validated_data)
        return Response(VoteSerializer(vote).data)


class VoteViewSet(viewsets.ReadOnlyModelViewSet):
    """Votes on the proposals the caller may see. Cast them with ``POST /proposals/{id}/vote/``."""

    serializer_class = VoteSerializer
    filterset_fields = ["proposal", "seat", "choice"]

    def get_queryset(self):
        return selectors.vote_list(user=self.request.user)


class StandardViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of every standard (``?status=in_force`` for those in force, ``?code=STD-007`` for one)."""

    serializer_class = StandardSerializer
    filterset_class = StandardFilter

    def get_queryset(self):
        return selectors.standard_list(user=self.request.user, status=None)


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
        if not permissions.can_decide_waiver(request.user, waiver):
            raise PermissionDenied("Only the council chair decides waivers.")
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
