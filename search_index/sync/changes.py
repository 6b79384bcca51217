"""The ``search_changes`` queue: recording article changes, applying them after commit, pruning old rows.

A service that changes an article's searchable text or visibility calls :func:`article_changed` inside its
transaction; the row it writes becomes durable exactly when the article change does.  :func:`register` lets
the commit of such a session run this process's :class:`search_index.sync.IndexSync` (which applies the
rows to the node's index and keeps its own cursor).

Every node applies every row, so a row can only go once all nodes have applied it.  Nodes keep their
cursors in their own index folders, invisible to each other, so :func:`prune_changes` goes by age instead:
rows older than :data:`CHANGE_RETENTION` were applied long ago by every node that was running.  A node that
was down for longer notices at its next catch-up that rows it never applied are gone
(:meth:`IndexSync.missed_pruned_changes`) and rebuilds its index from the database.  No Flask here.
"""

from __future__ import annotations

import json
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, event, func, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from search_index.models import SearchChange

log = logging.getLogger(__name__)

#: How many change ids below the newest applied one are re-read for late (out-of-order) commits.
LOOKBACK = 1000
#: Change rows younger than this are never pruned.  A node that was down for longer rebuilds its index.
CHANGE_RETENTION = timedelta(days=30)
#: The shortest retention :func:`prune_changes` accepts: a slip (seconds instead of days) must not empty
#: the queue under running nodes.
MIN_RETENTION = timedelta(days=1)

_DIRTY = "search_dirty"
_CHANGED_IDS = "search_changed_ids"


class AppliesChanges(Protocol):
    """What the commit hook needs from an index synchroniser (:class:`search_index.sync.IndexSync`)."""

    def safe_catch_up(self, *, timeout: float = ...) -> int: ...


# --- recording changes ------------------------------------------------------------------------------


def article_changed(session: Session, article_id: int) -> None:
    """Record that article ``article_id`` must be re-indexed (or removed) once this transaction commits.

    Adds a ``search_changes`` row in the caller's transaction (one per article and transaction) and marks
    the session, so the index is updated right after the commit.  Nothing happens on rollback.
    """
    if article_id is None:
        raise ValueError("article_changed needs the id of a flushed article")
    seen: set[int] = session.info.setdefault(_CHANGED_IDS, set())
    session.info[_DIRTY] = True
    if article_id in seen:
        return
    seen.add(article_id)
    session.add(SearchChange(article_id=int(article_id)))


def articles_changed(session: Session, article_ids: Iterable[int]) -> None:
    """:func:`article_changed` for many articles at once (bulk import): one multi-row INSERT."""
    seen: set[int] = session.info.setdefault(_CHANGED_IDS, set())
    fresh = sorted({int(i) for i in article_ids} - seen)
    session.info[_DIRTY] = True
    if not fresh:
        return
    seen.update(fresh)
    now = datetime.now(UTC)
    session.execute(insert(SearchChange), [{"article_id": i, "created_at": now} for i in fresh])


# --- reading the queue -------------------------------------------------------------------------------


@dataclass
class Cursor:
    """What this node's index already contains: every change id ``<= floor`` and the ids in ``applied``.

    ``applied`` holds only ids above ``floor``; ``floor`` trails the newest applied id by LOOKBACK, and
    catch-up re-reads every id above ``floor`` so that a late commit inside the window is not lost.
    """

    floor: int = 0
    applied: set[int] = field(default_factory=set)

    @property
    def newest(self) -> int:
        return max(self.applied, default=self.floor)

    def add(self, ids: Iterable[int]) -> None:
        self.applied.update(ids)
        low = self.newest - LOOKBACK
        if low > self.floor:
            self.floor = low
            self.applied = {i for i in self.applied if i > low}

    def is_applied(self, change_id: int) -> bool:
        return change_id <= self.floor or change_id in self.applied

    def to_json(self) -> str:
        return json.dumps({"floor": self.floor, "applied": sorted(self.applied)})

    @classmethod
    def from_json(cls, text: str) -> Cursor:
        data = json.loads(text)
        floor = int(data.get("floor", 0))
        return cls(floor, {int(i) for i in data.get("applied", []) if int(i) > floor})


