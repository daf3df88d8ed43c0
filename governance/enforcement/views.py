from datetime import UTC, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from governance.enforcement import permissions, selectors, services
from governance.enforcement.forms import WaiverDecisionForm, WaiverRequestForm
from governance.enforcement.models import EnforcementRun, Violation, Waiver
from portal.charts import line_chart
from portal.errors import DomainError
from portal.forms import attach_domain_error
from portal.pagination import paginate

PAGE_SIZE = 20


@login_required
def compliance_dashboard(request):
    domains = selectors.compliance_by_domain(user=request.user)
    trend = selectors.compliance_trend(user=request.user)
    charted = domains[:12]
    trends = selectors.compliance_trends_by_domain(
        user=request.user, domain_slugs=[row["product__domain__slug"] for row in charted]
    )
    domain_charts = [
        (row["product__domain__name"], line_chart(points, title=row["product__domain__name"]))
        for row in charted
        if len(points := trends[row["product__domain__slug"]]) > 1
    ]
    return render(
        request,
        "governance/enforcement/compliance_dashboard.html",
        {
            "domains": domains,
            "standards": selectors.compliance_by_standard(user=request.user),
            "trend_chart": line_chart(trend, title="Average compliance score, all domains") if trend else None,
            "domain_charts": domain_charts,
            "last_run": selectors.enforcement_run_list(user=request.user).first()
            if permissions.can_view_enforcement_runs(request.user)
            else None,
        },
    )


@login_required
def violation_list(request):
    state = request.GET.get("state", "open")
    if state not in selectors.VIOLATION_STATES:
        state = "open"
    page = paginate(selectors.violation_list(user=request.user, state=state), request.GET.get("page"), PAGE_SIZE)
    return render(request, "governance/enforcement/violation_list.html", {"page": page, "state": state})


@login_required
def waiver_request(request, pk: int):
    try:
        violation = selectors.violation_get(user=request.user, pk=pk)
    except Violation.DoesNotExist:
        raise Http404("No such violation") from None
    # Checked before the form, so the council (who sees the violation) gets a 403, not a form it cannot send.
    if not permissions.can_request_waiver(request.user, violation.product):
        raise PermissionDenied("Only the product's team asks for a waiver.")
    if violation.is_baseline:
        raise PermissionDenied("The baseline standard cannot be waived.")
    form = WaiverRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expires = datetime.combine(form.cleaned_data["expires_on"], time.min, tzinfo=UTC)
        try:
            services.waiver_request(
                actor=request.user,
                product=violation.product,
                standard_code=violation.rule_key,
                reason=form.cleaned_data["reason"],
                expires_at=expires,
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Waiver requested. The council chair decides it.")
            return redirect("governance:waiver-list")
    return render(request, "governance/enforcement/waiver_form.html", {"form": form, "violation": violation})


@login_required
def waiver_list(request):
    page = paginate(selectors.waiver_list(user=request.user), request.GET.get("page"), PAGE_SIZE)
    for waiver in page.items:
        waiver.may_decide = waiver.status == Waiver.Status.REQUESTED and permissions.can_decide_waiver(
            request.user, waiver
        )
    return render(
        request, "governance/enforcement/waiver_list.html", {"page": page, "decision_form": WaiverDecisionForm()}
    )


@login_required
@require_POST
def waiver_decide(request, pk: int):
    try:
        waiver = selectors.waiver_list(user=request.user).get(pk=pk)
    except Waiver.DoesNotExist:
        raise Http404("No such waiver") from None
    if not permissions.can_decide_waiver(request.user, waiver):
        raise PermissionDenied("Only the council chair decides waivers.")
    form = WaiverDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect("governance:waiver-list")
    try:
        services.waiver_decide(
            actor=request.user,
            waiver=waiver,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Waiver {form.cleaned_data['decision']}d.")
    return redirect("governance:waiver-list")


def _require_run_watcher(request) -> None:
    if not permissions.can_view_enforcement_runs(request.user):
        raise PermissionDenied("Only admins and staff watch enforcement runs.")


@login_required
def enforcement_run_list(request):
    _require_run_watcher(request)
    page = paginate(selectors.enforcement_run_list(user=request.user), request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "governance/enforcement/enforcementrun_list.html",
        {"page": page, "can_start": permissions.can_start_enforcement_run(request.user)},
    )


@login_required
def enforcement_run_progress(request, pk: int):
    """The htmx partial of one run's row: polls itself every two seconds while the run is going."""
    _require_run_watcher(request)
    try:
        run = selectors.enforcement_run_list(user=request.user).get(pk=pk)
    except EnforcementRun.DoesNotExist:
        raise Http404("No such run") from None
    return render(request, "governance/enforcement/_enforcementrun_row.html", {"run": run})


@login_required
@require_POST
def enforcement_run_start(request):
    run = services.enforcement_run_start(actor=request.user, trigger=EnforcementRun.Trigger.MANUAL)
    messages.success(request, f"Enforcement run {run.pk} started: {run.products_total} products.")
    return redirect("governance:enforcement-run-list")
