"""Sign-in through the organisation's OpenID Connect provider (mozilla-django-oidc), when ``MESH_OIDC_ENABLED``.

The first sign-in creates the user from the claims and links it to the provider's subject; every sign-in applies
the group claim to team memberships (``TeamClaimMapping`` in the admin)."""

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from products.models import IdentityProviderLink
from products.teams.services import memberships_sync_from_claims


class MeshOIDCBackend(OIDCAuthenticationBackend):
    """Accounts are found by the provider's subject (``IdentityProviderLink``): a first sign-in makes the account
    under the person's name (``preferred_username``, else the e-mail's local part) if nobody holds that name, and
    links it; later sign-ins find the link whatever the name says then."""

    issuer = ""

    def get_userinfo(self, access_token, id_token, payload):
        """The user info, which must describe the ID token's subject (OpenID Connect Core 5.3.2)."""
        claims = super().get_userinfo(access_token, id_token, payload)
        if not payload.get("sub") or str(claims.get("sub", "")) != str(payload["sub"]):
            raise SuspiciousOperation("The provider's user info describes another subject than its ID token.")
        self.issuer = str(payload.get("iss") or settings.OIDC_OP_ISSUER)[:255]
        return claims

    @staticmethod
    def _username(claims) -> str:
        name = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
        return str(name)[:150]

    def _linked(self, claims):
        return self.UserModel.objects.filter(
            identity_provider_link__issuer=self.issuer, identity_provider_link__subject=str(claims.get("sub", ""))
        )

    def _made_before_links(self, claims):
        """An account this provider made before sign-ins were tied to the subject: the same name, no password, no
        link, and the e-mail the provider vouches for (``email_verified``). It is linked at this sign-in."""
        if claims.get("email_verified") is not True or not claims.get("email"):
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(
            username=self._username(claims),
            email__iexact=claims["email"],
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
            identity_provider_link__isnull=True,
        )

    def verify_claims(self, claims):
        """A subject and a name are needed. A subject seen before signs in; a new one takes a name nobody holds,
        so the provider never signs anyone into a local account (the demo's admin) or another person's."""
        if not claims.get("sub") or not self._username(claims):
            return False
        if self._linked(claims).exists() or self._made_before_links(claims).exists():
            return True
        return not self.UserModel.objects.filter(username=self._username(claims)).exists()

    def filter_users_by_claims(self, claims):
        linked = self._linked(claims)
        return linked if linked.exists() else self._made_before_links(claims)

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            username=self._username(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", "")[:150],
            last_name=claims.get("family_name", "")[:150],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        self._link(user, claims)
        self._sync(user, claims)
        return user

    def update_user(self, user, claims):
        if claims.get("email") and claims["email"] != user.email:
            user.email = claims["email"]
            user.save(update_fields=["email"])
        if not IdentityProviderLink.objects.filter(user=user).exists():
            self._link(user, claims)
        self._sync(user, claims)
        return user

    def _link(self, user, claims) -> None:
        IdentityProviderLink.objects.create(user=user, issuer=self.issuer, subject=str(claims["sub"])[:255])

    def _sync(self, user, claims) -> None:
        values = claims.get(settings.MESH_OIDC_GROUPS_CLAIM) or []
        if isinstance(values, str):
            values = [values]
        memberships_sync_from_claims(user=user, claim_values=values)


def _enabled_only(view):
    def wrapped(request, *args, **kwargs):
        if not settings.MESH_OIDC_ENABLED:
            raise Http404("Sign-in through an identity provider is not configured.")
        return view(request, *args, **kwargs)

    return wrapped


login_start = _enabled_only(OIDCAuthenticationRequestView.as_view())
login_callback = _enabled_only(OIDCAuthenticationCallbackView.as_view())
