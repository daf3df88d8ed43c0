from rest_framework import serializers

from portal.api.fields import StrictCharField
from products.models import Membership


class MemberAddSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150, help_text="The person's user name.")
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class ProductTransferSerializer(serializers.Serializer):
    team = StrictCharField(max_length=50, help_text="The slug of the new owning team, in the product's domain.")
    comment = StrictCharField(max_length=500, required=False, default="", allow_blank=True)
