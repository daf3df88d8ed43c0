from django import template
from django.urls import reverse
from django.utils.html import format_html

from products.contracts import selectors, services
from products.contracts.changes import BREAKING
from products.contracts.notice import notice_days

register = template.Library()


@register.simple_tag(takes_context=True)
def product_contract_panel(context, product):
    """The Contract panel of the product page (downloads, drift of the real tables), as the request's user may
    see it."""
    return selectors.product_drift_section(user=context["request"].user, product=product)


@register.simple_tag(takes_context=True)
def port_breaking_change_note(context, port):
    """The port editor's warning, by the same rule the save follows: on this port a breaking change waits for the
    notice period; a new port ships it at once."""
    user = context["request"].user
    if port is None or not services.breaking_change_waits(port=port, actor=user, level=BREAKING):
        return ""
    product = port.product
    url = reverse("products:port-successor", args=[product.domain.slug, product.slug, port.pk])
    return format_html(
        '<p class="msg msg-info">This port has consumers: a breaking change (a new major version) saved here waits '
        '{} days for the notice period, then takes effect. To ship it at once, <a href="{}">publish it as a new '
        "port</a>; this one stays until its sunset.</p>",
        notice_days(),
        url,
    )
