def test_product_page_renders_for_owner(client_for, owner, product):
    response = client_for(owner).get(product.get_absolute_url())
    assert response.status_code == 200
    assert b"Customer 360" in response.content
