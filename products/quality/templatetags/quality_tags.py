from django import template

from products.quality import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_quality(context, product):
    """The Quality panel of the product page (score, chart, SLA, incidents), as the request's user may see it."""
    return selectors.product_quality_section(user=context["request"].user, product=product)["quality"]
