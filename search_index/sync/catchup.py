"""Keeping each node's search index in step with the database.

The database is the source of truth.  A service that changes an article's searchable text or visibility
calls :func:`search_index.sync.changes.article_changed` inside its transaction; that writes a
:class:`SearchChange` row *in the same transaction*, so the change is durable exactly when the article
change is.  After the commit (:func:`search_index.sync.changes.register` hooks it) the node's :class:`IndexSync` applies every change row it has not applied yet (reading the article's current
state through the injected ``load_docs``) and records what it applied in a cursor file in the index
directory.  Consequences:

- A crash (or a full disk, or a busy lock) between commit and index write loses nothing: the row stays
  unapplied and the next :meth:`IndexSync.catch_up` (after any later commit, before a search, at start-up,
  or ``portal reindex``) applies it.  An index failure is logged and never fails the database change.
- Several workers of one node share the index directory and the cursor; catch-up runs under an
  inter-process file lock, so changes are applied one writer at a time and never with older data after
  newer data (reading the rows, loading the documents and writing happen under the same lock).
- Several nodes (PostgreSQL) each keep their own index and cursor and apply the same rows.

Sequence ids can commit out of order on PostgreSQL (transaction A takes id 10, B takes 11, B commits
first), so the cursor (:class:`search_index.sync.changes.Cursor`) is not a plain "max id": it keeps the ids
applied within the last ``LOOKBACK`` ids and catch-up re-reads that window, applying late commits it has
not seen.  A transaction that stays open while more than ``LOOKBACK`` other changes commit would be
missed; ``portal check-index`` reports such drift and ``portal reindex`` repairs it.

Old change rows are pruned (:func:`search_index.sync.changes.prune_changes`, after a commit or at start-up, at
most every :data:`PRUNE_INTERVAL` per process); a node whose cursor is older than the oldest row left
rebuilds.
No Flask here; the web layer registers the engine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session

from search_index.lexical.documents import compute_content_hash
from search_index.lexical.index import SearchIndex
from search_index.models import SearchChange
from search_index.sync.changes import (
    CHANGE_RETENTION,
    Cursor,
    cursor_at_newest,
    has_new_changes,
    oldest_change_id,
    pending_changes,
    prune_changes,
)
from search_index.sync.filelock import file_lock

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_E = TypeVar("_E")

#: Changes applied per index commit during catch-up (a bulk import leaves thousands).
BATCH = 500
#: More pending changes than this are applied by a full rebuild (reading every article in bulk is far
#: cheaper than loading thousands one by one after a big import).
REBUILD_ABOVE = 2000
#: ``catch_up_if_due`` looks at the database at most this often (seconds) per process.
POLL_INTERVAL = 0.5
#: Each process prunes old change rows at most this often (seconds), after a commit or at start-up.
PRUNE_INTERVAL = 6 * 3600.0

CURSOR_FILE = "sync-cursor.json"
LOCK_FILE = "sync.lock"

LoadDocs = Callable[[Session, list[int]], Mapping[int, Mapping[str, Any] | None]]
IterDocs = Callable[[Session], Iterable[Mapping[str, Any]]]


class SyncBusy(RuntimeError):
    """Another process holds the catch-up lock for longer than the caller wanted to wait."""


def rebuild_procs() -> int:
    """Processes ``portal reindex`` analyses with: every core, at most four (the database read and the
    final commit are serial, so more would wait)."""
    return max(1, min(os.cpu_count() or 1, 4))


def empty_safe(index: SearchIndex, call: Callable[[], _T], empty: _E) -> _T | _E:
    """``call()``, or ``empty`` when it fails only because the Whoosh index holds no segment at all.

    Defensive: some ``SearchIndex`` versions could not build a reader snapshot of a brand-new (or
    rebuilt-from-nothing) index (AttributeError); an empty index simply has nothing to return.
    """
    try:
        return call()
    except AttributeError:
        if index.holds_no_documents():
            return empty
        raise


@dataclass
class DriftReport:
    """Differences between the database and the index, by article id."""

    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # in both, with different content
    extra: list[int | str] = field(default_factory=list)  # in the index, not in the database
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


# --- the synchroniser -------------------------------------------------------------------------------


class IndexSync:
    """Applies ``search_changes`` rows to one node's :class:`SearchIndex`.

    :param index: this process's index object (its directory is shared by the node's workers).
    :param engine: the database engine to read changes and documents with.
    :param load_docs: ``load_docs(session, ids) -> {id: document or None}``; ``None`` (or a missing key)
        removes the article from the index.
    :param iter_docs: ``iter_docs(session)`` yields every indexable document (for rebuild and check).
    """

    def __init__(
        self,
        index: SearchIndex,
        engine: Engine,
        load_docs: LoadDocs,
        iter_docs: IterDocs | None = None,
        *,
        poll_interval: float = POLL_INTERVAL,
        prune_interval: float = PRUNE_INTERVAL,
    ):
        self.index = index
        self.engine = engine
        self.load_docs = load_docs
        self.iter_docs = iter_docs
        self.poll_interval = poll_interval
        self.prune_interval = prune_interval
        self.cursor_path = Path(index.index_dir) / CURSOR_FILE
        self._lock_path = Path(index.index_dir) / LOCK_FILE
        self._thread_lock = threading.Lock()
        self._polled_at = 0.0
        self._pruned_at: float | None = None

    # -- locking and cursor file --------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self, timeout: float = 60.0) -> Iterator[None]:
        """Exclusive across the threads and processes of this node; :class:`SyncBusy` after ``timeout``."""
        deadline = time.monotonic() + timeout
        got = (
            self._thread_lock.acquire(timeout=timeout)
            if timeout > 0
            else self._thread_lock.acquire(blocking=False)
        )
        if not got:
            raise SyncBusy("another thread is applying index changes")
        try:
            with file_lock(
                self._lock_path, deadline, lambda: SyncBusy(f"index sync lock {self._lock_path} is busy")
            ):
                yield
        finally:
            self._thread_lock.release()

    def has_cursor(self) -> bool:
        return self.cursor_path.exists()

    def read_cursor(self) -> Cursor:
        try:
            return Cursor.from_json(self.cursor_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Cursor()
        except (ValueError, TypeError, AttributeError):
            # A damaged cursor: replaying everything is slow but correct (applying a change is idempotent).
            log.warning("search sync cursor %s is unreadable; replaying every change", self.cursor_path)
            return Cursor()

    def _write_cursor(self, cursor: Cursor) -> None:
        # Temp file + rename: a crash leaves either the old or the new cursor, never half of one.
        tmp = self.cursor_path.with_name(f".{CURSOR_FILE}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(cursor.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.cursor_path)

    # -- applying changes ---------------------------------------------------------------------------
    def pending(self, session: Session | None = None) -> list[tuple[int, int]]:
        """``(change id, article id)`` of the committed changes this node has not applied, oldest first."""
        cursor = self.read_cursor()
        with self._session(session) as s:
            return pending_changes(s, cursor)

    def catch_up(self, *, timeout: float = 60.0) -> int:
        """Apply every unapplied change; returns how many change rows were applied.

        Raises :class:`SyncBusy` when the lock stays taken for ``timeout`` seconds, and any index or
        database error; the cursor only moves past changes that really reached the index.
        """
        applied = 0
        with self.locked(timeout):
            with Session(self.engine, expire_on_commit=False) as session:
                queue = self.pending(session)
                missed = self.iter_docs is not None and self.missed_pruned_changes(session)
            waiting = len(queue)
            if self.iter_docs is not None and (waiting > REBUILD_ABOVE or missed):
                n = self._rebuild_locked(None)
                queue = self.pending()
                applied += waiting - len(queue)
                if missed:
                    log.warning(
                        "search index: changes this node never applied were pruned (it was down for longer "
                        "than %s); rebuilt it from the database with %d article(s)",
                        CHANGE_RETENTION,
                        n,
                    )
                else:
                    log.info("search index: %d changes pending; rebuilt it with %d article(s)", waiting, n)
            while True:
                if not queue:
                    # Reading the queue costs a scan of the look-back window (~1,000 rows); whether
                    # anything was committed while we applied is one aggregate query.
                    cursor = self.read_cursor()
                    with Session(self.engine) as session:
                        if not has_new_changes(session, cursor):
                            break
                        queue = pending_changes(session, cursor)
                    if not queue:
                        break
                todo, queue = queue[:BATCH], queue[BATCH:]
                with Session(self.engine, expire_on_commit=False) as session:
                    article_ids = sorted({aid for _cid, aid in todo})
                    docs = self.load_docs(session, article_ids)
                upserts = [doc for aid in article_ids if (doc := docs.get(aid)) is not None]
                deletes = [aid for aid in article_ids if docs.get(aid) is None]
                if upserts:
                    self.index.upsert(upserts)
                if deletes:
                    self.index.delete(deletes)
                cursor = self.read_cursor()
                cursor.add(cid for cid, _aid in todo)
                self._write_cursor(cursor)
                applied += len(todo)
        if applied:
            empty_safe(self.index, lambda: self.index.refresh(force=True), None)
            log.debug("search index: applied %d change(s)", applied)
        return applied

    def missed_pruned_changes(self, session: Session | None = None) -> bool:
        """True when change rows this node never applied have been pruned: the newest change it applied
        is older than the row before the oldest one left (the node was down for longer than
        :data:`~search_index.sync.changes.CHANGE_RETENTION`).  Only a rebuild can bring such an index back."""
        with self._session(session) as s:
            oldest = oldest_change_id(s)
        return oldest is not None and self.read_cursor().newest < oldest - 1

    def prune_if_due(self) -> int:
        """Prune old change rows (:func:`~search_index.sync.changes.prune_changes`) at most every
        :data:`PRUNE_INTERVAL` seconds per process, in a transaction of its own; never raises."""
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < self.prune_interval:
            return 0
        self._pruned_at = now
        try:
            with Session(self.engine) as session:
                deleted = prune_changes(session)
                session.commit()
        except Exception:
            log.exception("could not prune old search changes; they are pruned at a later catch-up")
            return 0
        if deleted:
            log.info("search changes: pruned %d row(s) older than %s", deleted, CHANGE_RETENTION)
        return deleted

    def catch_up_if_due(self, session: Session | None = None) -> int:
        """Cheap check (at most every ``poll_interval`` s) for changes committed by other workers or nodes.

        Called before each search.  Never raises and never waits for the lock: when another process is
        applying changes, this search uses the index as it is and the next one looks again.
        """
        now = time.monotonic()
        if now - self._polled_at < self.poll_interval:
            return 0
        self._polled_at = now
        try:
            cursor = self.read_cursor()
            with self._session(session) as s:
                if not has_new_changes(s, cursor):
                    return 0
            return self.catch_up(timeout=0)
        except SyncBusy:
            self._polled_at = 0.0  # look again at the next search
            return 0
        except Exception:
            log.exception("search index catch-up failed; the changes stay queued and are retried")
            return 0

    def safe_catch_up(self, *, timeout: float = 5.0) -> int:
        """:meth:`catch_up` that logs instead of raising (after a commit, at start-up), then
        :meth:`prune_if_due`.

        Pruning writes, so it runs only here, where no transaction of the caller is open: the catch-up
        before a search runs inside a request that may hold SQLite's only write lock, and a DELETE from a
        second connection there would wait for that very request.
        """
        try:
            return self.catch_up(timeout=timeout)
        except SyncBusy:
            # Whoever holds the lock (or the next search) applies the change; nothing is lost.
            log.info("search index busy; the change is applied by the next catch-up")
        except Exception:
            log.exception("search index update failed; the database change stands and is retried later")
        finally:
            self.prune_if_due()
        self._polled_at = 0.0
        return 0

    def start(self) -> None:
        """Start-up: a node without a cursor builds its index from the database, others replay changes."""
        try:
            if not inspect(self.engine).has_table(SearchChange.__tablename__):
                log.debug("search tables do not exist yet; index sync skipped")
                return
            if not self.has_cursor() and self.iter_docs is not None:
                with self.locked(timeout=600):
                    if not self.has_cursor():  # another worker may have built it while we waited
                        n = self._rebuild_locked(None)
                        log.info("search index built from the database: %d article(s)", n)
                        return
            self.safe_catch_up(timeout=60)
        except Exception:
            log.exception("search index start-up sync failed; search may be stale until `portal reindex`")

    # -- full rebuild and drift check ---------------------------------------------------------------
    def rebuild(self, progress: Callable[[int], None] | None = None, *, procs: int = 1) -> int:
        """Rebuild the whole index from ``iter_docs``; returns the number of documents indexed.

        The changes committed before the rebuild started are marked applied; changes committed while it
        runs (or still in flight) stay pending and are applied by the next catch-up. ``procs``: see
        :meth:`SearchIndex.rebuild` (``portal reindex`` passes :func:`rebuild_procs`).
        """
        with self.locked(timeout=600):
            return self._rebuild_locked(progress, procs)

    def _rebuild_locked(self, progress: Callable[[int], None] | None, procs: int = 1) -> int:
        if self.iter_docs is None:
            raise RuntimeError("IndexSync needs iter_docs to rebuild")
        with Session(self.engine, expire_on_commit=False) as session:
            cursor = cursor_at_newest(session)
            n = self.index.rebuild(self.iter_docs(session), progress, progress_every=100, procs=procs)
        self._write_cursor(cursor)
        empty_safe(self.index, lambda: self.index.refresh(force=True), None)
        return n

    def check(self, session: Session | None = None) -> DriftReport:
        """Compare the database (``iter_docs``) with the index by content hash."""
        if self.iter_docs is None:
            raise RuntimeError("IndexSync needs iter_docs to check")

        def indexed_hashes() -> dict[int | str, str]:
            self.index.refresh(force=True)
            return self.index.all_doc_hashes()

        in_index = empty_safe(self.index, indexed_hashes, {})
        report = DriftReport()
        with self._session(session) as s:
            for doc in self.iter_docs(s):
                report.checked += 1
                aid = doc["id"]
                want = doc.get("content_hash") or compute_content_hash(doc)
                have = in_index.pop(aid, None)
                if have is None:
                    have = in_index.pop(str(aid), None)
                if have is None:
                    report.missing.append(aid)
                elif have != want:
                    report.stale.append(aid)
        report.extra = sorted(in_index, key=str)
        report.missing.sort()
        report.stale.sort()
        return report

    @contextlib.contextmanager
    def _session(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
            return
        with Session(self.engine, expire_on_commit=False) as own:
            yield own
