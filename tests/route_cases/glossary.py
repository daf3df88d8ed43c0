"""Glossary routes. ``steward`` stewards the CRM domain; ``member`` (of the CRM team) authored the draft, the term
in review and the pending revision; ``owner`` and ``member`` may link their product's fields. Drafts and terms in
review are invisible (404) to everyone but their author, the domain's stewards and admins."""

from glossary.models import ConflictFinding, Steward, TermLink, TermRelation, TermRevision
from governance.models import Council
from products.models import SchemaField
from tests import factories
from tests.route_cases.base import Case

ADMIN_STEWARD = {"steward": 200, "admin": 200}
ADMIN_STEWARD_REDIRECT = {"steward": 302, "admin": 302}
AUTHOR_STEWARD = {"member": 200, "steward": 200, "admin": 200}
AUTHOR_STEWARD_REDIRECT = {"member": 302, "steward": 302, "admin": 302}
TEAM_REDIRECT = {"owner": 302, "member": 302, "admin": 302}
HIDDEN = 404


def build(world) -> None:
    users = world.users
    crm = world.team.domain
    Steward.objects.get_or_create(user=users["steward"], domain=crm)
    Council.objects.get_or_create(name="Data Governance Council")
    author = users["member"]
    world.g_term = factories.TermFactory(name="Customer ID", domain=None, author=author)
    world.g_other = factories.TermFactory(name="Active Customer", domain=None, author=author)
    world.g_revised = factories.TermFactory(name="Revenue", domain=crm, author=author)
    world.g_draft = factories.TermFactory(name="Churn", domain=crm, author=author, status="draft")
    world.g_review = factories.TermFactory(name="Lead", domain=crm, author=author, status="in_review")
    world.g_revision = TermRevision.objects.create(
        term=world.g_revised, name="Revenue", definition="Recognised on invoice.", author=author
    )
    world.g_relation = TermRelation.objects.create(
        source=world.g_term, target=world.g_other, kind="related_to", created_by=users["steward"]
    )
    customer_id = SchemaField.objects.get(port=world.port, name="customer_id")
    world.g_link = TermLink.objects.create(term=world.g_term, field=customer_id)
    world.g_email = SchemaField.objects.get(port=world.port, name="email")
    world.g_finding = ConflictFinding.objects.create(kind="same_name", key="same_name:test", description="Test.")
    # A finding about the team's unpublished draft: stewards outside the team must not learn the draft exists.
    world.g_draft_finding = ConflictFinding.objects.create(
        kind="deprecated_link",
        key="deprecated_link:draft",
        description="sales/churn-scores · scores.score is linked to the deprecated term “Score”.",
        field=SchemaField.objects.get(port=world.draft_port, name="score"),
        product=world.draft,
    )


# Who may see the team's draft product (and so findings about it).
DRAFT_READERS = ("owner", "member", "admin")


def _term(attr: str, suffix: str = ""):
    return lambda w: f"/glossary/terms/{getattr(w, attr).pk}/{suffix}"


def _api(attr: str, suffix: str = ""):
    return lambda w: f"/api/v1/glossary/terms/{getattr(w, attr).pk}/{suffix}"


def _product_link(product_attr: str = "product"):
    return lambda w: f"/glossary/link/{getattr(w, product_attr).domain.slug}/{getattr(w, product_attr).slug}/"


CSV = "name,domain,definition\nSegment,crm,A group of customers.\n"