def pending_changes(session: Session, cursor: Cursor) -> list[tuple[int, int]]:
    """``(change id, article id)`` of the committed changes ``cursor`` has not applied, oldest first."""
    change_id = col(SearchChange.id)
    rows = session.exec(
        select(change_id, SearchChange.article_id).where(change_id > cursor.floor).order_by(change_id)
    ).all()
    return [(int(cid), aid) for cid, aid in rows if cid is not None and not cursor.is_applied(cid)]


def has_new_changes(session: Session, cursor: Cursor) -> bool:
    """One cheap query: has anything been committed that ``cursor`` has not applied?"""
    newest, count = session.exec(
        select(func.max(SearchChange.id), func.count()).where(col(SearchChange.id) > cursor.floor)
    ).one()
    # A late commit inside the window does not raise the max id, but it does raise the count.
    return newest is not None and (newest > cursor.newest or count > len(cursor.applied))


def cursor_at_newest(session: Session) -> Cursor:
    """A cursor that counts every change committed so far as applied (after a full rebuild or load)."""
    newest = session.exec(select(func.max(SearchChange.id))).one() or 0
    low = max(0, newest - LOOKBACK)
    change_id = col(SearchChange.id)
    seen = session.exec(select(change_id).where(change_id > low, change_id <= newest)).all()
    return Cursor(floor=low, applied={int(i) for i in seen if i is not None})


# --- pruning --------------------------------------------------------------------------------------------


def oldest_change_id(session: Session) -> int | None:
    """The smallest change id still stored (``None`` for an empty queue)."""
    return session.exec(select(func.min(SearchChange.id))).one()


def prune_changes(
    session: Session, *, older_than: timedelta = CHANGE_RETENTION, now: datetime | None = None
) -> int:
    """Delete the change rows created before ``now - older_than``; returns how many were deleted.

    The newest row is always kept, whatever its age: SQLite gives a new row the largest id plus one, so an
    emptied table would hand out ids that nodes' cursors already count as applied.  Raises ``ValueError``
    for a retention under :data:`MIN_RETENTION`.  Only flushes; the caller commits.
    """
    if older_than < MIN_RETENTION:
        raise ValueError(f"change retention must be at least {MIN_RETENTION}, not {older_than}")
    cutoff = (now or datetime.now(UTC)) - older_than
    newest = session.exec(select(func.max(SearchChange.id))).one()
    if newest is None:
        return 0
    result = session.execute(
        delete(SearchChange).where(col(SearchChange.created_at) < cutoff, col(SearchChange.id) < newest)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


# --- after-commit hook ------------------------------------------------------------------------------

# engine → factory of this process's IndexSync (a factory, so every forked worker builds its own)
_registry: weakref.WeakKeyDictionary[Engine, Callable[[], AppliesChanges | None]] = (
    weakref.WeakKeyDictionary()
)
_installed = False


def register(engine: Engine, get_sync: Callable[[], AppliesChanges | None]) -> None:
    """Let sessions bound to ``engine`` apply their changes through ``get_sync()`` after each commit."""
    install()
    _registry[engine] = get_sync


def unregister(engine: Engine) -> None:
    _registry.pop(engine, None)


def install() -> None:
    """Listen to every Session's commits (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(OrmSession, "after_commit", _after_commit)
    event.listen(OrmSession, "after_soft_rollback", _after_rollback)
    _installed = True


def _after_commit(session: OrmSession) -> None:
    session.info.pop(_CHANGED_IDS, None)
    if not session.info.pop(_DIRTY, False):
        return
    try:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        get_sync = _registry.get(engine)
        sync = get_sync() if get_sync is not None else None
    except Exception:
        log.exception("no search index for this session; its changes are applied by the next catch-up")
        return
    if sync is not None:
        # Never raises: the commit has happened and must stand whatever the index does.
        sync.safe_catch_up()


def _after_rollback(session: OrmSession, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: its change rows are gone
        session.info.pop(_CHANGED_IDS, None)
        session.info.pop(_DIRTY, None)
