from django import template

from glossary import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_glossary(context, product):
    """The glossary panel's data for ``product`` as seen by the request's user (used by the product page)."""
    return selectors.product_terms(user=context["request"].user, product=product)
