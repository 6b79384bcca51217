"""Bulk import of articles as JSON Lines; the line format is in ``articles.import_lines``.

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

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from articles.access import can_edit, is_lead
from articles.categories import tag_ids
from articles.import_lines import ImportLine, ImportNotAllowed, ImportReport, read_lines, resolve_categories
from articles.lifecycle import DEFAULT_REVIEW_DUE_DAYS
from articles.models import Article, ArticleRevision, ArticleStatus, RevisionStatus, RevisionTag, TicketLink
from articles.revisions import copy_revision_images, current_revision, revision_content, set_revision_tags
from portal.accounts import roles_of
from portal.audit import record
from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.db import saved_id
from portal.models import Role, User
from portal.timeutil import utcnow
from search_index import article_changed

CHUNK = 1000


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_articles(
    session: Session,
    lines: Iterable[str | bytes],
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
    parsed = read_lines(lines, ticket_pattern, report)
    valid = resolve_categories(session, parsed, create_categories, report)

    existing: dict[str, Article] = {}
    ext_ids = [i.external_id for i in valid if i.external_id]
    for chunk in _chunks(ext_ids, 500):
        for article in session.exec(select(Article).where(col(Article.external_id).in_(chunk))).all():
            if article.external_id is not None:  # always: the query matched it
                existing[article.external_id] = article

    # export_lines writes 'kb-<id>' for articles without an external ID; match those back to the article.
    own_ids = {
        int(ext[3:]): ext
        for ext in ext_ids
        if ext not in existing and ext.startswith("kb-") and ext[3:].isdigit()
    }
    for chunk in _chunks(sorted(own_ids), 500):
        for article in session.exec(
            select(Article).where(col(Article.id).in_(chunk), col(Article.external_id).is_(None))
        ).all():
            existing[own_ids[saved_id(article)]] = article

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
    items: list[ImportLine],
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
        # RETURNING yields the new rows' primary keys, which are never NULL.
        article_ids = cast(
            list[int],
            list(
                session.scalars(
                    insert(Article).returning(col(Article.id), sort_by_parameter_order=True),
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
            ),
        )
        revision_ids = list(
            session.scalars(
                insert(ArticleRevision).returning(col(ArticleRevision.id), sort_by_parameter_order=True),
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
            article_changed(session, article_id)
        report.created += len(article_ids)
        report.article_ids.extend(article_ids)
    session.flush()


def _content(item: ImportLine) -> dict[str, Any]:
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
    item: ImportLine,
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
            if not publish and not can_edit(session, actor, article):
                # The same rule as the edit page and the API: someone else's pending work is theirs.
                raise ValueError(
                    f"article {article.external_id!r} has a pending change by another user; "
                    "only its author or a lead may change it"
                )
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
                set_revision_tags(session, saved_id(rev), content["tags"])
            else:
                if rev.state.is_pending() and rev.id != article.live_revision_id:
                    rev.status = RevisionStatus.SUPERSEDED.value
                    session.add(rev)
                new = ArticleRevision(
                    article_id=saved_id(article),
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
                set_revision_tags(session, saved_id(new), content["tags"])
                copy_revision_images(session, saved_id(rev), saved_id(new))  # an import changes the text only
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
            article_changed(session, saved_id(article))
            report.updated += 1
            report.article_ids.append(saved_id(article))
    except ValueError as exc:
        report.errors.append((item.line_no, str(exc)))


def _add_links(session: Session, article: Article, item: ImportLine, actor_id: int | None, now) -> int:
    if not item.tickets:
        return 0
    have = set(session.exec(select(TicketLink.ticket_id).where(TicketLink.article_id == article.id)).all())
    added = 0
    for ticket in item.tickets:
        if ticket not in have:
            session.add(
                TicketLink(
                    article_id=saved_id(article),
                    ticket_id=ticket,
                    user_id=actor_id,
                    reuse=False,
                    created_at=now,
                )
            )
            added += 1
    session.flush()
    return added
