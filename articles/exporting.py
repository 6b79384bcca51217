"""Export of articles as JSON Lines in the import format (``portal export-articles``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlmodel import Session, col, select

from articles.categories import category_paths
from articles.models import ArticleStatus, TicketLink
from articles.revision_batches import article_pages, shown_revisions
from portal.db import saved_id


def export_lines(session: Session, *, include_unpublished: bool = True, batch: int = 1000) -> Iterator[str]:
    """Articles as JSON lines in the import format: the live revision if any, else the newest one."""
    paths = category_paths(session)
    for articles in article_pages(session, batch):
        revisions, tags = shown_revisions(session, articles)
        links: dict[int, list[str]] = {}
        for article_id, ticket in session.exec(
            select(TicketLink.article_id, TicketLink.ticket_id)
            .where(col(TicketLink.article_id).in_([a.id for a in articles]))
            .order_by(col(TicketLink.id))
        ).all():
            links.setdefault(article_id, []).append(ticket)
        for article in articles:
            if not include_unpublished and article.state is not ArticleStatus.PUBLISHED:
                continue
            rev = revisions.get(saved_id(article))
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
                    "tags": tags.get(saved_id(rev), []),
                    "tickets": links.get(saved_id(article), []),
                    "audience": rev.audience,
                    "status": article.status,
                },
                ensure_ascii=False,
            )
