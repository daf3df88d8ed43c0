from django.contrib.auth import authenticate
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.parsers import TextJSONParser
from portal.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenObtainedSerializer,
    ApiTokenObtainSerializer,
    ApiTokenSerializer,
)
from portal.models import ApiToken, Notification
from portal.selectors import api_tokens_of, notification_list
from portal.services import api_token_create, api_token_revoke, notification_mark_read


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own inbox."""

    serializer_class = NotificationSerializer

    queryset = Notification.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notification_list(user=self.request.user)

    @extend_schema(request=None, responses=MarkedSerializer)
    @action(detail=False, methods=["post"])
    def read_all(self, request):
        marked = notification_mark_read(user=request.user)
        return Response({"marked": marked})


def _key_answer(serializer_class, token: ApiToken, key: str, status_code: int) -> Response:
    """The one answer that carries a token's key: never stored by a cache on the way."""
    token.key = key
    response = Response(serializer_class(token).data, status=status_code)
    add_never_cache_headers(response)
    return response


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens: list them, make one (the answer carries its key, once), revoke one (DELETE).
    Another person's token answers 404."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return api_tokens_of(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, **serializer.validated_data)
        return _key_answer(ApiTokenCreatedSerializer, token, key, status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        api_token_revoke(actor=self.request.user, token=instance)


class ApiTokenObtainView(APIView):
    """A new API token for a user name and password (named "pipeline" unless told otherwise); the answer carries
    its key, once. Wrong passwords count towards the same lockout as the login page (django-axes): once locked
    out, the answer is 429 until the cool-off ends, even with the right password."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [TextJSONParser, FormParser, MultiPartParser]  # as the former endpoint: forms too
    serializer_class = ApiTokenObtainSerializer

    def get_authenticate_header(self, request):
        return "Token"  # a wrong password is a 401 with a challenge, as the API's other refusals of credentials

    @extend_schema(
        # Forms are read too (as the former endpoint did), but JSON is what the API documents.
        request={"application/json": ApiTokenObtainSerializer},
        responses={
            200: ApiTokenObtainedSerializer,
            429: OpenApiResponse(
                inline_serializer("LockedOut", {"detail": serializers.CharField()}),
                description="Locked out after repeated wrong passwords; try again later.",
            ),
        },
    )
    def post(self, request):
        form_encoded = request.content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded"))
        serializer = ApiTokenObtainSerializer(data=request.data, context={"form_encoded": form_encoded})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Django's own request: axes records the failure, and marks a lockout that its middleware answers.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise exceptions.AuthenticationFailed("Unable to log in with these credentials.")
        token, key = api_token_create(
            user=user, name=data["name"], expires_in_days=data["expires_in_days"], read_only=data["read_only"]
        )
        return _key_answer(ApiTokenObtainedSerializer, token, key, status.HTTP_200_OK)
