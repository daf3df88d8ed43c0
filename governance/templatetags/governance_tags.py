from django import template

from governance.enforcement import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_compliance(context, product):
    """The compliance panel's data for ``product`` as seen by the request's user (used by the product page)."""
    return selectors.product_compliance(user=context["request"].user, product=product)
