"""Shared arrangements of the search tests."""

from __future__ import annotations

from sqlmodel import Session, select

from articles.search.runtime import get_search_engine
from search_index.models import SearchChange
from tests.factories import make_article, make_user


def people(db):
    """An agent (author), a lead (reviewer) and an admin."""
    return (
        make_user(db, "agent1", ("agent",)),
        make_user(db, "lead1", ("lead",)),
        make_user(db, "admin1", ("admin",)),
    )


def published(db, author, reviewer, title, **kwargs):
    return make_article(db, author, title=title, status="published", reviewer=reviewer, **kwargs)


def engine(app):
    return get_search_engine(app)


def indexed_ids(app) -> set:
    eng = engine(app)
    eng.index.refresh(force=True)
    from search_index.sync.catchup import empty_safe

    return set(empty_safe(eng.index, eng.index.all_doc_hashes, {}))


def change_rows(db: Session) -> list[SearchChange]:
    db.expire_all()
    return list(db.exec(select(SearchChange).order_by(SearchChange.id)).all())
