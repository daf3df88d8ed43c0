import sys
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import ApiTokenForm, attach_domain_error
from portal.outage import is_unavailable, unavailable_response
from portal.pagination import paginate
from portal.redirects import safe_next
from portal.selectors import api_tokens_of, notification_list
from portal.services import api_token_create, api_token_revoke, notification_mark_read


def healthz(request):
    """Liveness: answers without touching the database, the broker or the session (readiness is ``/readyz``)."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@login_required
def api_token(request):
    """The caller's API tokens for pipelines and agents; POST makes one, whose key this answer shows, once."""
    form = ApiTokenForm(request.POST or None)
    created = key = None
    if request.method == "POST" and form.is_valid():
        try:
            created, key = api_token_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            form = ApiTokenForm()
    tokens = api_tokens_of(user=request.user)
    context = {"form": form, "created": created, "key": key, "tokens": tokens, "mcp_url": mcp_url(request)}
    return render(request, "portal/api_token.html", context)


def mcp_url(request) -> str:
    """Where agents reach the portal's MCP server (mounted next to Django in ``portal.asgi``)."""
    return request.build_absolute_uri("/mcp/")


@login_required
@require_POST
def revoke_api_token(request, pk: int):
    token = get_object_or_404(api_tokens_of(user=request.user), pk=pk)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: calls with it are refused from now on.")
    return redirect("api-token-page")


@login_required
def notification_inbox(request):
    unread_only = request.GET.get("unread") == "1"
    page = paginate(notification_list(user=request.user, unread_only=unread_only), request.GET.get("page"), 30)
    return render(request, "portal/notification_list.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_read(request):
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    notification_mark_read(user=request.user, notification_ids=ids or None)
    return redirect(safe_next(request, "inbox"))


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once a user name is locked out at an address: JSON for API clients, else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Too many failed log-ins: this account is locked for this address for a while."}, status=429
        )
    return render(request, "registration/locked_out.html", status=429)


FAVICON = (Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.ico").read_bytes()


def favicon(request):
    """``/favicon.ico``, which browsers ask for on every page whatever the ``<link rel=icon>`` says."""
    response = HttpResponse(FAVICON, content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def not_found(request, exception):
    """API clients get JSON for unknown paths too; people get the page in the site layout, with a search box.

    The page's navigation reads the database; while it is unreachable the answer is the outage page instead."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        return render(request, "404.html", {"in_catalog": _in_catalog(request)}, status=404)
    except Exception as error:
        if is_unavailable(error):
            return unavailable_response(request)
        raise


def _in_catalog(request) -> bool:
    return request.path.startswith("/products/")


def permission_denied(request, exception):
    """A refusal in the site layout; the reason shown is the one the permission check gave, never a stack."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    reason = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else ""
    try:
        return render(request, "403.html", {"reason": reason}, status=403)
    except Exception as error:
        if is_unavailable(error):
            return unavailable_response(request)
        raise


def server_error(request):
    """An error no view caught: 503 with Retry-After while the database is unreachable (``portal.outage``), JSON for
    API clients; otherwise the plain 500."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


class LoginView(auth_views.LoginView):
    """The login page: the identity provider's button when OIDC is on, the password form unless switched off."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "oidc_enabled": settings.MESH_OIDC_ENABLED,
            "oidc_provider_name": settings.MESH_OIDC_PROVIDER_NAME,
            "local_passwords": settings.MESH_LOCAL_PASSWORDS,
        }
