"""Markdown to safe HTML (nh3 allow-list) and to plain text for the search index."""

from __future__ import annotations

import re

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    "sup", "sub", "kbd", "span", "div", "dl", "dt", "dd",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown (tables, fenced code) and sanitize it; links get rel="nofollow noopener"."""
    if not text:
        return Markup("")
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704  # nosec B704 - sanitized by nh3 just above


_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_QUOTE = re.compile(r"^\s*>\s?", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_PIPES = re.compile(r"\s*\|\s*")
_SPACES = re.compile(r"[ \t]+")


def markdown_to_text(text: str | None) -> str:
    """A fast plain-text version of Markdown for indexing (no HTML, no markup characters)."""
    if not text:
        return ""
    out = _FENCE.sub("", text)
    out = _IMAGE.sub(r"\1", out)
    out = _LINK.sub(r"\1", out)
    out = _TAG.sub(" ", out)
    out = _TABLE_RULE.sub("", out)
    out = _HEADING.sub("", out)
    out = _LIST.sub("", out)
    out = _QUOTE.sub("", out)
    out = _EMPHASIS.sub("", out)
    out = _PIPES.sub(" ", out)
    out = _SPACES.sub(" ", out)
    return "\n".join(line.strip() for line in out.splitlines() if line.strip())
