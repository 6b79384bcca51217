"""Helpers of the security suite: database snapshots and the "is this HTML inert?" checker."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import select
from sqlmodel import Session, SQLModel

# Tables whose rows change on any request by design (they are not a "change" a forged post could make).
VOLATILE_COLUMNS = {"last_used_at", "last_login_at"}


def snapshot(db: Session) -> dict[str, list[tuple]]:
    """Every row of every table, as sorted tuples of strings: equal snapshots mean nothing changed."""
    db.expire_all()
    state = {}
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
        rows = db.execute(select(*columns)).all()
        state[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return state


def diff(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
    return {name: (len(before[name]), len(after[name])) for name in before if before[name] != after[name]}


URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "codebase",
    "cite",
    "longdesc",
    "usemap",
    "lowsrc",
    "dynsrc",
    "ping",
}
FORBIDDEN_TAGS = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "style",
    "math",
    "xml",
    "import",
    "portal",
    "isindex",
    "template",
}
SAFE_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);", re.IGNORECASE)
# What a browser's URL parser ignores (WHATWG URL): tab and newlines anywhere, C0 controls and spaces
# at both ends.  A space inside "java script:" makes a relative URL, not a script.
_URL_TAB_NEWLINE = re.compile(r"[\t\n\r]+")
_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))


def _scheme_view(value: str) -> str:
    return _URL_TAB_NEWLINE.sub("", value).strip(_C0_AND_SPACE).lower()


class _InertChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self.svg_depth = 0

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag == "script":
            self._in_script = True
        if tag == "svg":
            self.svg_depth += 1

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "svg" and self.svg_depth:
            self.svg_depth -= 1

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script body {data.strip()[:60]!r}")

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            src = (dict(attrs).get("src") or "").split("?")[0]
            if not src.startswith("/") or src.startswith("//") or "/static/" not in src:
                self.problems.append(f"<script> not loaded from /static/: {attrs!r}")
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element {attrs!r}")
        if tag == "meta" and "http-equiv" in names:
            self.problems.append(f"<meta http-equiv> {attrs!r}")
        if tag == "link" and (dict(attrs).get("rel") or "").lower() in {"import", "preload", "prefetch"}:
            self.problems.append(f"<link> {attrs!r}")
        if tag == "form" and (dict(attrs).get("action") or "").startswith(("http:", "https:", "//")):
            self.problems.append(f"<form> posting off-site {attrs!r}")
        for name, value in attrs:
            lname = name.lower()
            if lname.startswith("on"):
                self.problems.append(f"event handler {lname}= on <{tag}>")
            if lname in {"srcdoc", "style"}:
                self.problems.append(f"{lname}= attribute on <{tag}>")
            if lname in URL_ATTRIBUTES and value:
                scheme_part = _scheme_view(value)
                scripted = scheme_part.startswith(("javascript:", "vbscript:", "livescript:"))
                unsafe_data = scheme_part.startswith("data:") and not SAFE_DATA_URL.match(scheme_part)
                if scripted or unsafe_data:
                    self.problems.append(f"{lname}={value[:60]!r} on <{tag}>")
        if self.svg_depth and tag in {"set", "animate", "handler", "foreignobject"}:
            self.problems.append(f"<{tag}> inside <svg>")


def inert_problems(html: str) -> list[str]:
    """Everything in ``html`` that a browser could execute or that could load foreign content.

    Pages are built from our templates, which follow the CSP (scripts only from /static/, no inline
    handlers, no style attributes), so anything found here came from data."""
    checker = _InertChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


def text_of(html: str) -> str:
    """The visible text of a page (entities decoded), for "the payload is shown as text" checks."""

    class _Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data):
            self.parts.append(data)

    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action"),
                "fields": {},
            }
            self.forms.append(self._current)
        elif tag in ("input", "textarea", "select", "button") and self._current is not None and a.get("name"):
            self._current["fields"].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_of(html: str) -> list[dict]:
    """Every form: method, action and the named fields with their initial values."""
    parser = _Forms()
    parser.feed(html)
    parser.close()
    return parser.forms
