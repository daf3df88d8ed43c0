"""Sign-in through the organisation's OpenID Connect provider (mozilla-django-oidc), when ``MESH_OIDC_ENABLED``.

The first sign-in creates the user from the ID token's claims (``preferred_username``, else the e-mail's local
part); every sign-in applies the group claim to team memberships (``TeamClaimMapping`` in the admin)."""

from django.conf import settings
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from products.teams.services import memberships_sync_from_claims


class MeshOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        username = self._username(claims)
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username)

    @staticmethod
    def _username(claims) -> str:
        name = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
        return str(name)[:150]

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            username=self._username(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", "")[:150],
            last_name=claims.get("family_name", "")[:150],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        self._sync(user, claims)
        return user

    def update_user(self, user, claims):
        if claims.get("email") and claims["email"] != user.email:
            user.email = claims["email"]
            user.save(update_fields=["email"])
        self._sync(user, claims)
        return user

    def _sync(self, user, claims) -> None:
        values = claims.get(settings.MESH_OIDC_GROUPS_CLAIM) or []
        if isinstance(values, str):
            values = [values]
        memberships_sync_from_claims(user=user, claim_values=values)

    def verify_claims(self, claims):
        """A name is needed, and it may not be a local account's (one with a password): the provider signs in the
        people it made, never a same-named local user such as the demo's admin."""
        username = self._username(claims)
        local = self.UserModel.objects.filter(username=username).exclude(password__startswith="!")  # noqa: S106 - Django's unusable-password prefix
        return bool(username) and not local.exists()


def _enabled_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.MESH_OIDC_ENABLED:
            raise Http404("Sign-in through an identity provider is not configured.")
        return view(request, *args, **kwargs)

    return wrapped


login_start = _enabled_only(OIDCAuthenticationRequestView.as_view())
login_callback = _enabled_only(OIDCAuthenticationCallbackView.as_view())
