from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.csv_safe import csv_response
from portal.errors import DomainError
from portal.forms import attach_domain_error
from portal.services import audit_record
from products.access import clearances, permissions, selectors, services, upgrades
from products.access.forms import (
    AccessDecisionForm,
    AccessRequestForm,
    ClearanceForm,
    GrantRevokeForm,
    GrantUpgradeForm,
)
from products.access.models import AccessGrant, AccessRequest, Clearance
from products.models import OutputPort
from products.warehouse import PortNotWired, WarehouseError

PREVIEW_ROWS = 50
EXPORT_ROWS = 10_000


@login_required
def my_access(request):
    return render(request, "products/access/my_access.html", selectors.my_access(user=request.user))


def _port_of_product(request, domain: str, slug: str, port_id: int) -> OutputPort:
    """The port, if its product is visible and is the one the URL names (else 404)."""
    try:
        port = selectors.port_for_data(user=request.user, pk=port_id)
    except OutputPort.DoesNotExist:
        raise Http404("No such port") from None
    if port.product.domain.slug != domain or port.product.slug != slug:
        raise Http404("No such port")
    return port


def _port_gone(request, port: OutputPort, gone: permissions.PortGone):
    return render(request, "products/access/port_gone.html", {"port": port, "message": gone.message}, status=410)


