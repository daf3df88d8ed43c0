"""Contract pages: a port's version history with a diff between any two versions, scheduling a change for the end
of the notice period, the declassification review queue, the product's ODCS contracts (read, download, apply with a
dry run first) and the drift check of its tables."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.csv_safe import attachment_header
from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from products import services as catalog
from products.contracts import drift_runs, imports, odcs, permissions, selectors, services, successors
from products.contracts.changes import BREAKING, schema_diff, version_next
from products.contracts.forms import (
    ContractUploadForm,
    DecisionForm,
    DeclassificationRequestForm,
    ScheduleForm,
    SuccessorForm,
    VersionPairForm,
)
from products.contracts.models import Declassification, DriftRun, SchemaVersion
from products.contracts.notice import notice_days
from products.forms import SchemaFieldFormSet, schema_rows
from products.models import OutputPort
from products.views import visible_product_or_404


def _port(request, domain: str, slug: str, port_id: int) -> OutputPort:
    product = visible_product_or_404(request, domain, slug)
    return get_object_or_404(OutputPort.objects.select_related("product__domain"), pk=port_id, product=product)


@login_required
def port_versions(request, domain: str, slug: str, port_id: int):
    port = _port(request, domain, slug, port_id)
    versions = list(selectors.schema_versions(user=request.user, port=port))
    shown = [version for version in versions if version.status != SchemaVersion.Status.CANCELLED]
    initial = {"new": shown[0].pk, "old": shown[1].pk} if len(shown) > 1 else {}
    form = VersionPairForm(request.GET or None, initial=initial, versions=versions)
    diff = None
    if len(versions) > 1:
        pair = form.cleaned_data if form.is_bound and form.is_valid() else initial
        if pair:
            by_id = {version.pk: version for version in versions}
            old, new = by_id[pair["old"]], by_id[pair["new"]]
            diff = {"old": old, "new": new, "changes": schema_diff(old.schema, new.schema)}
    context = {
        "product": port.product,
        "port": port,
        "versions": versions,
        "form": form,
        "diff": diff,
        "can_schedule": permissions.can_schedule_schema_change(request.user, port.product),
        "declassifications": list(selectors.declassification_list(user=request.user).filter(field__port=port)),
        "declassify_form": DeclassificationRequestForm(port=port),
    }
    return render(request, "products/contracts/port_versions.html", context)


@login_required
def port_schedule(request, domain: str, slug: str, port_id: int):
    """The port editor's schema rows, saved as a change that waits for the end of the notice period."""
    port = _port(request, domain, slug, port_id)
    if not permissions.can_schedule_schema_change(request.user, port.product):
        raise PermissionDenied("Only the owning team changes this port.")
    form = ScheduleForm(request.POST or None, initial={"version": version_next(port.version, BREAKING)})
    formset = SchemaFieldFormSet(request.POST or None, initial=catalog.port_columns(port), prefix="fields")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            with transaction.atomic():
                scheduled = services.schema_change_schedule(
                    actor=request.user, port=port, fields=schema_rows(formset), **form.cleaned_data
                )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(
                request,
                f"v{scheduled.version} takes effect on {scheduled.effective_at:%Y-%m-%d}; consumers have been told.",
            )
            return redirect("products:port-versions", domain, slug, port.pk)
    context = {"product": port.product, "port": port, "form": form, "formset": formset, "notice_days": notice_days()}
    return render(request, "products/contracts/port_schedule.html", context)


