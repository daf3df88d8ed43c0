from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import attach_domain_error
from portal.pagination import paginate
from products.models import DataProduct
from products.quality import permissions, selectors, services
from products.quality.forms import IngestTokenForm, QualityCheckForm
from products.quality.models import CheckRun
from products.views import visible_product_or_404

QUALITY_RESULTS_PAGE_SIZE = 50


def _quality_product(request, domain: str, slug: str, decide=None) -> DataProduct:
    """The visible product (404 otherwise); with ``decide``, 403 unless that permission function allows."""
    product = visible_product_or_404(request, domain, slug)
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
        "products/quality/quality_detail.html",
        {
            "product": product,
            "checks": selectors.quality_checks_of(user=request.user, product=product),
            "results_page": page,
            "incidents": selectors.quality_incidents_of(product=product),
            "can_manage": permissions.can_manage_quality_checks(request.user, product),
            "can_manage_tokens": permissions.can_manage_ingest_tokens(request.user, product),
        },
    )


def _quality_check_editor(request, product: DataProduct, check):
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
            form.attach_service_error(error)
        else:
            messages.success(request, "Check saved.")
            return redirect("products:quality-detail", domain=product.domain.slug, slug=product.slug)
    return render(
        request, "products/quality/qualitycheck_form.html", {"form": form, "product": product, "check": check}
    )


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
        return render(request, "products/quality/checkrun_progress.html", {"product": product, "run": run})
    messages.success(request, "Checks are running.")
    return redirect(f"{product.get_absolute_url()}#quality")


@login_required
def quality_run_progress(request, domain: str, slug: str, run_id: int):
    product = _quality_product(request, domain, slug)
    try:
        run = selectors.quality_run_get(user=request.user, product=product, pk=run_id)
    except CheckRun.DoesNotExist:
        raise Http404("No such run") from None
    return render(request, "products/quality/checkrun_progress.html", {"product": product, "run": run})


@login_required
def quality_tokens(request, domain: str, slug: str):
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
        "products/quality/ingesttoken_list.html",
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
