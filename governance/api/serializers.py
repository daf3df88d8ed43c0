from rest_framework import serializers

from governance import permissions, selectors
from governance.models import Council, Proposal, Seat, Standard, Vote
from governance.rules import rule_validate
from governance.tally import tally_compute
from portal.api.fields import JSONObjectField, StrictCharField
from portal.errors import DomainError


class SeatSerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    holder = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    substitute = serializers.SerializerMethodField(help_text="Who votes for the seat during the holder's absence.")

    class Meta:
        model = Seat
        fields = ["id", "council", "domain", "holder", "is_chair", "since", "substitute", "substitute_until"]
        read_only_fields = fields

    def get_substitute(self, seat) -> str | None:
        return seat.substitute.username if seat.substitute_active() else None


class SeatAssignSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)


class SeatDelegateSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, help_text="The substitute's user name.")
    until = serializers.DateField(help_text="The last day the substitute votes.")


class CouncilSerializer(serializers.ModelSerializer):
    seats = SeatSerializer(many=True, read_only=True)

    class Meta:
        model = Council
        fields = ["id", "name", "description", "quorum_percent", "majority", "default_vote_days", "seats"]
        read_only_fields = fields


class ScopedCouncilField(serializers.PrimaryKeyRelatedField):
    """Only a council the caller sits on (IDOR guard: a foreign council id is an invalid choice)."""

    def get_queryset(self):
        return permissions.councils_user_may_propose_in(self.context["request"].user)


class TargetStandardField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return selectors.standard_choices(user=self.context["request"].user)


class ProposalSerializer(serializers.ModelSerializer):
    """Status, dates, author, tally and result are read-only: they move only through the transition actions."""

    council = ScopedCouncilField()
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    target_standard = TargetStandardField(required=False, allow_null=True)
    tally = serializers.SerializerMethodField()
    rule = JSONObjectField(required=False)
    payload = JSONObjectField(required=False)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "council",
            "author",
            "kind",
            "title",
            "motivation",
            "status",
            "created_at",
            "opened_at",
            "deadline",
            "closed_at",
            "target_standard",
            "standard_kind",
            "standard_title",
            "standard_text",
            "rule",
            "severity",
            "grace_days",
            "effective_from",
            "payload",
            "tally",
            "result",
        ]
        read_only_fields = ["status", "created_at", "opened_at", "deadline", "closed_at", "result"]

    def get_tally(self, proposal) -> dict:
        tally = tally_compute(
            seats=getattr(proposal, "seat_count", 0) or 0,
            votes_for=getattr(proposal, "votes_for", 0) or 0,
            votes_against=getattr(proposal, "votes_against", 0) or 0,
            abstain=getattr(proposal, "votes_abstain", 0) or 0,
            quorum_percent=proposal.council.quorum_percent,
            majority=proposal.council.majority,
        )
        return tally.as_dict()

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        if kind in Proposal.STANDARD_KINDS and "rule" in attrs:
            target = attrs.get("target_standard", getattr(self.instance, "target_standard", None))
            standard_kind = (
                attrs.get("standard_kind") or getattr(self.instance, "standard_kind", "") or getattr(target, "kind", "")
            )
            if standard_kind:
                try:
                    rule_validate(standard_kind, attrs["rule"])
                except DomainError as error:
                    raise serializers.ValidationError({"rule": [error.message]}) from None
        return attrs


class VoteSerializer(serializers.ModelSerializer):
    seat_label = serializers.CharField(source="seat.label", read_only=True)
    cast_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Vote
        fields = ["id", "proposal", "seat", "seat_label", "choice", "rationale", "cast_by", "created_at", "updated_at"]
        read_only_fields = fields


class VoteCastSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Vote.Choice.choices)
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    seat = serializers.PrimaryKeyRelatedField(
        queryset=Seat.objects.all(), required=False, allow_null=True, help_text="Only if you hold several seats."
    )


class OpenSerializer(serializers.Serializer):
    deadline = serializers.DateTimeField(required=False, allow_null=True)


class CommentBodySerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class StandardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Standard
        fields = [
            "id",
            "council",
            "code",
            "version",
            "kind",
            "title",
            "text",
            "rule",
            "severity",
            "effective_from",
            "grace_days",
            "status",
            "adopted_by",
            "created_at",
            "retired_at",
        ]
        read_only_fields = fields