@login_required
def port_successor(request, domain: str, slug: str, port_id: int):
    """Publish a breaking schema at once as a new port; the old port is deprecated until its sunset."""
    port = _port(request, domain, slug, port_id)
    if not permissions.can_publish_successor(request.user, port.product):
        raise PermissionDenied("Only the owning team supersedes this port.")
    form = SuccessorForm(request.POST or None, initial=successors.successor_defaults(port))
    formset = SchemaFieldFormSet(request.POST or None, initial=catalog.port_columns(port), prefix="fields")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            successor = successors.port_successor_publish(
                actor=request.user, port=port, fields=schema_rows(formset), **form.cleaned_data
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            port.refresh_from_db()
            messages.success(
                request,
                f"{successor.name} v{successor.version} is published. {port.name} is deprecated until "
                f"{port.sunset_at:%Y-%m-%d}; its consumers have been told.",
            )
            return redirect(port.product.get_absolute_url() + "#schema")
    context = {"product": port.product, "port": port, "form": form, "formset": formset, "notice_days": notice_days()}
    return render(request, "products/contracts/port_successor.html", context)


@login_required
@require_POST
def schema_change_cancel(request, pk: int):
    version = get_object_or_404(
        SchemaVersion.objects.visible_to(request.user).select_related("port__product__domain"), pk=pk
    )
    try:
        services.schema_change_cancel(actor=request.user, version=version)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The change to v{version.version} is cancelled; it will not take effect.")
    product = version.port.product
    return redirect("products:port-versions", product.domain.slug, product.slug, version.port_id)


@login_required
@require_POST
def declassification_request(request, domain: str, slug: str, port_id: int):
    port = _port(request, domain, slug, port_id)
    form = DeclassificationRequestForm(request.POST, port=port)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            services.declassification_request(
                actor=request.user,
                field=form.cleaned_data["field"],
                to_classification=form.cleaned_data["to_classification"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Asked for review. The column stays masked until a reviewer approves.")
    return redirect("products:port-versions", domain, slug, port.pk)


@login_required
def declassification_list(request):
    status = request.GET.get("status", Declassification.Status.PENDING)
    if status not in Declassification.Status.values and status != "all":
        raise Http404("No such status")
    rows = list(selectors.declassification_list(user=request.user, status=None if status == "all" else status)[:200])
    for row in rows:
        row.can_withdraw = row.requested_by_id == request.user.pk
    context = {"rows": rows, "status": status, "statuses": Declassification.Status.choices}
    return render(request, "products/contracts/declassification_list.html", context)


def _declassification(request, pk: int) -> Declassification:
    return get_object_or_404(
        Declassification.objects.visible_to(request.user).select_related("field__port__product"), pk=pk
    )


@login_required
@require_POST
def declassification_decide(request, pk: int, decision: str):
    if decision not in ("approve", "reject", "withdraw"):
        raise Http404("No such decision")
    declassification = _declassification(request, pk)
    form = DecisionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if decision == "withdraw":
            services.declassification_withdraw(actor=request.user, declassification=declassification)
        else:
            services.declassification_decide(
                actor=request.user, declassification=declassification, approve=decision == "approve", comment=comment
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, {"approve": "Approved.", "reject": "Rejected.", "withdraw": "Withdrawn."}[decision])
    return redirect("products:declassification-list")


# --- ODCS contracts ----------------------------------------------------------------------------------------------

CONTRACT_FORMATS = ("yaml", "json")


def _contract_response(documents: list[dict], fmt: str, filename: str, *, single: bool):
    if fmt not in CONTRACT_FORMATS:
        raise Http404("No such format")
    if fmt == "json":
        response = JsonResponse(documents[0] if single else documents, safe=False, json_dumps_params={"indent": 2})
    else:
        response = HttpResponse(odcs.contract_yaml(documents), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = attachment_header(f"{filename}.odcs.{fmt}")
    return response


@login_required
def product_contract(request, domain: str, slug: str):
    """The product's contracts, one per port (read them, download them) and, for its team, the upload."""
    product = visible_product_or_404(request, domain, slug)
    documents = selectors.product_contracts(request.user, product)
    ports = list(product.ports.order_by("name", "pk"))
    context = {
        "product": product,
        "entries": [
            {"port": port, "yaml": odcs.contract_yaml([document])}
            for port, document in zip(ports, documents, strict=False)
        ],
        "can_apply": permissions.can_apply_contract(request.user, product),
        "form": ContractUploadForm(),
        "schema_version": odcs.schema_version(),
    }
    return render(request, "products/contracts/product_contract.html", context)


@login_required
def product_contract_download(request, domain: str, slug: str, fmt: str):
    """Every port's contract: a YAML stream (one document per port) or a JSON list."""
    product = visible_product_or_404(request, domain, slug)
    documents = selectors.product_contracts(request.user, product)
    return _contract_response(documents, fmt, product.slug, single=False)


@login_required
def port_contract_download(request, domain: str, slug: str, port_id: int, fmt: str):
    port = _port(request, domain, slug, port_id)
    document = selectors.contract_document(request.user, port)
    return _contract_response([document], fmt, f"{port.product.slug}-{port.name}", single=True)


@login_required
def contract_import(request, domain: str, slug: str):
    """Upload a contract: the dry run shows the diff and its classification; "Apply" saves it."""
    product = visible_product_or_404(request, domain, slug)
    if not permissions.can_apply_contract(request.user, product):
        raise PermissionDenied("Only the product's team applies its contracts.")
    form = ContractUploadForm(request.POST or None, request.FILES or None)
    outcomes, errors, text = None, [], ""
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        text = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        applying = "apply" in request.POST
        try:
            outcomes = imports.contracts_apply(actor=request.user, text=text, product=product, dry_run=not applying)
        except odcs.ContractError as error:
            errors = error.errors
        else:
            if applying:
                messages.success(request, f"Applied {len(outcomes)} contract{'s' if len(outcomes) != 1 else ''}.")
                return redirect("products:product-contract", domain, slug)
    context = {
        "product": product,
        "form": form,
        "outcomes": outcomes,
        "errors": errors,
        "text": text,
        "schema_version": odcs.schema_version(),
    }
    return render(request, "products/contracts/contract_import.html", context, status=400 if errors else 200)


# --- drift ---------------------------------------------------------------------------------------------------


@login_required
@require_POST
def drift_check(request, domain: str, slug: str):
    """ "Check now": compare the product's ports with their tables (or join the check going); htmx polls it."""
    product = visible_product_or_404(request, domain, slug)
    if not permissions.can_check_drift(request.user, product):
        raise PermissionDenied("Only the owning team checks its tables.")
    run = drift_runs.drift_run_start(actor=request.user, product=product)
    if request.htmx:
        return render(request, "products/contracts/driftrun_progress.html", {"product": product, "run": run})
    messages.success(request, "The tables are being checked.")
    return redirect(f"{product.get_absolute_url()}#contract")


@login_required
def drift_progress(request, domain: str, slug: str, run_id: int):
    product = visible_product_or_404(request, domain, slug)
    run = get_object_or_404(DriftRun, product=product, pk=run_id)
    return render(request, "products/contracts/driftrun_progress.html", {"product": product, "run": run})