@login_required
def access_request_create(request, domain: str, slug: str, port_id: int):
    port = _port_of_product(request, domain, slug, port_id)
    try:
        permissions.port_served_require(port)
    except permissions.PortGone as gone:
        if request.method != "POST":
            return _port_gone(request, port, gone)
        form = AccessRequestForm(request.POST, durations=services.access_duration_choices(port))
        attach_domain_error(form, gone)
        context = {"form": form, "port": port, "renewal_of": None}
        return render(request, "products/access/accessrequest_form.html", context, status=400)
    if not permissions.can_request_access(request.user, port):
        raise PermissionDenied("Access can only be requested to published products.")
    form = AccessRequestForm(request.POST or None, durations=services.access_duration_choices(port))
    if request.method == "POST" and form.is_valid():
        try:
            access_request = services.access_request_create(actor=request.user, port=port, **form.cleaned_data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Request sent. The owning team's approvers have been told.")
            return redirect(access_request.get_absolute_url())
    return render(request, "products/access/accessrequest_form.html", {"form": form, "port": port, "renewal_of": None})


@login_required
def grant_renew(request, pk: int):
    try:
        grant = selectors.grant_get(user=request.user, pk=pk)
    except AccessGrant.DoesNotExist:
        raise Http404("No such grant") from None
    if not permissions.can_renew_grant(request.user, grant):
        raise PermissionDenied("Only the grantee asks for a renewal.")
    form = AccessRequestForm(
        request.POST or None,
        durations=services.access_duration_choices(grant.port),
        initial={"purpose": grant.request.purpose, "wants_unmasked_pii": grant.unmasked_pii},
    )
    if request.method == "POST" and form.is_valid():
        try:
            access_request = services.access_request_create(
                actor=request.user, port=grant.port, renewal_of=grant, **form.cleaned_data
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Renewal requested.")
            return redirect(access_request.get_absolute_url())
    return render(
        request, "products/access/accessrequest_form.html", {"form": form, "port": grant.port, "renewal_of": grant}
    )


@login_required
def grant_upgrade(request, pk: int):
    """Ask to unmask a live grant once the grantee holds a clearance: a new decision by the approvers."""
    try:
        grant = selectors.grant_get(user=request.user, pk=pk)
    except AccessGrant.DoesNotExist:
        raise Http404("No such grant") from None
    if not permissions.can_renew_grant(request.user, grant):
        raise PermissionDenied("Only the grantee asks to unmask a grant.")
    form = GrantUpgradeForm(request.POST or None, initial={"purpose": grant.request.purpose})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                access_request = upgrades.grant_upgrade_request(
                    actor=request.user, grant=grant, purpose=form.cleaned_data["purpose"]
                )
            except DomainError as error:
                attach_domain_error(form, error)
            else:
                messages.success(request, "Unmasked access requested. The approvers have been told.")
                return redirect(access_request.get_absolute_url())
        status = 400
    return render(request, "products/access/grant_upgrade.html", {"form": form, "grant": grant}, status=status)


def _visible_request(request, pk: int) -> AccessRequest:
    try:
        return selectors.access_request_get(user=request.user, pk=pk)
    except AccessRequest.DoesNotExist:
        raise Http404("No such request") from None


@login_required
def access_request_detail(request, pk: int):
    access_request = _visible_request(request, pk)
    return render(
        request,
        "products/access/accessrequest_detail.html",
        {
            "access_request": access_request,
            "can_decide": access_request.status == AccessRequest.Status.PENDING
            and permissions.can_decide_access_request(request.user, access_request),
            "waiting_for": list(permissions.access_request_approvers(access_request)),
            "can_withdraw": access_request.status == AccessRequest.Status.PENDING
            and permissions.can_withdraw_access_request(request.user, access_request),
            "decision_form": AccessDecisionForm(),
            "grant": AccessGrant.objects.filter(request=access_request).first(),
        },
    )


def _decide(request, pk: int, service, done: str):
    access_request = _visible_request(request, pk)
    form = AccessDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        service(actor=request.user, access_request=access_request, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(access_request.get_absolute_url())


@login_required
@require_POST
def access_request_approve(request, pk: int):
    return _decide(request, pk, services.access_request_approve, "Approved.")


@login_required
@require_POST
def access_request_reject(request, pk: int):
    return _decide(request, pk, services.access_request_reject, "Rejected; the requester has been told.")


@login_required
@require_POST
def access_request_withdraw(request, pk: int):
    access_request = _visible_request(request, pk)
    try:
        services.access_request_withdraw(actor=request.user, access_request=access_request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("products:my-access")


@login_required
@require_POST
def grant_revoke(request, pk: int):
    try:
        grant = selectors.grant_get(user=request.user, pk=pk)
    except AccessGrant.DoesNotExist:
        raise Http404("No such grant") from None
    form = GrantRevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.grant_revoke(actor=request.user, grant=grant, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Access of {grant.user.username} revoked.")
    return redirect(grant.port.product.get_absolute_url() + "#access")


def _query_params(request) -> dict:
    return {
        "ordering": request.GET.get("ordering", "")[:64],
        "where": request.GET.get("where", "")[:64],
        "value": request.GET.get("value", "")[:500],
    }


def _no_data_access(request, port: OutputPort):
    return render(
        request,
        "products/access/port_no_data.html",
        {"port": port, "can_request": permissions.can_request_access(request.user, port)},
        status=403,
    )


@login_required
def port_preview(request, domain: str, slug: str, port_id: int):
    port = _port_of_product(request, domain, slug, port_id)
    params = _query_params(request)
    context = {"port": port, "params": params, "data": None, "error": ""}
    status = 200
    try:
        context["data"] = selectors.port_data_read(user=request.user, port=port, limit=PREVIEW_ROWS, **params)
        if context["data"].masked:
            context["why_masked"] = selectors.masking_reason(user=request.user, port=port)
    except permissions.PortGone as gone:
        return _port_gone(request, port, gone)
    except PermissionDenied:
        return _no_data_access(request, port)
    except DomainError as error:
        context["error"], status = error.message, 400
    except PortNotWired as error:
        context["error"], status = str(error), 409
    except WarehouseError as error:
        context["error"], status = f"The warehouse could not answer: {error}", 503
    return render(request, "products/access/port_preview.html", context, status=status)


@login_required
def port_export(request, domain: str, slug: str, port_id: int):
    port = _port_of_product(request, domain, slug, port_id)
    try:
        data = selectors.port_data_read(user=request.user, port=port, limit=EXPORT_ROWS, **_query_params(request))
    except permissions.PortGone as gone:
        return _port_gone(request, port, gone)
    except PermissionDenied:
        return _no_data_access(request, port)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    except PortNotWired as error:
        return HttpResponse(str(error), status=409, content_type="text/plain; charset=utf-8")
    except WarehouseError as error:
        return HttpResponse(f"The warehouse could not answer: {error}", status=503, content_type="text/plain")
    response = csv_response(f"{port.product.slug}-{port.name}.csv", data.columns, data.rows)
    audit_record(actor=request.user, action="port.export", target=port.product, data={"port": port.pk})
    return response


@login_required
def clearance_list(request):
    """The data-protection group's register of clearances: who holds which, until when; grant and revoke."""
    if not permissions.can_manage_clearances(request.user):
        raise PermissionDenied("Only the data-protection group manages clearances.")
    form = ClearanceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                clearance = clearances.clearance_grant(
                    actor=request.user,
                    username=data["user"],
                    kind=data["kind"],
                    expires_at=data["expires_at"],
                    note=data["note"],
                )
            except DomainError as error:
                attach_domain_error(form, error)
            else:
                messages.success(request, f"Recorded: {clearance}.")
                return redirect("products:clearance-list")
        status = 400
    context = {"form": form, "clearances": list(selectors.clearances_visible(user=request.user)[:500])}
    return render(request, "products/access/clearance_list.html", context, status=status)


@login_required
@require_POST
def clearance_revoke(request, pk: int):
    if not permissions.can_manage_clearances(request.user):
        raise PermissionDenied("Only the data-protection group manages clearances.")
    try:
        clearance = selectors.clearances_visible(user=request.user).get(pk=pk)
    except Clearance.DoesNotExist:
        raise Http404("No such clearance") from None
    clearances.clearance_revoke(actor=request.user, clearance=clearance, reason=request.POST.get("reason", "")[:300])
    messages.success(request, f"Revoked: {clearance.user.username}'s {clearance.get_kind_display()}.")
    return redirect("products:clearance-list")
