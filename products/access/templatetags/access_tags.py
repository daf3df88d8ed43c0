from django import template

from products.access import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_access(context, product):
    """The Access panel of the product page, as the request's user may see it."""
    return selectors.product_access_tab(user=context["request"].user, product=product)