CASES = [
    # --- Pages ---------------------------------------------------------------------------------------------------
    Case("glossary:term-list", lambda w: "/glossary/?q=customer", 200),
    Case("glossary:term-create", lambda w: "/glossary/new/", 200),
    Case(
        "glossary:term-create",
        lambda w: "/glossary/new/",
        302,
        method="post",
        data={"name": "Basket", "definition": "The items of one order."},
        note="anyone signed in drafts a term",
    ),
    Case("glossary:review-queue", lambda w: "/glossary/review/", 200),
    Case(
        "glossary:conflict-list",
        lambda w: "/glossary/conflicts/",
        403,
        expect=ADMIN_STEWARD,
        secret=lambda w: "churn-scores",
        secret_readers=DRAFT_READERS,
    ),
    Case("glossary:term-import", lambda w: "/glossary/import/", 403, expect=ADMIN_STEWARD),
    Case(
        "glossary:term-import",
        lambda w: "/glossary/import/",
        403,
        method="post",
        data={"good_rows_only": "on"},
        expect=ADMIN_STEWARD,
        note="no file: form error",
    ),
    Case("glossary:term-export", lambda w: "/glossary/export.csv", 200),
    Case("glossary:term-detail", _term("g_term"), 200),
    Case("glossary:term-detail", _term("g_draft"), HIDDEN, expect=AUTHOR_STEWARD, note="draft"),
    Case("glossary:term-detail", _term("g_review"), HIDDEN, expect=AUTHOR_STEWARD, note="in review"),
    Case("glossary:term-edit", _term("g_term", "edit/"), 403, expect=AUTHOR_STEWARD),
    Case("glossary:term-edit", _term("g_draft", "edit/"), HIDDEN, expect=AUTHOR_STEWARD, note="draft"),
    Case(
        "glossary:term-edit",
        _term("g_term", "edit/"),
        403,
        method="post",
        data={"name": "Customer ID", "definition": "The customer key.", "synonyms": "", "abbreviations": "CID"},
        expect=AUTHOR_STEWARD_REDIRECT,
        note="approved term: proposes a revision",
    ),
    Case(
        "glossary:term-transition",
        _term("g_review", "status/approve/"),
        HIDDEN,
        method="post",
        expect=AUTHOR_STEWARD_REDIRECT,
        note="approve (the author is refused with a message)",
    ),
    Case(
        "glossary:term-transition",
        _term("g_term", "status/deprecate/"),
        403,
        method="post",
        expect=ADMIN_STEWARD_REDIRECT,
        note="deprecate",
    ),
    Case(
        "glossary:revision-decide",
        lambda w: f"/glossary/terms/{w.g_revised.pk}/revisions/{w.g_revision.pk}/approve/",
        403,
        method="post",
        expect=AUTHOR_STEWARD_REDIRECT,
        note="the revision's author is refused with a message",
    ),
    Case(
        "glossary:term-escalate",
        _term("g_review", "escalate/"),
        HIDDEN,
        method="post",
        expect={"member": 403, "steward": 302, "admin": 302},
        note="stewards and admins put a term before the council",
    ),
    Case(
        "glossary:relation-add",
        _term("g_term", "relations/"),
        403,
        method="post",
        data=lambda w: {"kind": "differs_from", "target": w.g_revised.pk, "explanation": "Not the same."},
        expect=ADMIN_STEWARD_REDIRECT,
    ),
    Case(
        "glossary:relation-remove",
        lambda w: f"/glossary/terms/{w.g_term.pk}/relations/{w.g_relation.pk}/delete/",
        403,
        method="post",
        expect=ADMIN_STEWARD_REDIRECT,
    ),
    Case(
        "glossary:term-link-field",
        _term("g_term", "link/"),
        403,
        method="post",
        data=lambda w: {"field": w.g_email.pk},
        expect=TEAM_REDIRECT,
    ),
    Case("glossary:product-link", _product_link(), 200),
    Case("glossary:product-link", _product_link("draft"), HIDDEN, expect={"owner": 200, "member": 200, "admin": 200}),
    Case(
        "glossary:product-link",
        _product_link(),
        403,
        method="post",
        data=lambda w: {"field": w.g_email.pk, "term": w.g_term.pk},
        expect=TEAM_REDIRECT,
    ),
    Case(
        "glossary:link-remove",
        lambda w: f"/glossary/links/{w.g_link.pk}/delete/",
        403,
        method="post",
        expect=TEAM_REDIRECT,
    ),
    # --- API -----------------------------------------------------------------------------------------------------
    Case("glossary-term-list", lambda w: "/api/v1/glossary/terms/?status=approved", 200),
    Case(
        "glossary-term-list",
        lambda w: "/api/v1/glossary/terms/",
        201,
        method="post",
        data={"name": "Basket", "definition": "The items of one order.", "status": "approved"},
        note="a draft whatever status is sent",
    ),
    Case("glossary-term-detail", _api("g_term"), 200),
    Case("glossary-term-detail", _api("g_draft"), HIDDEN, expect=AUTHOR_STEWARD, note="draft"),
    Case(
        "glossary-term-detail",
        _api("g_term"),
        403,
        method="patch",
        data={"definition": "The customer key."},
        expect={"member": 202, "steward": 202, "admin": 202},
        note="approved term: a revision",
    ),
    Case("glossary-term-submit", _api("g_draft", "submit/"), HIDDEN, method="post", expect=AUTHOR_STEWARD),
    Case(
        "glossary-term-approve",
        _api("g_review", "approve/"),
        HIDDEN,
        method="post",
        data={},
        expect={"member": 400, "steward": 200, "admin": 200},
        note="self-approval is a 400",
    ),
    Case(
        "glossary-term-return",
        _api("g_review", "return/"),
        HIDDEN,
        method="post",
        data={"comment": "Say which customers."},
        expect={"member": 400, "steward": 200, "admin": 200},
    ),
    Case(
        "glossary-term-deprecate",
        _api("g_term", "deprecate/"),
        403,
        method="post",
        data={},
        expect=ADMIN_STEWARD,
    ),
    Case(
        "glossary-term-escalate",
        _api("g_review", "escalate/"),
        HIDDEN,
        method="post",
        data={},
        expect={"member": 403, "steward": 201, "admin": 201},
    ),
    Case(
        "glossary-term-import",
        lambda w: "/api/v1/glossary/terms/import/",
        403,
        method="post",
        data={"csv": CSV},
        expect=ADMIN_STEWARD,
    ),
    Case("glossary-term-export", lambda w: "/api/v1/glossary/terms/export/", 200),
    Case("glossary-relation-list", lambda w: "/api/v1/glossary/relations/", 200),
    Case(
        "glossary-relation-list",
        lambda w: "/api/v1/glossary/relations/",
        403,
        method="post",
        data=lambda w: {"source": w.g_term.pk, "target": w.g_revised.pk, "kind": "related_to"},
        expect={"steward": 201, "admin": 201},
    ),
    Case("glossary-relation-detail", lambda w: f"/api/v1/glossary/relations/{w.g_relation.pk}/", 200),
    Case(
        "glossary-relation-detail",
        lambda w: f"/api/v1/glossary/relations/{w.g_relation.pk}/",
        403,
        method="delete",
        expect={"steward": 204, "admin": 204},
    ),
    Case("glossary-link-list", lambda w: "/api/v1/glossary/links/", 200),
    Case(
        "glossary-link-list",
        lambda w: "/api/v1/glossary/links/",
        404,
        method="post",
        data=lambda w: {"term": w.g_term.pk, "field": w.g_email.pk},
        expect={"owner": 201, "member": 201, "admin": 201},
        note="a field of someone else's product answers like a missing one",
    ),
    Case("glossary-link-detail", lambda w: f"/api/v1/glossary/links/{w.g_link.pk}/", 200),
    Case(
        "glossary-link-detail",
        lambda w: f"/api/v1/glossary/links/{w.g_link.pk}/",
        403,
        method="delete",
        expect={"owner": 204, "member": 204, "admin": 204},
    ),
    Case(
        "glossary-conflict-list",
        lambda w: "/api/v1/glossary/conflicts/",
        200,
        note="empty for non-stewards",
        secret=lambda w: "churn-scores",
        secret_readers=DRAFT_READERS,
    ),
    Case(
        "glossary-conflict-detail",
        lambda w: f"/api/v1/glossary/conflicts/{w.g_finding.pk}/",
        HIDDEN,
        expect=ADMIN_STEWARD,
    ),
    Case(
        "glossary-conflict-detail",
        lambda w: f"/api/v1/glossary/conflicts/{w.g_draft_finding.pk}/",
        HIDDEN,
        expect={"admin": 200},
        note="about a draft: hidden from stewards outside its team",
    ),
]
