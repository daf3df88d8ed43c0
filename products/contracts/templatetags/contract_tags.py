from django import template

from products.contracts import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_contract_panel(context, product):
    """The Contract panel of the product page (downloads, drift of the real tables), as the request's user may
    see it."""
    return selectors.product_drift_section(user=context["request"].user, product=product)
