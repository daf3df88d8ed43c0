"""An edit's history row shows what it changed, before and after: on a product, a glossary term (a draft's edit,
a revision proposed and approved: ``tests/glossary``), a proposal (``tests/governance``) and a quality check (whose
parameters are named, never shown)."""

import pytest

from portal.audit_diff import VALUE_LIMIT, audit_changes, audit_snapshot
from portal.models import AuditEvent
from products import services as product_services
from products.quality import services as quality_services
from tests import factories

pytestmark = pytest.mark.django_db


def audit_changes_of(target, action) -> dict:
    """The ``changes`` of ``target``'s latest ``action`` row, by field."""
    event = AuditEvent.objects.filter(action=action, target_id=str(target.pk)).latest("pk")
    return {change["field"]: change for change in event.data["changes"]}


def test_a_product_edit_keeps_each_changed_field_before_and_after_and_the_page_shows_it(
    client_for, owner, analyst, product
):
    product.summary, product.classification = "Every customer once.", "internal"
    product.save()
    product_services.product_update(
        actor=owner,
        product=product,
        summary="Every customer, once, with consent.",
        classification="confidential",
        name=product.name,
        tags=["crm", "gold"],
    )
    changes = audit_changes_of(product, "product.update")
    assert set(changes) == {"summary", "classification", "tags"}  # the unchanged name is not listed
    assert changes["summary"]["from"] == "Every customer once."
    assert changes["summary"]["to"] == "Every customer, once, with consent."
    assert changes["classification"]["from"] == "Internal" and changes["classification"]["to"] == "Confidential"
    assert changes["tags"] == {"field": "tags", "label": "tags", "from": "", "to": "crm, gold"}

    page = client_for(analyst).get(product.get_absolute_url()).content.decode()
    assert '<ul class="audit-changes small">' in page
    assert "<del>Internal</del>" in page and "<ins>Confidential</ins>" in page
    assert "<ins>Every customer, once, with consent.</ins>" in page


def test_values_are_escaped_on_the_page(client_for, owner, analyst, product):
    product_services.product_update(actor=owner, product=product, summary="<script>alert(1)</script>")
    page = client_for(analyst).get(product.get_absolute_url()).content.decode()
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page
    assert "<script>alert(1)" not in page


def test_an_edit_deep_in_a_long_text_shows_the_place_that_changed():
    before = {"documentation": ("documentation", "intro " * 100 + "old ending")}
    after = {"documentation": ("documentation", "intro " * 100 + "new ending")}
    (change,) = audit_changes(before, after)
    assert change["from"].startswith("…") and change["from"].endswith("old ending")
    assert change["to"].endswith("new ending")
    assert len(change["from"]) <= VALUE_LIMIT and len(change["to"]) <= VALUE_LIMIT


def test_a_snapshot_reads_choices_related_rows_and_structured_values_as_text(product):
    snapshot = audit_snapshot(product, ["owner_team", "classification"], tags="a, b")
    assert snapshot["owner_team"][1] == str(product.owner_team)
    assert snapshot["classification"][1] == product.get_classification_display()
    assert snapshot["tags"] == ("tags", "a, b")


def test_a_quality_checks_parameters_are_named_as_changed_without_their_values(owner, product):
    port = factories.OutputPortFactory(product=product, name="orders")
    factories.SchemaFieldFactory(port=port, name="order_id", data_type="bigint")
    check = quality_services.quality_check_save(
        actor=owner,
        product=product,
        name="rows",
        kind="row_count",
        port=port,
        params={"min_rows": 1},
        severity="warning",
        dimension="coverage",
    )
    created = AuditEvent.objects.filter(action="quality_check.create").latest("pk")
    assert created.data["changes"] == []
    quality_services.quality_check_save(
        actor=owner,
        product=product,
        check=check,
        name="rows",
        kind="row_count",
        port=port,
        params={"min_rows": 50},
        severity="blocker",
        dimension="coverage",
    )
    changes = audit_changes_of(product, "quality_check.update")
    assert changes["params"]["from"] is None and changes["params"]["to"] is None
    assert changes["severity"]["from"] == "Warning" and changes["severity"]["to"] == "Blocker"
    event = AuditEvent.objects.filter(action="quality_check.update").latest("pk")
    assert "50" not in str(event.data["changes"])


def test_rows_written_before_changes_were_kept_still_render(client_for, analyst, product):
    AuditEvent.objects.create(
        action="product.update",
        target_type="products.dataproduct",
        target_id=str(product.pk),
        target_label=str(product),
        data={"changed": ["summary"]},
    )
    page = client_for(analyst).get(product.get_absolute_url())
    assert page.status_code == 200 and "audit-changes" not in page.content.decode()
