"""Every write to the glossary. Each function runs in one transaction, checks the permission it needs, refuses
illegal moves with a domain error and writes an audit row.

The review lifecycle: draft → in review → approved → deprecated. A steward returns a term in review to draft with
a comment. An approved term is edited through a ``TermRevision`` that goes through the same review while the
approved text stays in force.

A term reaches the council as an "adopt term" proposal (``term_escalate``) and comes back through governance's
signals (``term_adopt_from_proposal``). Term links are in ``glossary.links``, stewards in ``glossary.stewards``,
the CSV import and export in ``glossary.imports``, conflict detection in ``glossary.conflicts``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from glossary import permissions
from glossary.models import (
    Steward,
    Term,
    TermAlias,
    TermRelation,
    TermRevision,
    name_key,
)
from governance import services as governance_services
from governance.models import Proposal
from governance.permissions import councils_user_may_propose_in
from portal.audit_diff import audit_changes, audit_snapshot
from portal.errors import AlreadyExists, DomainError, TransitionNotAllowed, require
from portal.services import audit_record, notify
from products.models import Domain

Status = Term.Status

TERM_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.IN_REVIEW},
    Status.IN_REVIEW: {Status.APPROVED, Status.DRAFT},
    Status.APPROVED: {Status.DEPRECATED},
    Status.DEPRECATED: set(),
}

TERM_EDITABLE_FIELDS = ("name", "definition", "examples")


def _clean_aliases(values) -> list[str]:
    if isinstance(values, str):
        values = values.replace("\n", ",").split(",")
    seen, result = set(), []
    for value in values or []:
        value = (value or "").strip()[:150]
        if value and name_key(value) and name_key(value) not in seen:
            seen.add(name_key(value))
            result.append(value)
    return result


def _aliases_set(term: Term, synonyms, abbreviations) -> None:
    """Make the term's aliases exactly these synonyms and abbreviations."""
    wanted = {}
    for kind, values in ((TermAlias.Kind.ABBREVIATION, abbreviations), (TermAlias.Kind.SYNONYM, synonyms)):
        for value in _clean_aliases(values):
            if name_key(value) != term.name_key:
                wanted[name_key(value)] = (kind, value)
    term.aliases.exclude(name_key__in=list(wanted)).delete()
    existing = {alias.name_key: alias for alias in term.aliases.all()}
    for key, (kind, value) in wanted.items():
        alias = existing.get(key) or TermAlias(term=term)
        if alias.pk and alias.kind == kind and alias.name == value:
            continue
        alias.kind, alias.name = kind, value
        alias.save()


def _check_name_free(name: str, domain: Domain | None, exclude_pk=None) -> None:
    slug = slugify(name)[:160] or "term"
    clash = Term.objects.filter(slug=slug, domain=domain).exclude(pk=exclude_pk)
    if clash.exists():
        where = f"the {domain} domain" if domain else "the enterprise-wide glossary"
        raise AlreadyExists(f"A term named “{name}” already exists in {where}.", field="name")


def _validate_text(name: str, definition: str) -> None:
    if not (name or "").strip():
        raise DomainError("A term needs a name.", field="name")
    if not name_key(name):
        raise DomainError("A term name needs at least one letter or digit.", field="name")
    if not (definition or "").strip():
        raise DomainError("A term needs a definition.", field="definition")


def stewards_for(term: Term):
    """Who is asked to review ``term``: the stewards of its domain. When the domain has none (or the term is
    enterprise-wide), the enterprise-wide stewards, so a term never waits for a reviewer nobody told."""
    users = get_user_model().objects.filter(is_active=True)
    if term.domain_id:
        domain_stewards = users.filter(pk__in=Steward.objects.filter(domain_id=term.domain_id).values("user_id"))
        if domain_stewards.exists():
            return domain_stewards
    return users.filter(pk__in=Steward.objects.filter(domain__isnull=True).values("user_id"))


