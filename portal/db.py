"""Engine, per-request session and the single place that commits.

Services receive a ``Session``, change objects and ``flush()``; they never commit.  The owner of the
unit of work (the request in ``after_request``, or a CLI command through ``session_scope``) calls
``commit_session`` once.  Work that must happen only after the data is durable (search index writes,
vector updates) is queued with ``after_commit`` and runs right after that commit; a failure there is
logged and never undoes the database change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from flask import Flask, Response, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

_AFTER_COMMIT_KEY = "portal.after_commit"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a generous busy timeout for several workers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def init_app(app: Flask) -> None:
    """Attach the engine to ``app`` and make every request own exactly one commit."""
    app.extensions["portal.engine"] = make_engine(app.config["DATABASE_URL"])

    @app.after_request
    def _commit_or_rollback(response: Response) -> Response:
        session: Session | None = g.pop("_db_session", None)
        if session is None:
            return response
        try:
            if response.status_code < 400 or g.pop("_db_commit_on_error", False):
                commit_session(session)
            else:
                rollback_session(session)
        finally:
            session.close()
        return response

    @app.teardown_request
    def _close(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:  # an exception skipped after_request: nothing may be committed
            rollback_session(session)
            session.close()


def commit_even_on_error() -> None:
    """Keep this request's changes although it answers with an error status (e.g. a failed login,
    whose failure record is what the throttle counts)."""
    g._db_commit_on_error = True


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["portal.engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    session = g.get("_db_session")
    if session is None:
        session = Session(get_engine(), expire_on_commit=False)
        g._db_session = session
    return session


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's transaction is committed; dropped on rollback."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def commit_session(session: Session) -> None:
    """Commit, then run the queued after-commit callbacks; their failures are logged, not raised."""
    session.commit()
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit task %r failed; the database change stands", callback)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def saved_id(row: _Row) -> int:
    """The primary key of a row that was loaded or flushed.

    Models type ``id`` as ``int | None`` because it is unknown until the first flush; code that works on
    stored rows uses this instead of repeating the ``None`` check.
    """
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id: it was never flushed")
    return row.id


def rollback_session(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)
    session.rollback()


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A unit of work outside a request (CLI, start-up tasks): commit on success, roll back on error."""
    session = Session(get_engine(app), expire_on_commit=False)
    try:
        yield session
        commit_session(session)
    except BaseException:
        rollback_session(session)
        raise
    finally:
        session.close()
