"""The demo shows contracts: a port with three versions, a breaking change waiting for its notice period, a
deprecated product with a sunset, a declassification waiting for review; seeding twice changes nothing."""

import pytest
from django.core.management import call_command

from products.contracts.models import Declassification, SchemaVersion
from products.models import DataProduct, OutputPort


def _snapshot():
    return (
        list(SchemaVersion.objects.order_by("pk").values_list("port__name", "version", "level", "status")),
        list(Declassification.objects.values_list("field__name", "status")),
        list(DataProduct.objects.order_by("pk").values_list("slug", "status", "sunset_at")),
        list(OutputPort.objects.order_by("pk").values_list("name", "version", "successor__name", "sunset_at")),
    )


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_tells_the_contract_story_and_seeding_twice_changes_nothing(client_for):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    customers = SchemaVersion.objects.filter(port__product__slug="customer-360", port__name="customers")
    assert list(customers.order_by("pk").values_list("version", "level")) == [
        ("2.1.0", "initial"),
        ("2.1.1", "patch"),
        ("2.2.0", "additive"),
    ]
    waiting = SchemaVersion.objects.get(status="scheduled")
    assert (waiting.port.product.slug, waiting.version, waiting.level) == ("bookings", "2.0.0", "breaking")
    legacy = DataProduct.objects.get(slug="bookings-daily-extract")
    assert legacy.status == "deprecated" and legacy.sunset_at is not None
    assert Declassification.objects.filter(status="pending", field__name="date_of_birth").count() == 1
    stock = OutputPort.objects.get(product__slug="inventory-levels", name="stock_on_hand")
    assert (stock.successor.name, stock.successor.version, stock.retired_at) == ("stock_on_hand_v2", "2.0.0", None)
    assert stock.sunset_at is not None
    before = _snapshot()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _snapshot() == before
    from django.contrib.auth import get_user_model

    ana = get_user_model().objects.get(username="ana")
    port = customers.first().port
    page = client_for(ana).get(f"/products/crm/customer-360/ports/{port.pk}/versions/")
    assert page.status_code == 200 and "v2.2.0" in page.content.decode()
