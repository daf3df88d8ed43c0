"""A quality-score change reaches governance: the score goes through the catalog's service (no silent queryset
update), so a standard's minimum quality score opens and resolves its violation as the score moves."""

import pytest

from governance.enforcement.models import Violation
from products.quality import services as quality
from tests import factories

pytestmark = pytest.mark.django_db


def test_pushed_results_that_lower_the_score_open_a_violation_and_raising_it_resolves_it(
    owner, product, django_capture_on_commit_callbacks
):
    factories.StandardFactory(code="STD-080", kind="min_quality_score", rule={"minimum": 80})

    def push(passed: bool):
        with django_capture_on_commit_callbacks(execute=True):
            quality.quality_results_push(product=product, actor=owner, results=[{"check": "rows", "passed": passed}])
        product.refresh_from_db()

    push(False)
    assert product.quality_score == 0
    assert Violation.objects.filter(product=product, rule_key="STD-080", resolved_at=None).exists()
    push(True)
    assert product.quality_score == 100
    assert not Violation.objects.filter(product=product, rule_key="STD-080", resolved_at=None).exists()
