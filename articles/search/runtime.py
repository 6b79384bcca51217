"""One :class:`~search_index.service.SearchEngine` per worker process, created on first use.

The index directory is ``app.config['INDEX_DIR']`` (shared by the node's workers); documents come from
``articles.search_documents``.  A forked process (gunicorn) notices the new pid and builds its own
engine, so no Whoosh reader or lock crosses a fork.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlmodel import Session, select

from articles.search.privacy import mask_logged_query
from search_index import changes as index_changes
from search_index.index import SearchIndex
from search_index.service import SearchEngine, SettingsCache
from search_index.sync import IndexSync
from search_index.vectors import VectorStore

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
    from search_index.vector_rows import VECTOR_STATUSES

    with Session(db_engine) as session:
        return list(session.exec(select(Article.id).where(Article.status.in_(sorted(VECTOR_STATUSES)))).all())


def get_search_engine(app: Flask | None = None) -> SearchEngine:
    """This process's search engine for ``app`` (the current app by default)."""
    app = app or current_app._get_current_object()
    entry = app.extensions.get(_KEY)
    if entry is not None and entry[0] == os.getpid():
        return entry[1]
    index = SearchIndex(app.config["INDEX_DIR"])
    db_engine = get_engine(app)
    sync = IndexSync(index, db_engine, load_documents, iter_documents)
    # The model is loaded once per process (a failure is logged and leaves search lexical, never a crash):
    # in a worker, in a background thread (searches are lexical for those seconds); in tests, right away.
    testing = bool(app.config.get("TESTING"))
    vectors = VectorStore(
        db_engine,
        load_documents,
        iter_documents,
        app.config.get("SEMANTIC", "off"),
        background=not testing,
        eager=testing,
    )
    engine = SearchEngine(index, sync, SettingsCache(), vectors, mask_logged=mask_logged_query)
    if not testing and vectors.setting != "off":
        vectors.start_in_background(
            lambda: vector_candidates(db_engine),
            warm_densities=engine.fusion_model is not None,
            density_dir=Path(app.config["INDEX_DIR"]),
        )
    app.extensions[_KEY] = (os.getpid(), engine)
    # A weak reference: the hook registry must not keep test apps (and their open indexes) alive.
    app_ref = weakref.ref(app)

    def _sync_for_commit():
        target = app_ref()
        return _CommitHook(get_search_engine(target)) if target is not None else None

    index_changes.register(db_engine, _sync_for_commit)
    return engine


class _CommitHook:
    """What runs after a commit that changed articles: the index first, then the vectors (never raising)."""

    def __init__(self, engine: SearchEngine):
        self.engine = engine

    def safe_catch_up(self, *, timeout: float = 5.0) -> int:
        applied = self.engine.sync.safe_catch_up(timeout=timeout) if self.engine.sync is not None else 0
        if self.engine.vectors is not None:
            self.engine.vectors.safe_catch_up()
        return applied


def start(app: Flask) -> None:
    """Start-up: load the admin's synonyms and words, then replay pending index changes (or build the
    index when this node has none yet).  Failures are logged; the app starts anyway."""
    engine = get_search_engine(app)
    if engine.sync is None:
        return
    if _tables_exist(app):
        with Session(get_engine(app)) as session:
            engine.settings.refresh_if_due(session)
    engine.sync.start()
    if engine.vectors is not None and engine.vectors.enabled and app.config.get("TESTING"):
        try:
            engine.vectors.load()
            # Articles nobody has embedded yet (semantic search just switched on, a new model): in the
            # background, so start-up stays fast; searches meanwhile fuse what is there.
            engine.vectors.schedule(engine.vectors.matrix.missing(vector_candidates(get_engine(app))))
        except Exception:
            engine.vectors._fail("loading the article vectors")


def _tables_exist(app: Flask) -> bool:
    from sqlalchemy import inspect

    from search_index.models import SearchSetting

    try:
        return inspect(get_engine(app)).has_table(SearchSetting.__tablename__)
    except Exception:
        return False