@transaction.atomic
def term_create(
    *,
    actor,
    name: str,
    definition: str,
    domain: Domain | None = None,
    examples: str = "",
    synonyms=(),
    abbreviations=(),
) -> Term:
    require(permissions.can_create_term(actor), "Sign in to propose a term.")
    name = (name or "").strip()
    _validate_text(name, definition)
    _check_name_free(name, domain)
    term = Term(name=name, definition=definition, domain=domain, examples=examples or "", author=actor)
    try:
        with transaction.atomic():
            term.save()
    except IntegrityError as exc:
        raise AlreadyExists(f"A term named “{name}” already exists there.", field="name") from exc
    _aliases_set(term, synonyms, abbreviations)
    audit_record(actor=actor, action="term.create", target=term, to_state=term.status)
    return term


def _lock(term: Term) -> Term:
    return Term.objects.select_for_update().get(pk=term.pk)


@transaction.atomic
def term_update(*, actor, term: Term, synonyms=None, abbreviations=None, **data):
    """Edit a draft in place, or, for an approved term, propose a revision (returned instead of the term)."""
    term = _lock(term)
    require(permissions.can_edit_term(actor, term), "You may not edit this term.")
    unknown = set(data) - set(TERM_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown term fields: {', '.join(sorted(unknown))}.")
    if term.status == Status.APPROVED:
        return revision_propose(actor=actor, term=term, synonyms=synonyms, abbreviations=abbreviations, **data)
    if term.status != Status.DRAFT:
        raise TransitionNotAllowed(f"A term {term.get_status_display().lower()} cannot be edited.")
    name = (data.get("name", term.name) or "").strip()
    _validate_text(name, data.get("definition", term.definition))
    if name != term.name:
        _check_name_free(name, term.domain, exclude_pk=term.pk)
    before = _term_snapshot(term, data)
    for key, value in data.items():
        setattr(term, key, value.strip() if key == "name" else value)
    term.save()
    if synonyms is not None or abbreviations is not None:
        current = _alias_lists(term)
        _aliases_set(
            term,
            current["synonyms"] if synonyms is None else synonyms,
            current["abbreviations"] if abbreviations is None else abbreviations,
        )
    changes = audit_changes(before, _term_snapshot(term, data))
    audit_record(actor=actor, action="term.update", target=term, data={"changed": sorted(data), "changes": changes})
    return term


def _revision_snapshot(revision: TermRevision) -> dict:
    return audit_snapshot(
        revision,
        TERM_EDITABLE_FIELDS,
        synonyms=", ".join(sorted(revision.synonyms)),
        abbreviations=", ".join(sorted(revision.abbreviations)),
    )


def _term_snapshot(term: Term, data) -> dict:
    aliases = _alias_lists(term)
    return audit_snapshot(
        term,
        data,
        synonyms=", ".join(sorted(aliases["synonyms"])),
        abbreviations=", ".join(sorted(aliases["abbreviations"])),
    )


def _alias_lists(term: Term) -> dict:
    aliases = list(term.aliases.all())
    return {
        "synonyms": [a.name for a in aliases if a.kind == TermAlias.Kind.SYNONYM],
        "abbreviations": [a.name for a in aliases if a.kind == TermAlias.Kind.ABBREVIATION],
    }


def term_transition_check(term: Term, to_status: str) -> None:
    if to_status not in TERM_TRANSITIONS.get(term.status, set()):
        raise TransitionNotAllowed(
            f"A term that is {term.get_status_display().lower()} cannot become {Status(to_status).label.lower()}."
        )


def _move(term: Term, *, actor, to_status: str, comment: str = "", action: str) -> Term:
    term_transition_check(term, to_status)
    from_status = term.status
    term.status = to_status
    term.save()
    audit_record(actor=actor, action=action, target=term, from_state=from_status, to_state=to_status, comment=comment)
    return term


@transaction.atomic
def term_submit(*, actor, term: Term) -> Term:
    term = _lock(term)
    require(permissions.can_submit_term(actor, term), "Only the author or a steward submits this term.")
    term = _move(term, actor=actor, to_status=Status.IN_REVIEW, action="term.submit")
    term.review_comment = ""
    term.save(update_fields=["review_comment", "updated_at"])
    reviewers = [user for user in stewards_for(term) if user.pk != term.author_id]
    notify(
        reviewers,
        kind="glossary.review",
        title=f"Term to review: {term.name} ({term.scope_label})",
        body="A term was submitted for review.",
        url=term.get_absolute_url(),
        dedupe_key=f"glossary:review:{term.pk}:{timezone.now().isoformat()}",
        email=False,
    )
    return term


@transaction.atomic
def term_approve(*, actor, term: Term, comment: str = "") -> Term:
    term = _lock(term)
    if term.author_id == getattr(actor, "pk", None):
        raise DomainError("Nobody approves their own term: another steward must review it.", field="status")
    require(permissions.can_review_term(actor, term), "Only a steward of this term's domain approves it.")
    term_transition_check(term, Status.APPROVED)
    term.approved_by, term.approved_at, term.review_comment = actor, timezone.now(), comment
    term = _move(term, actor=actor, to_status=Status.APPROVED, comment=comment, action="term.approve")
    if term.author_id:
        notify(
            [term.author_id],
            kind="glossary.approved",
            title=f"Your term {term.name} was approved",
            url=term.get_absolute_url(),
            email=False,
        )
    return term


@transaction.atomic
def term_return(*, actor, term: Term, comment: str) -> Term:
    term = _lock(term)
    if term.author_id == getattr(actor, "pk", None):
        raise DomainError("Nobody reviews their own term.", field="status")
    require(permissions.can_review_term(actor, term), "Only a steward of this term's domain reviews it.")
    if not (comment or "").strip():
        raise DomainError("Say what needs to change when returning a term.", field="comment")
    term_transition_check(term, Status.DRAFT)
    term.review_comment = comment
    term = _move(term, actor=actor, to_status=Status.DRAFT, comment=comment, action="term.return")
    if term.author_id:
        notify(
            [term.author_id],
            kind="glossary.returned",
            title=f"Your term {term.name} was returned",
            body=comment,
            url=term.get_absolute_url(),
            email=False,
        )
    return term


@transaction.atomic
def term_deprecate(*, actor, term: Term, replaced_by: Term | None = None, comment: str = "") -> Term:
    term = _lock(term)
    require(permissions.can_deprecate_term(actor, term), "Only a steward deprecates this term.")
    term_transition_check(term, Status.DEPRECATED)
    if replaced_by is not None:
        if replaced_by.pk == term.pk:
            raise DomainError("A term cannot replace itself.", field="replaced_by")
        if replaced_by.status != Status.APPROVED:
            raise DomainError("The replacement must be an approved term.", field="replaced_by")
        term.replaced_by = replaced_by
        TermRelation.objects.get_or_create(
            source=term, target=replaced_by, kind=TermRelation.Kind.REPLACED_BY, defaults={"created_by": actor}
        )
    return _move(term, actor=actor, to_status=Status.DEPRECATED, comment=comment, action="term.deprecate")


def term_change_status(*, actor, term: Term, action: str, comment: str = "", replaced_by=None) -> Term:
    """One door for pages and API: ``action`` is submit, approve, return or deprecate."""
    if action == "submit":
        return term_submit(actor=actor, term=term)
    if action == "approve":
        return term_approve(actor=actor, term=term, comment=comment)
    if action == "return":
        return term_return(actor=actor, term=term, comment=comment)
    if action == "deprecate":
        return term_deprecate(actor=actor, term=term, replaced_by=replaced_by, comment=comment)
    raise DomainError(f"Unknown action “{action}”.", field="status")


# --- Revisions of approved terms --------------------------------------------------------------------------------


@transaction.atomic
def revision_propose(*, actor, term: Term, synonyms=None, abbreviations=None, **data) -> TermRevision:
    """Propose new text for an approved term. One pending revision per term; its author may refine it."""
    term = _lock(term)
    require(permissions.can_edit_term(actor, term), "You may not edit this term.")
    if term.status != Status.APPROVED:
        raise TransitionNotAllowed("Only an approved term is revised; edit a draft directly.")
    pending = term.revisions.select_for_update().filter(status=TermRevision.Status.PENDING).first()
    if pending and pending.author_id != actor.pk:
        raise DomainError(
            "Another revision of this term is waiting for review; it must be decided first.", field="name"
        )
    current = _alias_lists(term)
    name = (data.get("name", term.name) or "").strip()
    definition = data.get("definition", term.definition)
    _validate_text(name, definition)
    if name != term.name:
        _check_name_free(name, term.domain, exclude_pk=term.pk)
    revision = pending or TermRevision(term=term, author=actor)
    revision.name, revision.definition = name, definition
    revision.examples = data.get("examples", term.examples) or ""
    revision.synonyms = _clean_aliases(current["synonyms"] if synonyms is None else synonyms)
    revision.abbreviations = _clean_aliases(current["abbreviations"] if abbreviations is None else abbreviations)
    try:
        with transaction.atomic():
            revision.save()
    except IntegrityError as exc:
        raise DomainError("Another revision of this term is waiting for review.", field="name") from exc
    changes = audit_changes(_term_snapshot(term, TERM_EDITABLE_FIELDS), _revision_snapshot(revision))
    audit_record(
        actor=actor, action="term.revision.propose", target=term, data={"revision": revision.pk, "changes": changes}
    )
    notify(
        [user for user in stewards_for(term) if user.pk != actor.pk],
        kind="glossary.review",
        title=f"Revision to review: {term.name}",
        url=term.get_absolute_url(),
        dedupe_key=f"glossary:revision:{revision.pk}",
        email=False,
    )
    return revision


def _lock_revision(revision: TermRevision) -> TermRevision:
    revision = TermRevision.objects.select_for_update().select_related("term").get(pk=revision.pk)
    if revision.status != TermRevision.Status.PENDING:
        raise TransitionNotAllowed("This revision was already decided.")
    return revision


@transaction.atomic
def revision_approve(*, actor, revision: TermRevision, comment: str = "") -> Term:
    revision = _lock_revision(revision)
    if revision.author_id == getattr(actor, "pk", None):
        raise DomainError("Nobody approves their own revision: another steward must review it.", field="status")
    require(permissions.can_review_revision(actor, revision), "Only a steward of this term's domain approves it.")
    term = _lock(revision.term)
    if term.status != Status.APPROVED:
        raise TransitionNotAllowed("The term is no longer approved; this revision cannot apply.")
    if revision.name != term.name:
        _check_name_free(revision.name, term.domain, exclude_pk=term.pk)
    before = _term_snapshot(term, TERM_EDITABLE_FIELDS)
    term.name, term.definition, term.examples = revision.name, revision.definition, revision.examples
    term.approved_by, term.approved_at = actor, timezone.now()
    term.save()
    _aliases_set(term, revision.synonyms, revision.abbreviations)
    revision.status, revision.reviewer, revision.comment = TermRevision.Status.APPROVED, actor, comment
    revision.decided_at = timezone.now()
    revision.save()
    audit_record(
        actor=actor,
        action="term.revision.approve",
        target=term,
        from_state=TermRevision.Status.PENDING,
        to_state=TermRevision.Status.APPROVED,
        comment=comment,
        data={"revision": revision.pk, "changes": audit_changes(before, _term_snapshot(term, TERM_EDITABLE_FIELDS))},
    )
    return term


@transaction.atomic
def revision_return(*, actor, revision: TermRevision, comment: str) -> TermRevision:
    revision = _lock_revision(revision)
    if revision.author_id == getattr(actor, "pk", None):
        raise DomainError("Nobody reviews their own revision.", field="status")
    require(permissions.can_review_revision(actor, revision), "Only a steward of this term's domain reviews it.")
    if not (comment or "").strip():
        raise DomainError("Say what needs to change when returning a revision.", field="comment")
    revision.status, revision.reviewer, revision.comment = TermRevision.Status.RETURNED, actor, comment
    revision.decided_at = timezone.now()
    revision.save()
    audit_record(
        actor=actor,
        action="term.revision.return",
        target=revision.term,
        from_state=TermRevision.Status.PENDING,
        to_state=TermRevision.Status.RETURNED,
        comment=comment,
        data={"revision": revision.pk},
    )
    return revision


# --- Relations --------------------------------------------------------------------------------------------------


@transaction.atomic
def relation_add(*, actor, source: Term, target: Term, kind: str, explanation: str = "") -> TermRelation:
    source = _lock(source)
    require(permissions.can_relate_terms(actor, source), "Only the term's stewards relate it to other terms.")
    if not permissions.can_view_term(actor, target):
        raise DomainError("No such term.", field="target")
    if kind not in TermRelation.Kind.values:
        raise DomainError(f"Unknown relation kind “{kind}”.", field="kind")
    if source.pk == target.pk:
        raise DomainError("A term cannot be related to itself.", field="target")
    explanation = (explanation or "").strip()
    if kind == TermRelation.Kind.DIFFERS_FROM and not explanation:
        raise DomainError("Explain how the two terms differ.", field="explanation")
    if TermRelation.objects.filter(source=source, target=target, kind=kind).exists():
        raise DomainError("These terms are already related that way.", field="target")
    try:
        with transaction.atomic():
            relation = TermRelation.objects.create(
                source=source, target=target, kind=kind, explanation=explanation, created_by=actor
            )
    except IntegrityError as exc:
        raise DomainError("These terms are already related that way.", field="target") from exc
    audit_record(actor=actor, action="term.relation.add", target=source, data={"kind": kind, "target": target.pk})
    return relation


@transaction.atomic
def relation_remove(*, actor, relation: TermRelation) -> None:
    require(permissions.can_relate_terms(actor, relation.source), "Only the term's stewards remove relations.")
    audit_record(
        actor=actor,
        action="term.relation.remove",
        target=relation.source,
        data={"kind": relation.kind, "target": relation.target_id},
    )
    relation.delete()


# --- Links to the catalog ---------------------------------------------------------------------------------------


# --- Escalation to the council ----------------------------------------------------------------------------------


def council_for(actor):
    """The council ``actor`` may draft an "adopt term" proposal in (governance decides), or ``None``."""
    return councils_user_may_propose_in(actor, kind=Proposal.Kind.ADOPT_TERM).order_by("pk").first()


@transaction.atomic
def term_escalate(*, actor, term: Term, council=None, motivation: str = ""):
    """Hand a term to the council as an "adopt term" proposal; when the council accepts it, the term is approved
    (see ``term_adopt_from_proposal``)."""
    term = _lock(term)
    require(permissions.can_escalate_term(actor, term), "Only the author or a steward escalates this term.")
    if term.council_proposal_id:
        raise DomainError("This term is already before the council.", field="status")
    council = council or council_for(actor)
    if council is None:
        raise PermissionDenied("Only council members escalate terms to the council.")
    proposal = governance_services.proposal_create(
        actor=actor,
        council=council,
        kind=Proposal.Kind.ADOPT_TERM,
        title=f"Adopt the term “{term.name}” ({term.scope_label})",
        motivation=motivation or f"Adopt this definition of {term.name}:\n\n{term.definition}",
        payload={"term_id": term.pk},
    )
    term.council_proposal_id = proposal.pk
    term.save(update_fields=["council_proposal_id", "updated_at"])
    audit_record(actor=actor, action="term.escalate", target=term, data={"proposal": proposal.pk})
    return proposal


@transaction.atomic
def term_adopt_from_proposal(*, proposal, accepted: bool) -> Term | None:
    """The council decided an "adopt term" proposal: approve the term on acceptance; on rejection, send it back
    to draft with the council's outcome as the comment. Safe to call twice."""
    payload = getattr(proposal, "payload", None) or {}
    if getattr(proposal, "kind", "") != Proposal.Kind.ADOPT_TERM or "term_id" not in payload:
        return None
    term = Term.objects.select_for_update().filter(pk=payload["term_id"]).first()
    if term is None:
        return None
    if term.council_proposal_id not in (None, proposal.pk):
        return term  # an older proposal; the term has been escalated again since
    from_status = term.status
    if accepted and term.status in (Status.DRAFT, Status.IN_REVIEW):
        term.status, term.approved_at, term.approved_by = Status.APPROVED, timezone.now(), None
        term.review_comment = "Adopted by the council."
    elif not accepted and term.council_proposal_id == proposal.pk:
        outcome = getattr(proposal, "status", Proposal.Status.REJECTED)
        term.council_proposal_id = None
        if term.status == Status.IN_REVIEW:
            term.status = Status.DRAFT
        term.review_comment = f"The council did not adopt this term (proposal {outcome})."
    else:
        return term
    term.save()
    audit_record(
        actor=None,
        action="term.council.accept" if accepted else "term.council.reject",
        target=term,
        from_state=from_status,
        to_state=term.status,
        data={"proposal": proposal.pk},
    )
    return term
