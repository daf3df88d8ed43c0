from datetime import UTC, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from portal.pagination import paginate
from portal.selectors import audit_history
from products import permissions, selectors, services
from products.filters import ProductFilter
from products.forms import (
    LineageForm,
    OutputPortForm,
    ProductForm,
    SubscribeForm,
    TransitionForm,
    schema_formset,
    schema_rows,
)
from products.lineage_svg import lineage_layout
from products.models import DataProduct, LineageEdge, OutputPort, Subscription

CATALOG_PAGE_SIZE = 20


def visible_product_or_404(request, domain: str, slug: str) -> DataProduct:
    try:
        return selectors.product_get(user=request.user, domain_slug=domain, slug=slug)
    except DataProduct.DoesNotExist:
        raise Http404("No such product") from None


def _editable_product(request, domain: str, slug: str) -> DataProduct:
    product = visible_product_or_404(request, domain, slug)
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
    product = visible_product_or_404(request, domain, slug)
    graph = selectors.lineage_graph(user=request.user, product=product)
    can_edit = permissions.can_edit_product(request.user, product)
    consumers = selectors.product_consumers(product=product)
    context = {
        "product": product,
        "ports": selectors.product_ports(product=product),
        "consumers": consumers,
        "consumer_counts": selectors.product_consumer_counts(
            product=product, subscriptions=len(consumers), graph=graph
        ),
        "lineage": lineage_layout(graph),
        "lineage_graph": graph,
        "history": audit_history(target=product),
        "can_edit": can_edit,
        "can_change_status": permissions.can_change_product_status(request.user, product),
        "can_transfer": permissions.can_transfer_product(request.user, product),
        "transitions": services.PRODUCT_TRANSITIONS.get(product.status, set()),
        "subscribe_form": SubscribeForm(user=request.user),
        "my_subscription": next((sub for sub in consumers if sub.user_id == request.user.pk), None),
        "lineage_form": LineageForm(user=request.user, product=product) if can_edit else None,  # no option list
        "ending_inputs": selectors.inputs_ending_in(graph),
        "ending_input_ports": selectors.input_ports_ending_in(graph),
    }
    return render(request, "products/dataproduct_detail.html", context)


# The panels the product page loads after it shows (each its own request, so the page reads a fixed handful of
# queries whatever the product holds): section id -> the template that fills it.
PRODUCT_PANELS = {
    "glossary": "glossary/_product_terms.html",
    "compliance": "governance/_product_compliance.html",
    "quality": "products/quality/_product_quality.html",
    "contract": "products/contracts/_product_contract.html",
    "access": "products/access/_product_access.html",
}


@login_required
def product_panel(request, domain: str, slug: str, panel: str):
    """One panel of the product page: the bare section for the page's htmx request, or a page of its own for a
    browser without JavaScript (the placeholder links here). Same visibility as the product page."""
    product = visible_product_or_404(request, domain, slug)
    if panel not in PRODUCT_PANELS:
        raise Http404("No such panel")
    body = render_to_string(PRODUCT_PANELS[panel], {"product": product}, request=request)
    if request.htmx:  # an empty answer removes the placeholder: this user has nothing to see in the panel
        response = HttpResponse(body)
    else:
        # A SafeString, rendered above; blank when this user has nothing to see in the panel.
        context = {"product": product, "panel": panel, "panel_body": body if body.strip() else ""}
        response = render(request, "products/product_panel.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
    initial_rows = services.port_columns(port) if port else []
    form = OutputPortForm(request.POST or None, instance=port or OutputPort(product=product))
    formset = schema_formset(request.POST or None, initial=initial_rows)
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
            if port.schema_deferred:
                messages.info(request, f"Port {port.name} saved. {port.schema_deferred['message']}")
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
    product = visible_product_or_404(request, domain, slug)
    if to_status not in DataProduct.Status.values:
        raise Http404("No such status")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(product.get_absolute_url())
    sunset = form.cleaned_data["sunset_at"]
    data = None
    if sunset and to_status == DataProduct.Status.DEPRECATED:
        end_of_day = datetime.combine(sunset, time(23, 59), tzinfo=UTC)
        data = {"sunset_at": end_of_day.isoformat()}
    try:
        services.product_change_status(
            actor=request.user, product=product, to_status=to_status, comment=form.cleaned_data["comment"], data=data
        )
    except DomainError as error:
        if error.details:  # one line per gap, each with what to do and a link to where
            messages.error(request, render_to_string("products/_publish_refusal.html", {"details": error.details}))
        else:
            messages.error(request, error.message)
    else:
        messages.success(request, f"{product.name} is now {DataProduct.Status(to_status).label.lower()}.")
    return redirect(product.get_absolute_url())


@login_required
@require_POST
def subscribe(request, domain: str, slug: str):
    product = visible_product_or_404(request, domain, slug)
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
    product = visible_product_or_404(request, domain, slug)
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


@login_required
def lineage_picker(request, domain: str, slug: str):
    """The lineage form's autocomplete: up to 20 products the user may see whose words match ``q``."""
    product = _editable_product(request, domain, slug)
    candidates = selectors.lineage_candidates(user=request.user, product=product, text=request.GET.get("q", ""))
    return render(request, "products/_lineage_picker.html", {"candidates": candidates, "product": product})
