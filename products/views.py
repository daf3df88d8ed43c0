import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from portal.pagination import paginate
from portal.services import audit_record
from products import permissions, selectors, services
from products.filters import ProductFilter
from products.forms import (
    AccessDecisionForm,
    AccessRequestForm,
    GrantRevokeForm,
    LineageForm,
    OutputPortForm,
    ProductForm,
    SchemaFieldFormSet,
    SubscribeForm,
    TransitionForm,
    schema_rows,
)
from products.lineage_svg import lineage_layout
from products.models import AccessGrant, AccessRequest, DataProduct, LineageEdge, OutputPort, Subscription
from products.warehouse import WarehouseError

CATALOG_PAGE_SIZE = 20


def _visible_product(request, domain: str, slug: str) -> DataProduct:
    try:
        return selectors.product_get(user=request.user, domain_slug=domain, slug=slug)
    except DataProduct.DoesNotExist:
        raise Http404("No such product") from None


def _editable_product(request, domain: str, slug: str) -> DataProduct:
    product = _visible_product(request, domain, slug)
    if not permissions.can_edit_product(request.user, product):
        raise PermissionDenied("Only the owning team edits this product.")
    return product


@login_required
def catalog(request):
    listing = selectors.product_list(user=request.user).defer("documentation")  # rows show the summary only
    filterset = ProductFilter(request.GET or None, queryset=listing)
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = paginate(queryset, request.GET.get("page"), CATALOG_PAGE_SIZE)
    return render(
        request,
        "products/dataproduct_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_create": selectors.teams_of(user=request.user).exists() or request.user.is_superuser,
        },
    )


@login_required
def product_detail(request, domain: str, slug: str):
    product = _visible_product(request, domain, slug)
    graph = selectors.lineage_graph(user=request.user, product=product)
    can_edit = permissions.can_edit_product(request.user, product)
    context = {
        "product": product,
        "ports": selectors.product_ports(product=product),
        "consumers": selectors.product_consumers(product=product),
        "lineage": lineage_layout(graph),
        "lineage_graph": graph,
        "history": selectors.product_history(product=product),
        "can_edit": can_edit,
        "can_change_status": permissions.can_change_product_status(request.user, product),
        "transitions": services.PRODUCT_TRANSITIONS.get(product.status, set()),
        "subscribe_form": SubscribeForm(user=request.user),
        "my_subscription": selectors.product_user_subscription(user=request.user, product=product),
        "lineage_form": LineageForm(user=request.user, product=product) if can_edit else None,
        "inputs": list(product.inputs.select_related("upstream", "upstream__domain")) if can_edit else [],
        **selectors.product_access_tab(user=request.user, product=product),
        **selectors.product_quality_section(user=request.user, product=product),
    }
    return render(request, "products/dataproduct_detail.html", context)


@login_required
def product_create(request):
    form = ProductForm(request.POST or None, user=request.user)
    if not form.fields["owner_team"].queryset.exists():
        raise PermissionDenied("Only members of a domain team create data products.")
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(actor=request.user, **form.service_kwargs())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"{product.name} was created as a draft. Add an output port with its schema.")
            return redirect(product.get_absolute_url())
    return render(request, "products/dataproduct_form.html", {"form": form, "creating": True})


@login_required
def product_edit(request, domain: str, slug: str):
    product = _editable_product(request, domain, slug)
    form = ProductForm(request.POST or None, instance=product, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_update(actor=request.user, product=product, **form.service_kwargs())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(product.get_absolute_url())
    return render(request, "products/dataproduct_form.html", {"form": form, "product": product, "creating": False})


def _port_editor(request, product: DataProduct, port: OutputPort | None):
    initial_rows = [
        {key: getattr(field, key) for key in ("name", "data_type", "description", "nullable", "classification")}
        for field in (port.fields.all() if port else [])
    ]
    form = OutputPortForm(request.POST or None, instance=port or OutputPort(product=product))
    formset = SchemaFieldFormSet(request.POST or None, initial=initial_rows, prefix="fields")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                port = services.port_save(
                    actor=request.user,
                    product=product,
                    port=port,
                    fields=schema_rows(formset),
                    **form.cleaned_data,
                )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"Port {port.name} saved with {port.fields.count()} fields.")
            return redirect(product.get_absolute_url() + "#schema")
    return render(
        request,
        "products/outputport_form.html",
        {"form": form, "formset": formset, "product": product, "port": port},
    )


@login_required
def port_create(request, domain: str, slug: str):
    return _port_editor(request, _editable_product(request, domain, slug), None)


@login_required
def port_edit(request, domain: str, slug: str, port_id: int):
    product = _editable_product(request, domain, slug)
    return _port_editor(request, product, get_object_or_404(OutputPort, pk=port_id, product=product))


