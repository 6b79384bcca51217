"""The article import format (a stable interface of `portal import-articles`): one JSON object a line, checked completely before anything is
written, and category names or 'parent › child' paths resolved to ids (created when allowed)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from articles.categories import category_paths, clean_tags, find_category, split_path
from articles.content import FIELD_MAX
from articles.errors import ArticleError
from articles.models import CATEGORY_NAME_MAX, EXTERNAL_ID_MAX, TITLE_MAX, Audience, Category
from portal.db import saved_id
from portal.tickets import InvalidTicketId, validate_ticket_id


class ImportNotAllowed(ArticleError):
    status = 403
    code = "forbidden"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    unchanged: int = 0
    categories_created: list[str] = field(default_factory=list)
    article_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportLine:
    line_no: int
    external_id: str | None
    title: str
    scenario: str
    solution: str
    notes: str
    category: str | None
    tags: list[str]
    tickets: list[str]
    audience: str
    category_id: int | None = None


def _text(obj: dict[str, Any], key: str, limit: int) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    value = value.replace("\r\n", "\n")
    if len(value) > limit:
        raise ValueError(f"{key} is longer than {limit} characters")
    return value


def parse_line(line_no: int, raw: str, pattern: str) -> ImportLine:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise ValueError("a line must be a JSON object")
    title = _text(obj, "title", 10 * TITLE_MAX).strip()
    if not title:
        raise ValueError("title is missing or empty")
    if len(title) > TITLE_MAX:
        raise ValueError(f"title is longer than {TITLE_MAX} characters")
    external_id = obj.get("external_id")
    if external_id is not None:
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if not isinstance(external_id, str):
            raise ValueError("external_id must be a string")
        external_id = external_id.strip() or None
        if external_id and len(external_id) > EXTERNAL_ID_MAX:
            raise ValueError(f"external_id is longer than {EXTERNAL_ID_MAX} characters")
    category = obj.get("category")
    if category is not None and not isinstance(category, str):
        raise ValueError("category must be a string (a name or 'parent › child')")
    category = (category or "").strip() or None
    try:
        tags = clean_tags(obj.get("tags"))
    except ArticleError as exc:
        raise ValueError(f"tags: {exc.details.get('fields', {}).get('tags', exc)}") from None
    tickets_raw = obj.get("tickets") or []
    if not isinstance(tickets_raw, list):
        raise ValueError("tickets must be a list of ticket IDs")
    tickets: list[str] = []
    for value in tickets_raw:
        try:
            ticket = validate_ticket_id(value, pattern)
        except InvalidTicketId as exc:
            raise ValueError(f"tickets: {exc}") from None
        if ticket not in tickets:
            tickets.append(ticket)
    audience = obj.get("audience") or Audience.INTERNAL.value
    if audience not in {a.value for a in Audience}:
        raise ValueError("audience must be 'internal' or 'public'")
    return ImportLine(
        line_no=line_no,
        external_id=external_id,
        title=title,
        scenario=_text(obj, "scenario", FIELD_MAX),
        solution=_text(obj, "solution", FIELD_MAX),
        notes=_text(obj, "notes", FIELD_MAX),
        category=category,
        tags=tags,
        tickets=tickets,
        audience=audience,
    )


class CategoryResolver:
    """Resolves names and paths to ids once per run, creating missing ones when allowed."""

    def __init__(self, session: Session, create: bool, report: ImportReport):
        self.session = session
        self.create = create
        self.report = report
        self.cache: dict[str, int] = {}

    def _get_or_create(self, name: str, parent_id: int | None) -> int:
        if len(name) > CATEGORY_NAME_MAX:
            raise ValueError(f"category name {name!r} is longer than {CATEGORY_NAME_MAX} characters")
        found = find_category(self.session, name, parent_id)
        if found is not None:
            return saved_id(found)
        if not self.create:
            raise ValueError(f"unknown category {name!r}")
        category = Category(name=name, parent_id=parent_id)
        self.session.add(category)
        self.session.flush()
        self.report.categories_created.append(category_paths(self.session)[saved_id(category)])
        return saved_id(category)

    def resolve(self, path: str) -> int:
        if path in self.cache:
            return self.cache[path]
        parts = split_path(path)
        if not parts or len(parts) > 2:
            raise ValueError(f"category {path!r}: categories have two levels ('parent › child')")
        if len(parts) == 1:
            top = find_category(self.session, parts[0], None)
            if top is not None:
                category_id = saved_id(top)
            else:
                # A bare sub-category name ('物流异常') is accepted when it is unambiguous.
                children = self.session.exec(
                    select(Category).where(Category.name == parts[0], col(Category.parent_id).is_not(None))
                ).all()
                category_id = (
                    saved_id(children[0]) if len(children) == 1 else self._get_or_create(parts[0], None)
                )
        else:
            parent_id = self._get_or_create(parts[0], None)
            category_id = self._get_or_create(parts[1], parent_id)
        self.cache[path] = category_id
        return category_id


def _decoded(line_no: int, raw: str | bytes) -> str:
    """A line read as bytes is decoded on its own, so one line in another encoding fails alone."""
    if isinstance(raw, str):
        return raw
    if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # the byte-order mark Windows editors put at the start of a UTF-8 file
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the line is not UTF-8 text (byte {exc.start + 1})") from None


def read_lines(lines: Iterable[str | bytes], ticket_pattern: str, report: ImportReport) -> list[ImportLine]:
    """Parse every non-blank line; bad lines and repeated external IDs go to ``report.errors``."""
    parsed: list[ImportLine] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = parse_line(line_no, _decoded(line_no, raw), ticket_pattern)
        except ValueError as exc:
            report.errors.append((line_no, str(exc)))
            continue
        if item.external_id is not None:
            if item.external_id in seen:
                report.errors.append(
                    (
                        line_no,
                        f"external_id {item.external_id!r} already appears on line {seen[item.external_id]}",
                    )
                )
                continue
            seen[item.external_id] = line_no
        parsed.append(item)
    return parsed


def resolve_categories(
    session: Session, parsed: list[ImportLine], create: bool, report: ImportReport
) -> list[ImportLine]:
    """Set ``category_id`` on every line; a line whose category cannot be resolved goes to the errors."""
    categories = CategoryResolver(session, create, report)
    valid: list[ImportLine] = []
    for item in parsed:
        if item.category:
            try:
                item.category_id = categories.resolve(item.category)
            except ValueError as exc:
                report.errors.append((item.line_no, str(exc)))
                continue
        valid.append(item)
    return valid
