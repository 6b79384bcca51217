"""Bulk import and export of articles as JSON Lines (DESIGN §4).

One JSON object a line: ``external_id, title, scenario, solution, notes, category, tags, tickets``
(optionally ``audience``); unknown keys are ignored.  Lines are upserted by ``external_id``; a line
without one always creates an article.

How it stays correct and fast:
- every line is validated completely before anything is written, so a bad line is reported with its
  number and reason and never half-lands, while the good lines still do;
- new articles, their revisions, tags and ticket links are written with bulk INSERTs in chunks;
  existing articles (updates) go through a savepoint each;
- one audit entry per run, with the counts.

Unknown categories: like the Zendesk and Document360 migration tools, which recreate the source's
category structure on import, a category named in the file that does not exist yet is **created**
(a name → a top-level category, unless a sub-category of that name exists; 'parent › child' →
both levels as needed).  The created categories are listed in the report so an admin can tidy them up.
``create_categories=False`` (``--no-create-categories``) instead rejects such lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from articles.access import is_lead
from articles.categories import category_paths, clean_tags, find_category, split_path, tag_ids
from articles.content import FIELD_MAX
from articles.errors import ArticleError
from articles.lifecycle import DEFAULT_REVIEW_DUE_DAYS
from articles.models import (
    CATEGORY_NAME_MAX,
    CATEGORY_SEPARATOR,
    EXTERNAL_ID_MAX,
    TITLE_MAX,
    Article,
    ArticleRevision,
    ArticleStatus,
    Audience,
    Category,
    RevisionStatus,
    RevisionTag,
    TicketLink,
)
from articles.revisions import current_revision, revision_content, set_revision_tags
from portal.audit import record
from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.models import Role, User
from portal.tickets import InvalidTicketId, validate_ticket_id
from portal.timeutil import utcnow
from search_index import sync

CHUNK = 1000
TEXT_FIELDS = ("scenario", "solution", "notes")


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
class _Line:
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


def _parse(line_no: int, raw: str, pattern: str) -> _Line:
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
    return _Line(
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


class _Categories:
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
            return found.id
        if not self.create:
            raise ValueError(f"unknown category {name!r}")
        category = Category(name=name, parent_id=parent_id)
        self.session.add(category)
        self.session.flush()
        self.report.categories_created.append(category_paths(self.session)[category.id])
        return category.id

    def resolve(self, path: str) -> int:
        if path in self.cache:
            return self.cache[path]
        parts = split_path(path)
        if not parts or len(parts) > 2:
            raise ValueError(f"category {path!r}: categories have two levels ('parent › child')")
        if len(parts) == 1:
            top = find_category(self.session, parts[0], None)
            if top is not None:
                category_id = top.id
            else:
                # A bare sub-category name ('物流异常') is accepted when it is unambiguous.
                children = self.session.exec(
                    select(Category).where(Category.name == parts[0], Category.parent_id.is_not(None))
                ).all()
                category_id = children[0].id if len(children) == 1 else self._get_or_create(parts[0], None)
        else:
            parent_id = self._get_or_create(parts[0], None)
            category_id = self._get_or_create(parts[1], parent_id)
        self.cache[path] = category_id
        return category_id


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_articles(
    session: Session,
    lines: Iterable[str],
    *,
    actor: User | None,
    publish: bool,
    create_categories: bool = True,
    review_due_days: int = DEFAULT_REVIEW_DUE_DAYS,
    ticket_pattern: str = DEFAULT_TICKET_ID_PATTERN,
) -> ImportReport:
    """Upsert articles from JSON lines by ``external_id``. Without ``publish`` they land as drafts
    (an existing live article gets a pending draft revision); with ``publish`` (admins only, for
    migrating an existing knowledge base) they go live at once. Bad lines are reported, good lines land."""
    from portal.accounts import roles_of

    if publish and actor is not None and Role.ADMIN.value not in roles_of(session, actor):
        raise ImportNotAllowed("only an administrator may import articles as published (--publish)")
    if (
        not publish
        and actor is not None
        and not is_lead(session, actor)
        and not (roles_of(session, actor) & {Role.AGENT.value})
    ):
        raise ImportNotAllowed("only agents, leads and administrators may import articles")

    report = ImportReport()
    parsed: list[_Line] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = _parse(line_no, raw, ticket_pattern)
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

    categories = _Categories(session, create_categories, report)
    valid: list[_Line] = []
    for item in parsed:
        if item.category:
            try:
                item.category_id = categories.resolve(item.category)
            except ValueError as exc:
                report.errors.append((item.line_no, str(exc)))
                continue
        valid.append(item)

    existing: dict[str, Article] = {}
    ext_ids = [i.external_id for i in valid if i.external_id]
    for chunk in _chunks(ext_ids, 500):
        for article in session.exec(select(Article).where(Article.external_id.in_(chunk))).all():
            existing[article.external_id] = article

    # export_lines writes 'kb-<id>' for articles without an external ID; match those back to the article.
    own_ids = {
        int(ext[3:]): ext
        for ext in ext_ids
        if ext not in existing and ext.startswith("kb-") and ext[3:].isdigit()
    }
    for chunk in _chunks(sorted(own_ids), 500):
        for article in session.exec(
            select(Article).where(Article.id.in_(chunk), Article.external_id.is_(None))
        ).all():
            existing[own_ids[article.id]] = article

    tag_cache: dict[str, int] = {}
    all_tags = sorted({t for i in valid for t in i.tags})
    for chunk in _chunks(all_tags, 500):
        tag_ids(session, chunk, tag_cache)

    now = utcnow()
    new_items = [i for i in valid if not (i.external_id and i.external_id in existing)]
    _bulk_create(session, new_items, actor, publish, now, review_due_days, tag_cache, report)
    for item in valid:
        if item.external_id and item.external_id in existing:
            _update_one(
                session, existing[item.external_id], item, actor, publish, now, review_due_days, report
            )

    record(
        session,
        actor,
        "article.import",
        "article",
        None,
        details={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "errors": len(report.errors),
            "publish": publish,
            "categories_created": report.categories_created,
        },
    )
    report.errors.sort()
    return report


def _bulk_create(
    session: Session,
    items: list[_Line],
    actor: User | None,
    publish: bool,
    now,
    review_due_days: int,
    tag_cache: dict[str, int],
    report: ImportReport,
) -> None:
    actor_id = None if actor is None else actor.id
    status = ArticleStatus.PUBLISHED.value if publish else ArticleStatus.DRAFT.value
    rev_status = RevisionStatus.PUBLISHED.value if publish else RevisionStatus.DRAFT.value
    due = now.date() + timedelta(days=review_due_days) if publish else None
    for chunk in _chunks(items):
        article_ids = list(
            session.scalars(
                insert(Article).returning(Article.id, sort_by_parameter_order=True),
                [
                    {
                        "external_id": i.external_id,
                        "status": status,
                        "author_id": actor_id,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "published_at": now if publish else None,
                        "review_due": due,
                    }
                    for i in chunk
                ],
            )
        )
        revision_ids = list(
            session.scalars(
                insert(ArticleRevision).returning(ArticleRevision.id, sort_by_parameter_order=True),
                [
                    {
                        "article_id": article_id,
                        "number": 1,
                        "title": i.title,
                        "scenario": i.scenario,
                        "solution": i.solution,
                        "notes": i.notes,
                        "category_id": i.category_id,
                        "audience": i.audience,
                        "status": rev_status,
                        "author_id": actor_id,
                        "created_at": now,
                        "updated_at": now,
                        "reviewer_id": actor_id if publish else None,
                        "reviewed_at": now if publish else None,
                        "review_comment": "imported as published" if publish else None,
                    }
                    for article_id, i in zip(article_ids, chunk, strict=True)
                ],
            )
        )
        session.execute(
            update(Article),
            [
                {"id": a, "current_revision_id": r, "live_revision_id": r if publish else None}
                for a, r in zip(article_ids, revision_ids, strict=True)
            ],
        )
        tag_rows = [
            {"revision_id": r, "tag_id": tag_cache[t]}
            for r, i in zip(revision_ids, chunk, strict=True)
            for t in i.tags
        ]
        if tag_rows:
            session.execute(insert(RevisionTag), tag_rows)
        link_rows = [
            {"article_id": a, "ticket_id": t, "user_id": actor_id, "reuse": False, "created_at": now}
            for a, i in zip(article_ids, chunk, strict=True)
            for t in i.tickets
        ]
        if link_rows:
            session.execute(insert(TicketLink), link_rows)
        for article_id in article_ids:
            sync.article_changed(session, article_id)
        report.created += len(article_ids)
        report.article_ids.extend(article_ids)
    session.flush()


def _content(item: _Line) -> dict[str, Any]:
    return {
        "title": item.title,
        "scenario": item.scenario,
        "solution": item.solution,
        "notes": item.notes,
        "category_id": item.category_id,
        "tags": item.tags,
        "audience": item.audience,
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all((sorted(a[k]) == sorted(b[k])) if k == "tags" else a[k] == b[k] for k in a)


def _update_one(
    session: Session,
    article: Article,
    item: _Line,
    actor: User | None,
    publish: bool,
    now,
    review_due_days: int,
    report: ImportReport,
) -> None:
    """Apply one line to an existing article inside a savepoint, so a failure loses only this line."""
    actor_id = None if actor is None else actor.id
    try:
        with session.begin_nested():
            if article.state is ArticleStatus.ARCHIVED and not publish:
                raise ValueError(
                    f"article {article.external_id!r} is archived; import with --publish to revive it"
                )
            rev = current_revision(session, article)
            if rev.state is RevisionStatus.IN_REVIEW and not publish:
                raise ValueError(f"article {article.external_id!r} is in review; it cannot be changed now")
            content = _content(item)
            live_same = (
                publish
                and article.state is ArticleStatus.PUBLISHED
                and article.live_revision_id == rev.id
                and _same(content, revision_content(session, rev))
            )
            draft_same = not publish and _same(content, revision_content(session, rev))
            new_links = _add_links(session, article, item, actor_id, now)
            if live_same or draft_same:
                if new_links:
                    report.updated += 1
                else:
                    report.unchanged += 1
                return
            if not publish and rev.state is RevisionStatus.DRAFT:
                for name in ("title", "scenario", "solution", "notes", "category_id", "audience"):
                    setattr(rev, name, content[name])
                rev.updated_at = now
                session.add(rev)
                session.flush()
                set_revision_tags(session, rev.id, content["tags"])
            else:
                if rev.state.is_pending() and rev.id != article.live_revision_id:
                    rev.status = RevisionStatus.SUPERSEDED.value
                    session.add(rev)
                new = ArticleRevision(
                    article_id=article.id,
                    number=rev.number + 1,
                    author_id=actor_id,
                    created_at=now,
                    updated_at=now,
                    status=RevisionStatus.PUBLISHED.value if publish else RevisionStatus.DRAFT.value,
                    **{k: v for k, v in content.items() if k != "tags"},
                )
                if publish:
                    new.reviewer_id = actor_id
                    new.reviewed_at = now
                    new.review_comment = "imported as published"
                session.add(new)
                session.flush()
                set_revision_tags(session, new.id, content["tags"])
                article.current_revision_id = new.id
                if publish:
                    old_live = (
                        session.get(ArticleRevision, article.live_revision_id)
                        if article.live_revision_id
                        else None
                    )
                    if old_live is not None:
                        old_live.status = RevisionStatus.SUPERSEDED.value
                        session.add(old_live)
                    article.live_revision_id = new.id
                    article.status = ArticleStatus.PUBLISHED.value
                    article.published_at = now
                    article.archived_at = None
                    article.review_due = now.date() + timedelta(days=review_due_days)
                elif article.state is not ArticleStatus.PUBLISHED:
                    article.status = ArticleStatus.DRAFT.value
            article.version += 1
            article.updated_at = now
            session.add(article)
            session.flush()
            sync.article_changed(session, article.id)
            report.updated += 1
            report.article_ids.append(article.id)
    except ValueError as exc:
        report.errors.append((item.line_no, str(exc)))


def _add_links(session: Session, article: Article, item: _Line, actor_id: int | None, now) -> int:
    if not item.tickets:
        return 0
    have = set(session.exec(select(TicketLink.ticket_id).where(TicketLink.article_id == article.id)).all())
    added = 0
    for ticket in item.tickets:
        if ticket not in have:
            session.add(
                TicketLink(
                    article_id=article.id, ticket_id=ticket, user_id=actor_id, reuse=False, created_at=now
                )
            )
            added += 1
    session.flush()
    return added


def export_lines(session: Session, *, include_unpublished: bool = True, batch: int = 1000) -> Iterator[str]:
    """Articles as JSON lines in the import format: the live revision if any, else the newest one."""
    from articles.search_documents import _revision_id, _tags_by_revision

    paths = category_paths(session)
    last_id = 0
    while True:
        articles = session.exec(
            select(Article).where(Article.id > last_id).order_by(Article.id).limit(batch)
        ).all()
        if not articles:
            return
        wanted = {a.id: _revision_id(a) for a in articles}
        revisions = {
            r.id: r
            for r in session.exec(
                select(ArticleRevision).where(ArticleRevision.id.in_(list(wanted.values())))
            ).all()
        }
        tags = _tags_by_revision(session, list(revisions))
        links: dict[int, list[str]] = {}
        for article_id, ticket in session.exec(
            select(TicketLink.article_id, TicketLink.ticket_id)
            .where(TicketLink.article_id.in_(list(wanted)))
            .order_by(TicketLink.id)
        ).all():
            links.setdefault(article_id, []).append(ticket)
        for article in articles:
            if not include_unpublished and article.state is not ArticleStatus.PUBLISHED:
                continue
            rev = revisions.get(wanted[article.id])
            if rev is None:
                continue
            yield json.dumps(
                {
                    "external_id": article.external_id or f"kb-{article.id}",
                    "title": rev.title,
                    "scenario": rev.scenario,
                    "solution": rev.solution,
                    "notes": rev.notes,
                    "category": paths.get(rev.category_id, "") if rev.category_id else "",
                    "tags": tags.get(rev.id, []),
                    "tickets": links.get(article.id, []),
                    "audience": rev.audience,
                    "status": article.status,
                },
                ensure_ascii=False,
            )
        last_id = articles[-1].id


__all__ = ["CATEGORY_SEPARATOR", "ImportNotAllowed", "ImportReport", "export_lines", "import_articles"]
