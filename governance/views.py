from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance import permissions, selectors, services
from governance import seats as seat_services
from governance.filters import ProposalFilter
from governance.forms import CommentForm, OpenForm, ProposalForm, SeatAssignForm, SeatDelegateForm, VoteForm
from governance.models import Council, Proposal, Seat, Standard
from portal.csv_safe import attachment_header, csv_response
from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from portal.pagination import paginate
from products.teams import services as team_services

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
        council_seats = selectors.council_seats(user=request.user, council=council)
        can_manage = permissions.can_manage_seats(request.user, council)
        context.update(
            seats=council_seats,
            can_manage_seats=can_manage,
            assign_form=SeatAssignForm() if can_manage else None,
            delegate_form=SeatDelegateForm() if can_manage else None,
            open_proposals=list(
                selectors.proposal_list(user=request.user, council=council, status=Proposal.Status.OPEN)[:50]
            ),
            is_member=any(seat.voter_id == request.user.pk for seat in council_seats),
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


def _log_council(request, council_pk: int) -> Council:
    council = get_object_or_404(Council, pk=council_pk)
    if not permissions.can_export_decision_log(request.user, council):
        raise PermissionDenied
    return council


def _log_rows(request, council: Council):
    """The decision log's rows, one per audit event, as the ``LOG_COLUMNS`` of the CSV and JSON exports."""
    for event in selectors.decision_log(user=request.user, council=council).iterator(chunk_size=500):
        yield {
            "at": event.at.isoformat(),
            "actor": event.actor.username if event.actor else "system",
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "target": event.target_label,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "comment": event.comment,
        }


@login_required
def decision_log_csv(request, council_pk: int):
    council = _log_council(request, council_pk)
    rows = ([row[column] for column in LOG_COLUMNS] for row in _log_rows(request, council))
    return csv_response(f"decision-log-council-{council.pk}.csv", LOG_COLUMNS, rows)


@login_required
def decision_log_json(request, council_pk: int):
    council = _log_council(request, council_pk)
    rows = list(_log_rows(request, council))
    response = JsonResponse({"council": council.name, "decisions": rows}, json_dumps_params={"indent": 1})
    response["Content-Disposition"] = attachment_header(f"decision-log-council-{council.pk}.json")
    return response


def _managed_seat(request, pk: int) -> Seat:
    seat = get_object_or_404(Seat.objects.select_related("council"), pk=pk)
    if not permissions.can_manage_seats(request.user, seat.council):
        raise PermissionDenied(seat_services.NOT_CHAIR)
    return seat


def _seat_change(request, pk: int, change) -> HttpResponseRedirect:
    """Run ``change(seat, form_data)`` for the chair and come back to the seats with what happened."""
    seat = _managed_seat(request, pk)
    try:
        message = change(seat)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect(reverse("governance:council-detail") + "#seats")


def _person(form_class, request):
    form = form_class(request.POST)
    if not form.is_valid():
        raise DomainError(form_errors_text(form))
    return team_services.user_by_username(form.cleaned_data["username"]), form.cleaned_data


@login_required
@require_POST
def seat_assign(request, pk: int):
    def change(seat):
        user, _data = _person(SeatAssignForm, request)
        seat_services.seat_assign(actor=request.user, seat=seat, user=user)
        return f"{user.username} holds the {seat.label} seat."

    return _seat_change(request, pk, change)


@login_required
@require_POST
def seat_vacate(request, pk: int):
    def change(seat):
        seat_services.seat_vacate(actor=request.user, seat=seat)
        return f"The {seat.label} seat is vacant."

    return _seat_change(request, pk, change)


@login_required
@require_POST
def seat_delegate(request, pk: int):
    def change(seat):
        user, data = _person(SeatDelegateForm, request)
        seat_services.seat_delegate(actor=request.user, seat=seat, substitute=user, until=data["until"])
        return f"{user.username} votes for the {seat.label} seat until {data['until']:%Y-%m-%d}."

    return _seat_change(request, pk, change)


@login_required
@require_POST
def seat_delegation_end(request, pk: int):
    def change(seat):
        seat_services.seat_delegation_end(actor=request.user, seat=seat)
        return f"The {seat.label} seat's holder votes again."

    return _seat_change(request, pk, change)
