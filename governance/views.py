import csv
from datetime import UTC

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance import permissions, selectors, services
from governance.filters import ProposalFilter
from governance.forms import CommentForm, OpenForm, ProposalForm, VoteForm
from governance.models import Council, Proposal, Standard
from portal.errors import DomainError
from portal.forms import attach_domain_error
from portal.pagination import paginate

PAGE_SIZE = 20
LOG_COLUMNS = ["at", "actor", "action", "target_type", "target_id", "target", "from_state", "to_state", "comment"]


def _visible_proposal(request, pk: int) -> Proposal:
    try:
        return selectors.proposal_get(user=request.user, pk=pk)
    except Proposal.DoesNotExist:
        raise Http404("No such proposal") from None


@login_required
def council_detail(request):
    council = selectors.council_default()
    context = {"council": council}
    if council is not None:
        seats = selectors.council_seats(user=request.user, council=council)
        context.update(
            seats=seats,
            open_proposals=list(selectors.proposal_list(user=request.user, council=council, status="open")[:50]),
            is_member=any(seat.holder_id == request.user.pk for seat in seats),
            can_propose=permissions.can_create_proposal(request.user, council),
            standards_in_force=selectors.standard_list(user=request.user).filter(council=council).count(),
        )
    return render(request, "governance/council_detail.html", context)


