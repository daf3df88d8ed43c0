from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from glossary import imports, links, permissions, selectors, services, stewards
from glossary.filters import TermFilter
from glossary.forms import ImportForm, RelationForm, StewardAppointForm, TermForm, TransitionForm
from glossary.models import Steward, Term, TermLink, TermRelation, TermRevision
from glossary.relation_svg import relation_layout
from portal.errors import DomainError
from portal.forms import attach_domain_error, form_errors_text
from portal.pagination import paginate
from portal.selectors import audit_history
from products import selectors as product_selectors
from products.models import DataProduct, SchemaField
from products.teams import services as team_services

PAGE_SIZE = 50
LETTERS = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "#"]
TRANSITION_ACTIONS = ("submit", "approve", "return", "deprecate")


def _visible_term(request, pk: int) -> Term:
    try:
        return selectors.term_get(user=request.user, pk=pk)
    except Term.DoesNotExist:
        raise Http404("No such term") from None


def _visible_product(request, domain: str, slug: str) -> DataProduct:
    try:
        return product_selectors.product_get(user=request.user, domain_slug=domain, slug=slug)
    except DataProduct.DoesNotExist:
        raise Http404("No such product") from None


@login_required
def term_list(request):
    filterset = TermFilter(request.GET or None, queryset=selectors.term_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    page = paginate(queryset, request.GET.get("page"), PAGE_SIZE)
    groups: list = []
    for term in page:
        if not groups or groups[-1][0] != term.initial:
            groups.append((term.initial, []))
        groups[-1][1].append(term)
    return render(
        request,
        "glossary/term_list.html",
        {
            "filter": filterset,
            "page": page,
            "groups": groups,
            "letters": LETTERS,
            "can_import": permissions.can_import_terms(request.user),
            "can_view_conflicts": permissions.can_view_conflicts(request.user),
            "my_terms": selectors.my_terms_in_progress(user=request.user, limit=10),
        },
    )


@login_required
def term_create(request):
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.term_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"{term.name} was saved as a draft. Submit it for review when it is ready.")
            return redirect(term.get_absolute_url())
    return render(request, "glossary/term_form.html", {"form": form, "creating": True})


@login_required
def term_detail(request, pk: int):
    term = _visible_term(request, pk)
    user = request.user
    relations = selectors.term_relations(user=user, term=term)
    can_relate = permissions.can_relate_terms(user, term)
    context = {
        "term": term,
        "aliases": list(term.aliases.all()),
        "revision": selectors.term_pending_revision(term=term),
        "relations": relations,
        "graph": relation_layout(term, relations),
        "usage": selectors.term_usage(user=user, term=term),
        "suggestions": selectors.field_suggestions(user=user, term=term),
        "history": audit_history(target=term, limit=30),
        "can_edit": permissions.can_edit_term(user, term),
        "can_submit": term.status == Term.Status.DRAFT and permissions.can_submit_term(user, term),
        "can_review": term.status == Term.Status.IN_REVIEW and permissions.can_review_term(user, term),
        "is_author": term.author_id == user.pk,
        "can_deprecate": term.status == Term.Status.APPROVED and permissions.can_deprecate_term(user, term),
        "can_escalate": (
            permissions.can_escalate_term(user, term)
            and not term.council_proposal_id
            and services.council_for(user) is not None
        ),
        "can_relate": can_relate,
        "relation_form": RelationForm(user=user, term=term) if can_relate else None,
        "replacements": (
            list(Term.objects.filter(status=Term.Status.APPROVED).exclude(pk=term.pk).order_by("name")[:500])
            if term.status == Term.Status.APPROVED
            else []
        ),
    }
    if context["revision"]:
        context["can_review_revision"] = permissions.can_review_revision(user, context["revision"])
    return render(request, "glossary/term_detail.html", context)


