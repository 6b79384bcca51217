"""One :class:`search_index.SearchEngine` per worker process, created on first use.

The index directory is ``app.config['INDEX_DIR']`` (shared by the node's workers); documents come from
``articles.search_documents``.  A forked process (gunicorn) notices the new pid and builds its own
engine, so no Whoosh reader or lock crosses a fork.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from sqlmodel import Session, col, select

from articles.search.privacy import mask_logged_query
from search_index import VECTOR_STATUSES, EngineConfig, SearchEngine, build_engine, register_commit_hook

_KEY = "search.engine"


def get_engine(app: Flask):
    # Imported here: articles.search.runtime is imported while the portal package itself initialises.
    from portal.db import get_engine as portal_engine

    return portal_engine(app)


def load_documents(session: Session, ids: list[int]) -> Mapping[int, Mapping[str, Any] | None]:
    """``{article id: search document or None}`` (None: the article is gone and leaves the index)."""
    from articles.search_documents import search_documents

    found = search_documents(session, list(ids))
    return {article_id: found.get(article_id) for article_id in ids}


def iter_documents(session: Session):
    from articles.search_documents import iter_search_documents

    return iter_search_documents(session)


def vector_candidates(db_engine) -> list[int]:
    """Ids of the articles that should have a vector, from the database.

    Start-up compares them with the loaded vectors; one indexed query instead of reading every stored
    document of the index (which cost each worker seconds of CPU at 69,000 articles, while it served).
    """
    from articles.models import Article

    with Session(db_engine) as session:
        wanted = col(Article.status).in_(sorted(VECTOR_STATUSES))
        return [i for i in session.exec(select(col(Article.id)).where(wanted)).all() if i is not None]


def get_search_engine(app: Flask | None = None) -> SearchEngine:
    """This process's search engine for ``app`` (the current app by default)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # the proxied app
    entry = app.extensions.get(_KEY)
    if entry is not None and entry[0] == os.getpid():
        return entry[1]
    db_engine = get_engine(app)
    engine = build_engine(
        EngineConfig(
            index_dir=app.config["INDEX_DIR"],
            db_engine=db_engine,
            load_documents=load_documents,
            iter_documents=iter_documents,
            semantic=app.config.get("SEMANTIC", "off"),
            vector_candidates=lambda: vector_candidates(db_engine),
            mask_logged=mask_logged_query,
            # Tests load the model and the vectors at once; a worker in a background thread.
            testing=bool(app.config.get("TESTING")),
        )
    )
    app.extensions[_KEY] = (os.getpid(), engine)
    # A weak reference: the hook registry must not keep test apps (and their open indexes) alive.
    app_ref = weakref.ref(app)

    def _engine_for_commit() -> SearchEngine | None:
        target = app_ref()
        return get_search_engine(target) if target is not None else None

    register_commit_hook(db_engine, _engine_for_commit)
    return engine


def start(app: Flask) -> None:
    """Start-up: load the admin's synonyms and words, then replay pending index changes (or build the
    index when this node has none yet).  Failures are logged; the app starts anyway."""
    db_engine = get_engine(app)
    get_search_engine(app).start(lambda: vector_candidates(db_engine))
