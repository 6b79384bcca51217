"""Article vectors for semantic search: database rows, one matrix per worker, kept in step with articles.

Vectors live in ``search_vectors`` (:mod:`.vector_rows`), shared by every worker and node; each worker holds
them in one :class:`~.matrix.VectorMatrix`. After a commit that changed articles (the same ``search_changes``
feed as the index) :meth:`VectorStore.catch_up` re-embeds only the documents whose vector hash changed and
updates this worker's matrix; other workers replay the feed and mostly read the stored rows. Drafts,
articles in review and published ones have vectors; others lose theirs. Missing vectors are computed in a
background thread, and every failure of the model degrades to lexical search (:meth:`VectorStore.status`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from search_index.models import SearchVector
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.semantic import warmup
from search_index.semantic.matrix import VectorMatrix
from search_index.semantic.model import Embedder, bytes_to_vector, load_model
from search_index.semantic.vector_queries import VectorQueries
from search_index.semantic.vector_rows import (
    BATCH,
    VectorReport,
    check_vectors,
    delete_rows,
    embed_and_write,
    has_vector_table,
    read_vectors,
    stored_rows,
    vector_hash,
    wants_vector,
)
from search_index.sync.changes import Cursor, cursor_at_newest, has_new_changes, pending_changes

log = logging.getLogger(__name__)

#: Articles embedded right after a commit; more than this (a bulk import) go to the background.
COMMIT_BUDGET = 64
#: How often a worker looks for vectors written by other workers or nodes (seconds).
POLL_INTERVAL = 0.5

LoadDocs = Callable[[Session, list[int]], Mapping[int, Mapping[str, Any] | None]]
IterDocs = Callable[[Session], Iterable[Mapping[str, Any]]]


# --- the per-worker store -----------------------------------------------------------------------------


class VectorStore:
    """One worker's semantic state: the model (or why there is none), its matrix, and the sync with the DB."""

    def __init__(
        self,
        engine: Engine,
        load_docs: LoadDocs,
        iter_docs: IterDocs | None = None,
        setting: str | None = "off",
        *,
        loader: Callable[[str], Embedder | None] | None = None,
        background: bool = True,
        poll_interval: float = POLL_INTERVAL,
        eager: bool = True,
        ranking: RankingConfig = DEFAULT_RANKING,
    ):
        self.engine = engine
        self.load_docs = load_docs
        self.iter_docs = iter_docs
        self.setting = (setting or "off").strip().lower()
        self.background = background
        self.poll_interval = poll_interval
        self._loader = loader
        self.embedder: Embedder | None = None
        self.reason = ""
        self.load_seconds = 0.0
        self.matrix: VectorMatrix | None = None
        self._model_ready = threading.Event()
        self._model_lock = threading.Lock()
        self._hashes: dict[int, str] = {}
        self._cursor = Cursor()
        self._loaded = False
        self._polled_at = 0.0
        #: Articles waiting for their vector to be computed in the background.
        self.pending: set[int] = set()
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._failed_once = False
        self.ranking = ranking
        self._matrix_options = {"density_neighbours": ranking.density_neighbours}
        self._matrix_options["density_candidates"] = ranking.density_candidates
        #: The read-only queries a search asks (semantic ranking, cosines, densities, similar articles).
        self.queries = VectorQueries(self._ready, self.schedule, ranking)

        if eager or self.setting in ("off", "none", "0", "false", ""):
            self.ensure_model()

    # -- the model ----------------------------------------------------------------------------------
    def ensure_model(self) -> bool:
        """Load the model now (once); returns whether semantic search is available.  Never raises."""
        with self._model_lock:
            if not self._model_ready.is_set():
                started = time.monotonic()
                self.embedder, self.reason = load_model(self.setting, self._loader)
                self.load_seconds = round(time.monotonic() - started, 2)
                self.matrix = (
                    VectorMatrix(self.embedder.dim, **self._matrix_options) if self.embedder else None
                )
                self._model_ready.set()
        return self.embedder is not None

    def start_in_background(
        self,
        known_ids: Callable[[], Iterable[Any]] | None = None,
        *,
        warm_densities: bool = False,
        density_dir: Path | None = None,
    ) -> threading.Thread:
        """Load the model, the vectors and the densities in a thread (see :mod:`.warmup`)."""
        return warmup.start_in_background(
            self, known_ids, warm_densities=warm_densities, density_dir=density_dir
        )

    # -- state --------------------------------------------------------------------------------------
    def _matrix(self) -> VectorMatrix:
        if self.matrix is None:
            raise RuntimeError("semantic search has no matrix (no model loaded)")
        return self.matrix

    def _ready(self) -> tuple[Embedder, VectorMatrix] | None:
        if self.enabled and self.embedder is not None and self.matrix is not None:
            return self.embedder, self.matrix
        return None

    @property
    def enabled(self) -> bool:
        """True once a model is loaded (False while it loads, when off, or when it failed)."""
        return self._model_ready.is_set() and self.embedder is not None

    @property
    def model_name(self) -> str | None:
        return self.embedder.name if self.embedder is not None else None

    def status(self) -> dict[str, Any]:
        """For the admin page: ``state`` is ``off`` (setting), ``active`` or ``failed`` (with ``reason``)."""
        if self.setting in ("off", "none", "0", "false", ""):
            state = "off"
        elif not self._model_ready.is_set():
            state = "loading"
        else:
            state = "active" if self.enabled else "failed"
        return {
            "setting": self.setting,
            "state": state,
            "model": self.model_name,
            "dim": self.embedder.dim if self.embedder else None,
            "reason": self.reason,
            "vectors": len(self.matrix) if self.matrix is not None else 0,
            "memory_mb": round(self.matrix.nbytes / 2**20, 1) if self.matrix is not None else 0.0,
            "pending": len(self.pending),
            "load_seconds": self.load_seconds,
        }

    def report_failure(self, what: str) -> None:
        """Log a failure of the semantic side (the traceback once per process); search stays lexical."""
        if not self._failed_once:
            log.exception("semantic search: %s failed; lexical results only", what)
            self._failed_once = True
        else:
            log.debug("semantic search: %s failed again", what, exc_info=True)

    # -- loading and replaying the change feed ------------------------------------------------------
    def load(self) -> int:
        """Read every stored vector of this model into a fresh matrix (start-up); returns how many."""
        embedder = self.embedder
        if not self.enabled or embedder is None or not has_vector_table(self.engine):
            return 0
        # The whole load under the lock: a search's note_missing/schedule then waits instead of queueing
        # every article of a matrix that is still empty.
        with self._lock, Session(self.engine) as session:
            cursor = cursor_at_newest(session)
            ids, rows, hashes = read_vectors(session, embedder.name, embedder.dim)
            matrix = VectorMatrix.from_float16_rows(ids, rows, **self._matrix_options)
            matrix.prepare()
            self.matrix = matrix
            self._hashes = hashes
            self._cursor = cursor
            self._loaded = True
        log.info("semantic search: %d article vector(s) loaded (%s)", len(ids), self.model_name)
        return len(ids)

    def catch_up(self, budget: int | None = COMMIT_BUDGET, *, defer_writes: bool = False) -> int:
        """Apply the changes this worker has not seen; returns how many articles were looked at.

        At most ``budget`` articles are embedded now, the rest in the background.  With ``defer_writes``
        nothing is written to the database from this thread (see :meth:`apply`).  Raises on database
        errors (see :meth:`safe_catch_up`).
        """
        if not self.enabled:
            return 0
        with self._lock:
            if not self._loaded:
                self.load()
            with Session(self.engine) as session:
                todo = pending_changes(session, self._cursor)
            if not todo:
                return 0
            ids = sorted({aid for _cid, aid in todo})
            self.apply(ids, budget=budget, defer_writes=defer_writes)
            self._cursor.add(cid for cid, _aid in todo)
            return len(ids)

    def safe_catch_up(self, budget: int | None = COMMIT_BUDGET) -> int:
        """:meth:`catch_up` that logs instead of raising (after a commit)."""
        try:
            return self.catch_up(budget)
        except Exception:
            self.report_failure("vector update")
            return 0

    def catch_up_if_due(self) -> int:
        """Before a search: at most every ``poll_interval`` s; never raises."""
        if not self.enabled:
            return 0
        now = time.monotonic()
        if now - self._polled_at < self.poll_interval:
            return 0
        self._polled_at = now
        try:
            if self._loaded:
                with Session(self.engine) as session:
                    if not has_new_changes(session, self._cursor):
                        return 0
            # Another thread of this worker is applying changes: search with the matrix as it is.
            if not self._lock.acquire(blocking=False):
                self._polled_at = 0.0
                return 0
            try:
                # The caller is a request that may already hold the database's write lock (SQLite: one
                # writer at a time): a write from a second connection here would wait for that very
                # request and stall it for the whole busy timeout.  Stored vectors are read now; what
                # needs writing goes to the background thread.
                return self.catch_up(COMMIT_BUDGET, defer_writes=True)
            finally:
                self._lock.release()
        except Exception:
            self.report_failure("vector catch-up")
            return 0

    def apply(self, ids: Iterable[int], budget: int | None = None, *, defer_writes: bool = False) -> None:
        """Bring the vectors of ``ids`` up to date (stored row, this worker's matrix).

        ``defer_writes``: only read the database here; this worker's matrix is updated at once from the
        stored rows (and loses articles that no longer want a vector), while embedding and deleting stored
        rows are left to the background thread.
        """
        ids = sorted({int(i) for i in ids})
        embedder = self.embedder
        if not ids or not self.enabled or embedder is None:
            return
        with Session(self.engine) as session:
            docs = self.load_docs(session, ids)
            stored = stored_rows(session, ids)
        gone = [i for i in ids if not wants_vector(docs.get(i))]
        to_embed: list[Mapping[str, Any]] = []
        for i in ids:
            doc = docs.get(i)
            if not wants_vector(doc):
                continue
            want = vector_hash(embedder.name, doc)
            row = stored.get(i)
            if row is not None and row[1] == embedder.name and row[2] == want:
                if self._hashes.get(i) != want or i not in self._matrix():
                    vec = bytes_to_vector(row[3], embedder.dim)
                    if vec is None:
                        to_embed.append(doc)
                        continue
                    self._matrix().set(i, vec)
                    self._hashes[i] = want
                self.pending.discard(i)
            else:
                to_embed.append(doc)
        if gone:
            for i in gone:
                self._matrix().remove(i)
                self._hashes.pop(i, None)
                self.pending.discard(i)
            if defer_writes:
                self.schedule(i for i in gone if i in stored)
            else:
                delete_rows(self.engine, [i for i in gone if i in stored])
        if defer_writes:
            budget = 0
        now = to_embed if budget is None else to_embed[:budget]
        later = [] if budget is None else to_embed[budget:]
        done = embed_and_write(self.engine, embedder, now)
        with self._lock:
            for article_id, content_hash, vec in done:
                self._matrix().set(article_id, vec)
                self._hashes[article_id] = content_hash
                self.pending.discard(article_id)
        if later:
            self.schedule(int(d["id"]) for d in later)

    # -- lazy (background) embedding ----------------------------------------------------------------
    def schedule(self, ids: Iterable[int]) -> None:
        """Compute the vectors of ``ids`` in the background (or at the next :meth:`drain`)."""
        if not self.enabled:
            return
        with self._lock:
            self.pending.update(int(i) for i in ids)
            if not self.pending or not self.background:
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._drain_quietly, name="vector-lazy", daemon=True)
                self._thread.start()

    def note_missing(self, ids: Iterable[Any]) -> None:
        """Search hits without a vector in this worker: fetch or compute theirs lazily.

        Not before the stored vectors are loaded: the matrix is empty until then, the start-up thread
        schedules every article without a vector itself, and it holds the lock :meth:`schedule` takes
        for the whole load (a search waited for it, 0.7-0.9 s at 69,979 vectors)."""
        if self.matrix is None or not self._loaded:
            return
        missing = [i for i in self.matrix.missing(ids) if isinstance(i, int) and i not in self.pending]
        if missing:
            self.schedule(missing)

    def drain(self) -> int:
        """Compute every scheduled vector now; returns how many articles were handled."""
        done = 0
        while self.enabled:
            with self._lock:
                # A random batch: the workers of a node then mostly embed different articles and read
                # each other's rows instead of all embedding the same ones.
                batch = random.sample(sorted(self.pending), min(BATCH, len(self.pending)))
                self.pending.difference_update(batch)
            if not batch:
                break
            self.apply(batch, budget=None)
            done += len(batch)
        return done

    def _drain_quietly(self) -> None:
        try:
            self.drain()
        except Exception:
            self.report_failure("background embedding")

    def wait_idle(self, timeout: float = 30.0) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # -- rebuild and check --------------------------------------------------------------------------
    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Recompute every article's vector (batch embedding) and drop rows of articles without one."""
        embedder = self.embedder
        if not self.enabled or self.iter_docs is None or embedder is None:
            return 0
        with Session(self.engine) as session:
            cursor = cursor_at_newest(session)
            docs = [d for d in self.iter_docs(session) if wants_vector(d)]
        done = embed_and_write(self.engine, embedder, docs, progress)
        keep = {article_id for article_id, _h, _v in done}
        with Session(self.engine) as session:
            stale = [i for i in session.exec(select(SearchVector.article_id)).all() if i not in keep]
        delete_rows(self.engine, stale)
        matrix = (
            VectorMatrix.from_arrays(
                [i for i, _h, _v in done], np.vstack([v for _i, _h, v in done]), **self._matrix_options
            )
            if done
            else VectorMatrix(embedder.dim, **self._matrix_options)
        )
        with self._lock:
            self.matrix, self._hashes, self._loaded = matrix, {i: h for i, h, _v in done}, True
            self._cursor = cursor
            self.pending.clear()
        # Changes committed while we embedded are replayed by the next catch-up.
        return len(done)

    def check(self, session: Session | None = None) -> VectorReport:
        """Compare the stored vectors with the articles (by :func:`.vector_rows.vector_hash`)."""
        if not self.enabled or self.iter_docs is None or self.model_name is None:
            return VectorReport()
        if session is not None:
            return check_vectors(session, self.iter_docs(session), self.model_name)
        with Session(self.engine) as own:
            return check_vectors(own, self.iter_docs(own), self.model_name)