@login_required
def proposal_list(request):
    filterset = ProposalFilter(request.GET or None, queryset=selectors.proposal_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = paginate(queryset, request.GET.get("page"), PAGE_SIZE)
    council = selectors.council_default()
    return render(
        request,
        "governance/proposal_list.html",
        {
            "filter": filterset,
            "page": page,
            "can_propose": council is not None and permissions.can_create_proposal(request.user, council),
        },
    )


def _detail_context(request, proposal: Proposal, vote_form=None, vote_error: str = "") -> dict:
    seats = list(permissions.seats_user_holds(request.user, proposal.council))
    seat_ids = {seat.pk for seat in seats}
    votes = list(proposal.votes.all())
    my_votes = [vote for vote in votes if vote.seat_id in seat_ids]
    initial = {"choice": my_votes[0].choice, "rationale": my_votes[0].rationale} if my_votes else None
    return {
        "proposal": proposal,
        "tally": services.proposal_tally(proposal),
        "votes": votes,
        "my_votes": my_votes,
        "my_seats": seats,
        "vote_form": vote_form or VoteForm(initial=initial, seats=seats),
        "vote_error": vote_error,
        "voting_open": proposal.voting_is_open(),
        "can_vote": bool(seats) and proposal.voting_is_open(),
        "can_edit": permissions.can_edit_proposal(request.user, proposal),
        "can_open": proposal.status == Proposal.Status.DRAFT and permissions.can_open_proposal(request.user, proposal),
        "can_close": proposal.status == Proposal.Status.OPEN and permissions.can_close_proposal(request.user, proposal),
        "can_withdraw": proposal.status in (Proposal.Status.DRAFT, Proposal.Status.OPEN)
        and permissions.can_withdraw_proposal(request.user, proposal),
        "can_comment": not proposal.is_closed and permissions.can_comment(request.user, proposal),
        "open_form": OpenForm(),
        "comment_form": CommentForm(),
        "standard": getattr(proposal, "adopted_standard", None),
    }


@login_required
def proposal_detail(request, pk: int):
    proposal = _visible_proposal(request, pk)
    return render(request, "governance/proposal_detail.html", _detail_context(request, proposal))


@login_required
def proposal_create(request):
    form = ProposalForm(request.POST or None, user=request.user)
    if not form.fields["council"].queryset.exists():
        raise PermissionDenied("Only council members draft proposals.")
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(
                actor=request.user, council=form.cleaned_data["council"], **form.service_kwargs()
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Draft saved. The chair opens voting when it is ready.")
            return redirect(proposal.get_absolute_url())
    return render(request, "governance/proposal_form.html", {"form": form, "creating": True})


@login_required
def proposal_edit(request, pk: int):
    proposal = _visible_proposal(request, pk)
    if not permissions.can_edit_proposal(request.user, proposal):
        raise PermissionDenied("Only the author edits a draft.")
    form = ProposalForm(request.POST or None, instance=proposal, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_update(actor=request.user, proposal=proposal, **form.service_kwargs())
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect(proposal.get_absolute_url())
    return render(request, "governance/proposal_form.html", {"form": form, "proposal": proposal, "creating": False})


def _transition(request, pk: int, run, success: str):
    proposal = _visible_proposal(request, pk)
    try:
        run(proposal)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(proposal.get_absolute_url())


@login_required
@require_POST
def proposal_open(request, pk: int):
    form = OpenForm(request.POST)
    deadline = form.cleaned_data["deadline"] if form.is_valid() else None
    return _transition(
        request,
        pk,
        lambda proposal: services.proposal_open(actor=request.user, proposal=proposal, deadline=deadline),
        "Voting is open. Seat holders have been notified.",
    )


@login_required
@require_POST
def proposal_close(request, pk: int):
    return _transition(
        request, pk, lambda proposal: services.proposal_close(proposal.pk, actor=request.user), "Voting closed."
    )


@login_required
@require_POST
def proposal_withdraw(request, pk: int):
    return _transition(
        request,
        pk,
        lambda proposal: services.proposal_withdraw(actor=request.user, proposal=proposal),
        "Proposal withdrawn.",
    )


@login_required
@require_POST
def proposal_vote(request, pk: int):
    """Cast or change a vote. With htmx the tally panel is swapped in place; without it, a redirect."""
    proposal = _visible_proposal(request, pk)
    seats = list(permissions.seats_user_holds(request.user, proposal.council))
    if not seats:
        raise PermissionDenied("Only seat holders vote.")
    form = VoteForm(request.POST, seats=seats)
    error = ""
    if form.is_valid():
        try:
            services.vote_cast(actor=request.user, proposal=proposal, **form.cleaned_data)
        except DomainError as exc:
            error = exc.message
    else:
        error = "; ".join(" ".join(errors) for errors in form.errors.values())
    if request.htmx:
        proposal = _visible_proposal(request, pk)
        context = _detail_context(request, proposal, vote_error=error)
        context["vote_saved"] = not error
        return render(request, "governance/_proposal_voting.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Your vote is recorded. You may change it until voting closes.")
    return redirect(proposal.get_absolute_url() + "#voting")


@login_required
@require_POST
def proposal_comment(request, pk: int):
    proposal = _visible_proposal(request, pk)
    if not permissions.can_comment(request.user, proposal):
        raise PermissionDenied("Only council members comment.")
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(actor=request.user, proposal=proposal, body=form.cleaned_data["body"])
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Write something first.")
    return redirect(proposal.get_absolute_url() + "#discussion")


@login_required
def standard_list(request):
    page = paginate(selectors.standard_list(user=request.user), request.GET.get("page"), PAGE_SIZE)
    return render(request, "governance/standard_list.html", {"page": page})


@login_required
def standard_detail(request, code: str):
    versions = selectors.standard_versions(user=request.user, code=code)
    if not versions:
        raise Http404("No such standard")
    current = next((version for version in versions if version.status == Standard.Status.IN_FORCE), versions[0])
    return render(request, "governance/standard_detail.html", {"versions": versions, "current": current})


def _log_rows(request, council_pk: int):
    council = get_object_or_404(Council, pk=council_pk)
    if not permissions.can_export_decision_log(request.user, council):
        raise PermissionDenied
    for event in selectors.decision_log(user=request.user, council=council).iterator(chunk_size=500):
        yield (
            council,
            {
                "at": event.at.isoformat(),
                "actor": event.actor.username if event.actor else "system",
                "action": event.action,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "target": event.target_label,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "comment": event.comment,
            },
        )


@login_required
def decision_log_csv(request, council_pk: int):
    council = get_object_or_404(Council, pk=council_pk)
    if not permissions.can_export_decision_log(request.user, council):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="decision-log-council-{council.pk}.csv"'
    writer = csv.DictWriter(response, fieldnames=LOG_COLUMNS)
    writer.writeheader()
    for _council, row in _log_rows(request, council.pk):
        # Cells starting with a formula character are neutralised for spreadsheets (CSV injection).
        writer.writerow({key: f"'{value}" if str(value)[:1] in "=+-@" else value for key, value in row.items()})
    return response


@login_required
def decision_log_json(request, council_pk: int):
    council = get_object_or_404(Council, pk=council_pk)
    if not permissions.can_export_decision_log(request.user, council):
        raise PermissionDenied
    rows = [row for _council, row in _log_rows(request, council.pk)]
    response = JsonResponse({"council": council.name, "decisions": rows}, json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'attachment; filename="decision-log-council-{council.pk}.json"'
    return response


# --- enforcement ------------------------------------------------------------------------------------------------


@login_required
def compliance_dashboard(request):
    from portal.charts import line_chart
    from products.models import Domain

    domains = selectors.compliance_by_domain(user=request.user)
    trend = selectors.compliance_trend(user=request.user)
    domain_charts = []
    for row in domains[:12]:
        domain = Domain.objects.filter(slug=row["product__domain__slug"]).first()
        points = selectors.compliance_trend(user=request.user, domain=domain)
        if len(points) > 1:
            domain_charts.append((row["product__domain__name"], line_chart(points, title=row["product__domain__name"])))
    return render(
        request,
        "governance/compliance_dashboard.html",
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
    if state not in ("open", "resolved", "all"):
        state = "open"
    page = paginate(selectors.violation_list(user=request.user, state=state), request.GET.get("page"), PAGE_SIZE)
    return render(request, "governance/violation_list.html", {"page": page, "state": state})


@login_required
def waiver_request(request, pk: int):
    from datetime import datetime, time

    from governance.forms import WaiverRequestForm
    from governance.models import Violation

    try:
        violation = selectors.violation_get(user=request.user, pk=pk)
    except Violation.DoesNotExist:
        raise Http404("No such violation") from None
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
    return render(request, "governance/waiver_form.html", {"form": form, "violation": violation})


@login_required
def waiver_list(request):
    from governance.forms import WaiverDecisionForm

    page = paginate(selectors.waiver_list(user=request.user), request.GET.get("page"), PAGE_SIZE)
    for waiver in page.items:
        waiver.may_decide = waiver.status == "requested" and permissions.can_decide_waiver(request.user, waiver)
    return render(request, "governance/waiver_list.html", {"page": page, "decision_form": WaiverDecisionForm()})


@login_required
@require_POST
def waiver_decide(request, pk: int):
    from governance.forms import WaiverDecisionForm
    from governance.models import Waiver

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


@login_required
def enforcement_run_list(request):
    if not permissions.can_view_enforcement_runs(request.user):
        raise PermissionDenied("Only admins and staff watch enforcement runs.")
    page = paginate(selectors.enforcement_run_list(user=request.user), request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "governance/enforcementrun_list.html",
        {"page": page, "can_start": permissions.can_start_enforcement_run(request.user)},
    )


@login_required
def enforcement_run_progress(request, pk: int):
    """The htmx partial of one run's row: polls itself every two seconds while the run is going."""
    from governance.models import EnforcementRun

    if not permissions.can_view_enforcement_runs(request.user):
        raise PermissionDenied("Only admins and staff watch enforcement runs.")
    try:
        run = selectors.enforcement_run_list(user=request.user).get(pk=pk)
    except EnforcementRun.DoesNotExist:
        raise Http404("No such run") from None
    return render(request, "governance/_enforcementrun_row.html", {"run": run})


@login_required
@require_POST
def enforcement_run_start(request):
    if not permissions.can_start_enforcement_run(request.user):
        raise PermissionDenied("Only admins start enforcement runs.")
    run = services.enforcement_run_start(actor=request.user, trigger="manual")
    messages.success(request, f"Enforcement run {run.pk} started: {run.products_total} products.")
    return redirect("governance:enforcement-run-list")
