from rest_framework import serializers

from portal.api.fields import StrictBooleanField, StrictCharField
from portal.models import ApiToken
from portal.services import API_TOKEN_DEFAULT_LIFETIME, API_TOKEN_LIFETIMES

LIFETIME_CHOICES = [days for days in API_TOKEN_LIFETIMES if days is not None]
LIFETIME_HELP = f"Days until the token expires: one of {LIFETIME_CHOICES}, or null for a token that never expires."


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its key, only the non-secret prefix that tells tokens apart."""

    prefix = serializers.CharField(source="token_key", read_only=True)
    expires = serializers.DateTimeField(source="expiry", read_only=True, allow_null=True)
    expired = serializers.BooleanField(source="is_expired", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "read_only", "created", "expires", "expired", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """A token just made: the only answer that carries its key."""

    key = serializers.CharField(read_only=True, help_text="The token itself. Store it now: it is not shown again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, help_text="What uses the token, e.g. the pipeline's name.")
    expires_in_days = serializers.ChoiceField(
        choices=LIFETIME_CHOICES, allow_null=True, default=API_TOKEN_DEFAULT_LIFETIME, help_text=LIFETIME_HELP
    )
    read_only = StrictBooleanField(
        default=False,
        help_text="A token that only reads: the API refuses its writing calls (403) and the MCP server offers it "
        "no writing tool.",
    )


class ApiTokenObtainSerializer(ApiTokenCreateSerializer):
    """A user name and password, for pipelines that cannot open the API tokens page."""

    username = StrictCharField(max_length=150)
    password = StrictCharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    name = StrictCharField(max_length=100, default="pipeline", help_text='What uses the token; "pipeline" if left out.')


class ApiTokenObtainedSerializer(ApiTokenCreatedSerializer):
    token = serializers.CharField(
        source="key", read_only=True, help_text="The same key, under the name the former token endpoint used."
    )

    class Meta(ApiTokenCreatedSerializer.Meta):
        fields = [*ApiTokenCreatedSerializer.Meta.fields, "token"]
        read_only_fields = fields
