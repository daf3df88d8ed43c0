"""Histories read as sentences, and list excerpts show Markdown as text."""

from types import SimpleNamespace

import pytest

from portal.audit_text import audit_sentence, state_change
from portal.templatetags.portal_tags import markdown_plain, ticks_as_code


def _event(action, actor=None, from_state="", to_state=""):
    return SimpleNamespace(action=action, actor=actor, from_state=from_state, to_state=to_state)


@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("term.approve", "Gloria Steward approved the term"),
        ("term.submit", "Gloria Steward submitted the term for review"),
        ("product.published", "Gloria Steward published the product"),
        ("access_request.withdraw", "Gloria Steward withdrew the access request"),
        ("port.schema_change", "Gloria Steward changed the schema of the port"),
    ],
)
def test_audit_rows_read_as_sentences(action, sentence):
    gloria = SimpleNamespace(get_full_name=lambda: "Gloria Steward", username="gloria")
    assert audit_sentence(_event(action, gloria)) == sentence


def test_a_row_without_actor_is_the_portals_and_states_read_plainly():
    assert audit_sentence(_event("waiver.expire")) == "The portal saw the expiry of the waiver"
    assert state_change(_event("term.submit", from_state="draft", to_state="in_review")) == "draft → in review"


def test_markdown_excerpt_is_plain_text_and_literals_show_as_code():
    assert markdown_plain("**Net** revenue, see [docs](http://x) <script>x</script>") == "Net revenue, see docs"
    assert str(ticks_as_code("field `<b>` breaks")) == "field <code>&lt;b&gt;</code> breaks"


def test_a_chart_with_one_measurement_says_so_instead_of_one_dot():
    from datetime import date

    from portal.charts import line_chart

    svg = str(line_chart([(date(2026, 1, 1), 80)], title="Score"))
    assert "one measurement so far" in svg and '<line class="line"' in svg
    assert "one measurement so far" not in str(line_chart([(date(2026, 1, 1), 80), (date(2026, 1, 2), 90)]))
