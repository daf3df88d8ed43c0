"""Team pages: my teams, a team with its members and products; owners manage members; product hand-over."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from products import permissions, services
from products.models import Team
from products.teams import selectors
from products.teams import services as team_services
from products.teams.forms import MemberAddForm, MemberRoleForm, ProductTransferForm
from products.views import visible_product_or_404


def _team_or_404(slug: str) -> Team:
    try:
        return selectors.team_get(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No such team") from None


def _managed_team(request, slug: str) -> Team:
    team = _team_or_404(slug)
    if not permissions.can_manage_team(request.user, team):
        raise PermissionDenied(team_services.NOT_OWNER)
    return team


def _member_or_404(team: Team, user_id: int):
    user = get_user_model().objects.filter(pk=user_id, memberships__team=team).first()
    if user is None:
        raise Http404("No such member")
    return user


@login_required
def team_list(request):
    return render(
        request,
        "products/teams/team_list.html",
        {"mine": list(selectors.my_teams(user=request.user)), "others": list(selectors.other_teams(user=request.user))},
    )


def _detail(request, team: Team, add_form=None, status: int = 200):
    can_manage = permissions.can_manage_team(request.user, team)
    context = {
        "team": team,
        "members": selectors.team_members(team=team),
        "products": selectors.team_products(user=request.user, team=team),
        "can_manage": can_manage,
        "add_form": add_form or (MemberAddForm() if can_manage else None),
        "roles": team.memberships.model.Role.choices,
    }
    return render(request, "products/teams/team_detail.html", context, status=status)


@login_required
def team_detail(request, slug: str):
    return _detail(request, _team_or_404(slug))


@login_required
@require_POST
def member_add(request, slug: str):
    team = _managed_team(request, slug)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            user = team_services.user_by_username(form.cleaned_data["username"])
            team_services.membership_add(actor=request.user, team=team, user=user, role=form.cleaned_data["role"])
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"{user.username} joined {team} as {form.cleaned_data['role']}.")
            return redirect("products:team-detail", slug=team.slug)
    return _detail(request, team, add_form=form, status=200)


@login_required
@require_POST
def member_role(request, slug: str, user_id: int):
    team = _managed_team(request, slug)
    user = _member_or_404(team, user_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            team_services.membership_role_set(actor=request.user, team=team, user=user, role=form.cleaned_data["role"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
    return redirect("products:team-detail", slug=team.slug)


@login_required
@require_POST
def member_remove(request, slug: str, user_id: int):
    team = _managed_team(request, slug)
    user = _member_or_404(team, user_id)
    try:
        team_services.membership_remove(actor=request.user, team=team, user=user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{user.username} left {team}.")
    return redirect("products:team-detail", slug=team.slug)


@login_required
def product_transfer(request, domain: str, slug: str):
    product = visible_product_or_404(request, domain, slug)
    if not permissions.can_transfer_product(request.user, product):
        raise PermissionDenied("Only an owner of the owning team hands a product on.")
    form = ProductTransferForm(request.POST or None, targets=selectors.transfer_targets(product=product))
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_transfer(
                actor=request.user,
                product=product,
                team=form.cleaned_data["team"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"{product.name} now belongs to {product.owner_team}.")
            return redirect(product.get_absolute_url())
    return render(request, "products/teams/product_transfer.html", {"product": product, "form": form})
