import html

from django import template
from django.utils.safestring import mark_safe

from portal.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 - nh3 has sanitised it


@register.simple_tag
def select_options(bound_field) -> str:
    """A filter form's ``<option>`` list, the current value selected, written in one pass: a catalog's tag filter
    holds hundreds of choices, which Django's widget templates (or a template loop) take milliseconds to write.
    Every value and label is escaped here (``html.escape``, quotes included) before the whole is marked safe."""
    current = "" if bound_field.value() is None else str(bound_field.value())
    options = []
    for value, label in bound_field.field.choices:
        value = str(value)
        selected = " selected" if value == current else ""
        options.append(f'<option value="{html.escape(value)}"{selected}>{html.escape(str(label))}</option>')
    return mark_safe("".join(options))  # noqa: S308 - each part escaped above


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for filter links and pagers)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def percent_step(value) -> int:
    """A percentage as a whole number from 0 to 100, for the ``w-<n>`` width classes of progress bars (the page's
    Content-Security-Policy forbids inline ``style`` attributes)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if number != number:  # NaN
        return 0
    return max(0, min(100, round(number)))


@register.filter
def ticks_as_code(text) -> str:
    """A message whose literals are in backticks (``field `email` must…``) with those literals shown as code."""
    import re

    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(str(text))))  # noqa: S308 - escaped first


@register.filter
def markdown_plain(text: str) -> str:
    """Markdown read as plain text (for a list's one-line excerpt): rendered, sanitised, then stripped of tags."""
    from html import unescape

    from django.utils.html import strip_tags

    return " ".join(unescape(strip_tags(render_markdown(text or ""))).split())


@register.filter
def audit_sentence(event) -> str:
    """An audit row as a sentence ("Gloria Steward approved the term")."""
    from portal.audit_text import audit_sentence as sentence

    return sentence(event)


@register.filter
def audit_states(event) -> str:
    from portal.audit_text import state_change

    return state_change(event)


@register.filter
def audit_changes(event) -> list[dict]:
    """The before-and-after values an edit's audit row keeps (``portal.audit_diff``); empty for other rows."""
    changes = (event.data or {}).get("changes") if isinstance(event.data, dict) else None
    return [change for change in changes or [] if isinstance(change, dict) and change.get("label")]
