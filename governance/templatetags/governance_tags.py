from django import template

from governance.enforcement import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def product_compliance(context, product):
    """The compliance panel's data for ``product`` as seen by the request's user (used by the product page)."""
    return selectors.product_compliance(user=context["request"].user, product=product)


@register.filter
def rule_sentence(rule, kind):
    """``{{ standard.rule|rule_sentence:standard.kind }}``: the rule as a sentence, its patterns as code."""
    from django.utils.html import format_html, format_html_join

    from governance.rules import rule_sentence_parts

    return format_html_join(
        "",
        "{}",
        (
            (format_html("<code>{}</code>", text) if literal else format_html("{}", text),)
            for text, literal in rule_sentence_parts(kind, rule)
        ),
    )


@register.filter
def proposal_rule_sentence(proposal):
    """A proposal's rule as a sentence; an amendment that names no kind has its target standard's."""
    target = proposal.target_standard if proposal.target_standard_id else None
    return rule_sentence(proposal.rule, proposal.standard_kind or getattr(target, "kind", ""))
