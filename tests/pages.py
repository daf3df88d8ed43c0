"""Addresses of the portal's pages that tests read often."""

from django.urls import reverse


def product_panel_url(product, panel: str) -> str:
    """A product page panel (glossary, compliance, quality, contract, access) as its own page: what the product
    page loads after it shows, rendered the way a browser without JavaScript gets it."""
    return reverse("products:product-panel", args=[product.domain.slug, product.slug, panel])
