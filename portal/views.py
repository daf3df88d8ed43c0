from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import defaults
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from portal.pagination import paginate
from portal.selectors import notification_list
from portal.services import notification_mark_read


def healthz(request):
    """Liveness for load balancers: answers without touching the database or the session."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def api_token(request):
    """Show the caller's API token for pipelines and agents; POST makes a new one (the old one stops working)."""
    if request.method == "POST":
        Token.objects.filter(user=request.user).delete()
        Token.objects.create(user=request.user)
        messages.success(request, "A new API token was created. The old one no longer works.")
        return redirect("api-token-page")
    token = Token.objects.filter(user=request.user).first()
    return render(request, "portal/api_token.html", {"token": token})


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
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/") else "inbox")


def not_found(request, exception):
    """API clients get JSON for unknown paths too; people get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