@login_required
def term_edit(request, pk: int):
    term = _visible_term(request, pk)
    if not permissions.can_edit_term(request.user, term):
        raise PermissionDenied("You may not edit this term.")
    pending = selectors.term_pending_revision(term=term) if term.status == Term.Status.APPROVED else None
    initial = None
    if pending and pending.author_id == request.user.pk:
        initial = {
            "name": pending.name,
            "definition": pending.definition,
            "examples": pending.examples,
            "synonyms": ", ".join(pending.synonyms),
            "abbreviations": ", ".join(pending.abbreviations),
        }
    form = (
        TermForm(request.POST, term=term)
        if request.method == "POST"
        else TermForm(term=term, **({"initial": initial} if initial else {}))
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.term_update(actor=request.user, term=term, **form.cleaned_data)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            if isinstance(result, TermRevision):
                messages.success(request, "Your revision is waiting for review; the approved text stays in force.")
            else:
                messages.success(request, "Saved.")
            return redirect(term.get_absolute_url())
    return render(
        request, "glossary/term_form.html", {"form": form, "term": term, "creating": False, "pending": pending}
    )


@login_required
@require_POST
def term_transition(request, pk: int, action: str):
    term = _visible_term(request, pk)
    if action not in TRANSITION_ACTIONS:
        raise Http404("No such action")
    form = TransitionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    replaced_by = form.cleaned_data.get("replaced_by") if form.is_valid() else None
    try:
        term = services.term_change_status(
            actor=request.user, term=term, action=action, comment=comment, replaced_by=replaced_by
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{term.name} is now {term.get_status_display().lower()}.")
    return redirect(term.get_absolute_url())


@login_required
@require_POST
def revision_decide(request, pk: int, revision_id: int, decision: str):
    term = _visible_term(request, pk)
    revision = get_object_or_404(TermRevision, pk=revision_id, term=term)
    if decision not in ("approve", "return"):
        raise Http404("No such decision")
    comment = request.POST.get("comment", "")[:2000]
    try:
        if decision == "approve":
            services.revision_approve(actor=request.user, revision=revision, comment=comment)
        else:
            services.revision_return(actor=request.user, revision=revision, comment=comment)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Revision approved." if decision == "approve" else "Revision returned.")
    return redirect(term.get_absolute_url())


@login_required
@require_POST
def term_escalate(request, pk: int):
    term = _visible_term(request, pk)
    try:
        services.term_escalate(actor=request.user, term=term, motivation=request.POST.get("motivation", "")[:5000])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The term is before the council as an “adopt term” proposal.")
    return redirect(term.get_absolute_url())


@login_required
@require_POST
def relation_add(request, pk: int):
    term = _visible_term(request, pk)
    if not permissions.can_relate_terms(request.user, term):
        raise PermissionDenied("Only the term's stewards relate it to other terms.")
    form = RelationForm(request.POST, user=request.user, term=term)
    if form.is_valid():
        try:
            services.relation_add(actor=request.user, source=term, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Relation added.")
    else:
        messages.error(request, form_errors_text(form))
    return redirect(term.get_absolute_url() + "#relations")


@login_required
@require_POST
def relation_remove(request, pk: int, relation_id: int):
    term = _visible_term(request, pk)
    relation = get_object_or_404(TermRelation.objects.select_related("source"), pk=relation_id, source=term)
    services.relation_remove(actor=request.user, relation=relation)
    messages.success(request, "Relation removed.")
    return redirect(term.get_absolute_url() + "#relations")


@login_required
@require_POST
def term_link_field(request, pk: int):
    """Link a suggested field (``field``) to this term, from the term page."""
    term = _visible_term(request, pk)
    field = get_object_or_404(
        SchemaField.objects.select_related("port__product"),
        pk=request.POST.get("field") or 0,
        port__product__in=DataProduct.objects.visible_to(request.user),
    )
    try:
        links.link_field(actor=request.user, term=term, field=field)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{field.name} is linked to {term.name}.")
    return redirect(term.get_absolute_url() + "#usage")


@login_required
def product_link(request, domain: str, slug: str):
    """The product's glossary page: each field with its term and suggestions; owners link and unlink here."""
    product = _visible_product(request, domain, slug)
    if request.method == "POST":
        if not permissions.can_unlink(request.user, product):
            raise PermissionDenied("Only the owning team links its product to terms.")
        term = get_object_or_404(Term.objects.visible_to(request.user), pk=request.POST.get("term") or 0)
        try:
            if request.POST.get("field"):
                field = get_object_or_404(SchemaField, pk=request.POST["field"], port__product=product)
                links.link_field(actor=request.user, term=term, field=field)
                messages.success(request, f"{field.name} is linked to {term.name}.")
            else:
                links.link_product(actor=request.user, term=term, product=product)
                messages.success(request, f"{product.name} is linked to {term.name}.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("glossary:product-link", domain=domain, slug=slug)
    context = {
        "product": product,
        "glossary": selectors.product_terms(user=request.user, product=product),
        "terms": list(selectors.linkable_terms(user=request.user)[:1000]),
    }
    return render(request, "glossary/termlink_product.html", context)


@login_required
@require_POST
def link_remove(request, link_id: int):
    visible = DataProduct.objects.visible_to(request.user)
    link = get_object_or_404(
        TermLink.objects.select_related("product__domain", "field__port__product__domain", "term"),
        pk=link_id,
    )
    product = link.product if link.product_id else link.field.port.product
    if not visible.filter(pk=product.pk).exists():
        raise Http404("No such link")
    links.link_remove(actor=request.user, link=link)
    messages.success(request, f"Link to {link.term.name} removed.")
    return redirect("glossary:product-link", domain=product.domain.slug, slug=product.slug)


@login_required
def review_queue(request):
    return render(
        request,
        "glossary/term_review.html",
        {
            "queue": selectors.review_queue(user=request.user),
            "my_terms": selectors.my_terms_in_progress(user=request.user),
            "is_steward": permissions.is_steward(request.user) or request.user.is_superuser,
        },
    )


@login_required
def conflict_list(request):
    if not permissions.can_view_conflicts(request.user):
        raise PermissionDenied("The conflict list is for glossary stewards.")
    show_resolved = request.GET.get("resolved") == "1"
    page = paginate(
        selectors.conflict_list(user=request.user, include_resolved=show_resolved), request.GET.get("page"), 50
    )
    return render(request, "glossary/conflictfinding_list.html", {"page": page, "show_resolved": show_resolved})


@login_required
def term_import(request):
    if not permissions.can_import_terms(request.user):
        raise PermissionDenied("Only stewards import terms.")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = imports.terms_import(
                actor=request.user,
                data=form.cleaned_data["file"].read(),
                good_rows_only=form.cleaned_data["good_rows_only"],
                submit=form.cleaned_data["submit"],
            )
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            (messages.success if not result.errors else messages.warning)(request, result.summary)
    return render(request, "glossary/term_import.html", {"form": form, "result": result})


@login_required
def term_export(request):
    """The visible terms (with the page's filters) as CSV, in the import's format."""
    filterset = TermFilter(request.GET or None, queryset=selectors.term_list(user=request.user))
    queryset = filterset.qs if filterset.is_bound else filterset.queryset
    return imports.terms_export(queryset[:10000])


def _steward_page(request, form=None, status: int = 200):
    domains = permissions.domains_user_appoints_for(request.user)
    rows = list(Steward.objects.select_related("user", "domain").order_by("domain__name", "user__username"))
    appointable = {domain.pk for domain in domains}
    for row in rows:
        row.removable = request.user.is_superuser or row.domain_id in appointable
    return render(
        request,
        "glossary/steward_list.html",
        {
            "stewards": rows,
            "form": form or (StewardAppointForm(domains=domains) if appointable or request.user.is_superuser else None),
        },
        status=status,
    )


@login_required
def steward_list(request):
    return _steward_page(request)


@login_required
@require_POST
def steward_appoint(request):
    domains = permissions.domains_user_appoints_for(request.user)
    if not domains.exists() and not request.user.is_superuser:
        raise PermissionDenied(stewards.NOT_YOURS)
    form = StewardAppointForm(request.POST, domains=domains)
    if form.is_valid():
        domain = form.cleaned_data["domain"]
        try:
            if domain is None and not permissions.can_appoint_stewards(request.user, None):
                raise DomainError("Pick a domain: admins appoint stewards for every domain.", field="domain")
            user = team_services.user_by_username(form.cleaned_data["username"])
            stewards.steward_appoint(actor=request.user, user=user, domain=domain)
        except DomainError as error:
            attach_domain_error(form, error)
        else:
            messages.success(request, f"{user.username} stewards {domain or 'every domain'}.")
            return redirect("glossary:steward-list")
    return _steward_page(request, form=form)


@login_required
@require_POST
def steward_remove(request, pk: int):
    steward = get_object_or_404(Steward.objects.select_related("user", "domain"), pk=pk)
    stewards.steward_remove(actor=request.user, steward=steward)
    messages.success(request, f"{steward.user.username} no longer stewards {steward.domain or 'every domain'}.")
    return redirect("glossary:steward-list")
