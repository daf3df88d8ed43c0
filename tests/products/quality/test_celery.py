"""A check run on a real Celery worker over Redis: the run fans out per check and finishes with a score."""

import pytest

from products.quality import services as quality_services
from products.quality.models import CheckRun
from tests import factories
from tests.celery_worker import wait_for


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_run_checks_now_on_a_real_worker(celery_worker_redis, product, owner, tmp_path):
    from products.demo_warehouse import build

    path = build(tmp_path / "warehouse.sqlite3")
    warehouse = factories.WarehouseFactory(name="celery-quality", engine="sqlite", path=str(path))
    port = factories.OutputPortFactory(product=product, name="stock", warehouse=warehouse, table="stock_levels")
    factories.QualityCheckFactory(product=product, port=port, kind="row_count", params={"min_rows": 1})
    factories.QualityCheckFactory(
        product=product, port=port, kind="completeness", column="no_such_column", params={"min_percent": 1}
    )
    run = quality_services.quality_run_start(actor=owner, product=product)
    done = wait_for(lambda: CheckRun.objects.filter(pk=run.pk, status="done").first(), timeout=30)
    assert (done.total, done.completed, done.failed) == (2, 2, 1)
    product.refresh_from_db()
    assert float(product.quality_score) == 50.0
    assert {r.state for r in done.results.all()} == {"passed", "error"}