@login_required
@require_POST
def port_delete(request, domain: str, slug: str, port_id: int):
    product = _editable_product(request, domain, slug)
    try:
        services.port_delete(actor=request.user, port=get_object_or_404(OutputPort, pk=port_id, product=product))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Port deleted.")
    return redirect(product.get_absolute_url() + "#schema")


@login_required
@require_POST
def product_transition(request, domain: str, slug: str, to_status: str):
    product = _visible_product(request, domain, slug)
    if to_status not in DataProduct.Status.values:
        raise Http404("No such status")
    form = TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        services.product_change_status(actor=request.user, product=product, to_status=to_status, comment=comment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{product.name} is now {DataProduct.Status(to_status).label.lower()}.")
    return redirect(product.get_absolute_url())


@login_required
@require_POST
def subscribe(request, domain: str, slug: str):
    product = _visible_product(request, domain, slug)
    form = SubscribeForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.subscription_create(actor=request.user, product=product, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Subscribed. The owning team can now see you as a consumer.")
    else:
        messages.error(request, form_errors_text(form))
    return redirect(product.get_absolute_url() + "#consumers")


@login_required
@require_POST
def unsubscribe(request, domain: str, slug: str, subscription_id: int):
    product = _visible_product(request, domain, slug)
    subscription = get_object_or_404(Subscription, pk=subscription_id, product=product)
    services.subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, "Subscription removed.")
    return redirect(product.get_absolute_url() + "#consumers")


@login_required
@require_POST
def lineage_add(request, domain: str, slug: str):
    product = _editable_product(request, domain, slug)
    form = LineageForm(request.POST, user=request.user, product=product)
    if form.is_valid():
        try:
            services.lineage_add(actor=request.user, product=product, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Input recorded.")
    else:
        messages.error(request, form_errors_text(form))
    return redirect(product.get_absolute_url() + "#lineage")


@login_required
@require_POST
def lineage_remove(request, domain: str, slug: str, edge_id: int):
    product = _editable_product(request, domain, slug)
    services.lineage_remove(actor=request.user, edge=get_object_or_404(LineageEdge, pk=edge_id, product=product))
    messages.success(request, "Input removed.")
    return redirect(product.get_absolute_url() + "#lineage")


# --- Access to data ------------------------------------------------------------------------------------------

PREVIEW_ROWS = 50
EXPORT_ROWS = 10_000


@login_required
def my_access(request):
    return render(request, "products/access_my.html", selectors.my_access(user=request.user))


def _port_of_product(request, domain: str, slug: str, port_id: int) -> OutputPort:
    """The port, if its product is visible and is the one the URL names (else 404)."""
    try:
        port = selectors.port_for_data(user=request.user, pk=port_id)
    except OutputPort.DoesNotExist:
        raise Http404("No such port") from None
    if port.product.domain.slug != domain or port.product.slug != slug:
        raise Http404("No such port")
    return port


@login_required
def access_request_create(request, domain: str, slug: str, port_id: int):
    port = _port_of_product(request, domain, slug, port_id)
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
    return render(request, "products/access_request_form.html", {"form": form, "port": port, "renewal_of": None})


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
    return render(request, "products/access_request_form.html", {"form": form, "port": grant.port, "renewal_of": grant})


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
        "products/access_request_detail.html",
        {
            "access_request": access_request,
            "can_decide": access_request.status == AccessRequest.Status.PENDING
            and permissions.can_decide_access_request(request.user, access_request),
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
        "products/access_no_data.html",
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
    except PermissionDenied:
        return _no_data_access(request, port)
    except DomainError as error:
        context["error"], status = error.message, 400
    except WarehouseError as error:
        context["error"], status = f"The warehouse could not answer: {error}", 503
    return render(request, "products/access_preview.html", context, status=status)


@login_required
def port_export(request, domain: str, slug: str, port_id: int):
    port = _port_of_product(request, domain, slug, port_id)
    try:
        data = selectors.port_data_read(user=request.user, port=port, limit=EXPORT_ROWS, **_query_params(request))
    except PermissionDenied:
        return _no_data_access(request, port)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    except WarehouseError as error:
        return HttpResponse(f"The warehouse could not answer: {error}", status=503, content_type="text/plain")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{port.product.slug}-{port.name}.csv"'
    writer = csv.writer(response)
    writer.writerow(data.columns)
    writer.writerows(data.rows)
    audit_record(actor=request.user, action="port.export", target=port.product, data={"port": port.pk})
    return response


# --- Quality ------------------------------------------------------------------------------------------------------

QUALITY_RESULTS_PAGE_SIZE = 50


def _quality_product(request, domain: str, slug: str, decide=None) -> DataProduct:
    """The visible product (404 otherwise); with ``decide``, 403 unless that permission function allows."""
    product = _visible_product(request, domain, slug)
    if decide is not None and not decide(request.user, product):
        raise PermissionDenied("Only the owning team manages this product's quality checks.")
    return product


@login_required
def quality_detail(request, domain: str, slug: str):
    product = _quality_product(request, domain, slug)
    page = paginate(
        selectors.quality_results_recent(product=product), request.GET.get("page"), QUALITY_RESULTS_PAGE_SIZE
    )
    return render(
        request,
        "products/quality_detail.html",
        {
            "product": product,
            "checks": selectors.quality_checks_of(user=request.user, product=product),
            "results_page": page,
            "incidents": selectors.quality_incidents_of(product=product),
            "can_manage": permissions.can_manage_quality_checks(request.user, product),
            "can_manage_tokens": permissions.can_manage_ingest_tokens(request.user, product),
            **selectors.product_quality_section(user=request.user, product=product),
        },
    )


def _quality_check_editor(request, product: DataProduct, check):
    from products.forms import QualityCheckForm

    initial = None
    if check is not None:
        initial = {
            "name": check.name,
            "kind": check.kind,
            "port": check.port_id,
            "column": check.column,
            "params": check.params,
            "severity": check.severity,
            "dimension": check.dimension,
            "enabled": check.enabled,
        }
    form = QualityCheckForm(request.POST or None, initial=initial, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.quality_check_save(actor=request.user, product=product, check=check, **form.service_kwargs())
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else "params", error.message)
        else:
            messages.success(request, "Check saved.")
            return redirect("products:quality-detail", domain=product.domain.slug, slug=product.slug)
    return render(request, "products/quality_check_form.html", {"form": form, "product": product, "check": check})


@login_required
def quality_check_create(request, domain: str, slug: str):
    product = _quality_product(request, domain, slug, permissions.can_manage_quality_checks)
    return _quality_check_editor(request, product, None)


@login_required
def quality_check_edit(request, domain: str, slug: str, check_id: int):
    product = _quality_product(request, domain, slug, permissions.can_manage_quality_checks)
    check = get_object_or_404(product.quality_checks, pk=check_id)
    return _quality_check_editor(request, product, check)


@login_required
@require_POST
def quality_check_delete(request, domain: str, slug: str, check_id: int):
    product = _quality_product(request, domain, slug, permissions.can_manage_quality_checks)
    check = get_object_or_404(product.quality_checks, pk=check_id)
    services.quality_check_delete(actor=request.user, check=check)
    messages.success(request, f"Check “{check.name}” deleted.")
    return redirect("products:quality-detail", domain=product.domain.slug, slug=product.slug)


@login_required
@require_POST
def quality_run_create(request, domain: str, slug: str):
    """ "Run checks now": queue a run (or join the one going) and show its progress (htmx polls it)."""
    product = _quality_product(request, domain, slug, permissions.can_run_quality_checks)
    run = services.quality_run_start(actor=request.user, product=product)
    if request.htmx:
        return render(request, "products/quality_run_progress.html", {"product": product, "run": run})
    messages.success(request, "Checks are running.")
    return redirect(f"{product.get_absolute_url()}#quality")


@login_required
def quality_run_progress(request, domain: str, slug: str, run_id: int):
    product = _quality_product(request, domain, slug)
    from products.models import CheckRun

    try:
        run = selectors.quality_run_get(user=request.user, product=product, pk=run_id)
    except CheckRun.DoesNotExist:
        raise Http404("No such run") from None
    return render(request, "products/quality_run_progress.html", {"product": product, "run": run})


@login_required
def quality_tokens(request, domain: str, slug: str):
    from products.forms import IngestTokenForm

    product = _quality_product(request, domain, slug, permissions.can_manage_ingest_tokens)
    form = IngestTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.ingest_token_create(
                actor=request.user, product=product, name=form.cleaned_data["name"]
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            form = IngestTokenForm()
    return render(
        request,
        "products/quality_tokens.html",
        {
            "product": product,
            "form": form,
            "secret": secret,
            "tokens": selectors.ingest_tokens_of(user=request.user, product=product),
        },
    )


@login_required
@require_POST
def quality_token_revoke(request, domain: str, slug: str, token_id: int):
    product = _quality_product(request, domain, slug, permissions.can_manage_ingest_tokens)
    token = get_object_or_404(product.ingest_tokens, pk=token_id)
    services.ingest_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("products:quality-tokens", domain=product.domain.slug, slug=product.slug)
