from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance import permissions, selectors, services
from governance import seats as seat_services
from governance.api.serializers import (
    CommentBodySerializer,
    CouncilSerializer,
    OpenSerializer,
    ProposalSerializer,
    SeatAssignSerializer,
    SeatDelegateSerializer,
    SeatSerializer,
    StandardSerializer,
    VoteCastSerializer,
    VoteSerializer,
)
from governance.filters import ProposalFilter, StandardFilter
from governance.models import Council, Seat
from portal.errors import require
from products.teams.services import user_by_username


class CouncilViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Council.objects.prefetch_related("seats__domain", "seats__holder", "seats__substitute").order_by("name")
    serializer_class = CouncilSerializer


class SeatViewSet(viewsets.ReadOnlyModelViewSet):
    """Council seats. The chair (and admins) ``assign`` a domain seat, ``vacate`` it, ``delegate`` a substitute
    who votes for it until a date, and ``end-delegation``."""

    queryset = Seat.objects.select_related("domain", "holder", "substitute").order_by(
        "council_id", "-is_chair", "domain__name"
    )
    serializer_class = SeatSerializer
    filterset_fields = ["council"]

    def _managed(self):
        seat = self.get_object()
        require(permissions.can_manage_seats(self.request.user, seat.council), seat_services.NOT_CHAIR)
        return seat

    def _answer(self, seat):
        return Response(self.get_serializer(self.get_queryset().get(pk=seat.pk)).data)

    @extend_schema(request=SeatAssignSerializer, responses=SeatSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        seat = self._managed()
        body = SeatAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = user_by_username(body.validated_data["username"])
        return self._answer(seat_services.seat_assign(actor=request.user, seat=seat, user=user))

    @extend_schema(request=None, responses=SeatSerializer)
    @action(detail=True, methods=["post"])
    def vacate(self, request, pk=None):
        return self._answer(seat_services.seat_vacate(actor=request.user, seat=self._managed()))

    @extend_schema(request=SeatDelegateSerializer, responses=SeatSerializer)
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        seat = self._managed()
        body = SeatDelegateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = user_by_username(body.validated_data["username"])
        return self._answer(
            seat_services.seat_delegate(
                actor=request.user, seat=seat, substitute=user, until=body.validated_data["until"]
            )
        )

    @extend_schema(request=None, responses=SeatSerializer)
    @action(detail=True, methods=["post"], url_path="end-delegation")
    def end_delegation(self, request, pk=None):
        return self._answer(seat_services.seat_delegation_end(actor=request.user, seat=self._managed()))


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
