"""Markdown for documentation pages, sanitised with nh3 so a product page can never carry script."""

from functools import lru_cache

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}


# The same documents are shown again and again (a product page's documentation on every visit, a glossary list's
# definitions): each text is rendered and sanitised once per process, then remembered by its whole content, up to
# this many texts of up to this many characters (a few megabytes at most); a longer one is rendered each time.
REMEMBERED_TEXTS = 512
REMEMBERED_LENGTH = 8000


def render_markdown(text: str) -> str:
    text = text or ""
    return _remembered(text) if len(text) <= REMEMBERED_LENGTH else _render(text)


def _render(text: str) -> str:
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_remembered = lru_cache(maxsize=REMEMBERED_TEXTS)(_render)
