"""The person asking for access is told what happens next: on the request form, while the request waits (who it
waits for), and once it is approved or rejected (where to go from there)."""

import pytest

from products.access import services as access_services
from tests import factories

pytestmark = pytest.mark.django_db


def _next_steps(response) -> str:
    body = response.content.decode()
    assert response.status_code == 200
    return body.split('id="next-steps-title"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def port(product):
    product.status = "published"
    product.classification = "restricted"
    product.save()
    return factories.OutputPortFactory(product=product, name="orders")


def test_the_form_says_who_is_told_and_that_two_must_agree(client_for, analyst, port):
    product = port.product
    url = f"/products/{product.domain.slug}/{product.slug}/ports/{port.pk}/request-access/"
    text = _next_steps(client_for(analyst).get(url))
    assert "owners and approvers are told at once" in text and "two different people must approve" in text


def test_the_request_page_follows_the_request_for_its_requester_only(client_for, analyst, owner, port):
    request = access_services.access_request_create(actor=analyst, port=port, purpose="Churn model", duration_days=30)
    text = _next_steps(client_for(analyst).get(request.get_absolute_url()))
    assert f"Waiting for {owner.get_full_name()}" in text and "withdraw" in text
    assert 'id="next-steps-title"' not in client_for(owner).get(request.get_absolute_url()).content.decode()

    access_services.access_request_reject(actor=owner, access_request=request, note="Use the aggregate port.")
    text = _next_steps(client_for(analyst).get(request.get_absolute_url()))
    assert "The approvers said no: “Use the aggregate port.”" in text and "ask again" in text
