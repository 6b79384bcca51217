"""The neighbour density of a :class:`~search_index.semantic.matrix.VectorMatrix`'s rows (the "hubness" of CSLS).

An article in a crowded neighbourhood (many near-duplicate questions) is close to many queries that are not
about it. CSLS (Conneau et al. 2018, "Word translation without parallel data") corrects a cosine by the mean
cosine of each side to its k nearest neighbours; the learned fusion reads the article's side
(:mod:`search_index.ranking.learned`, ``neighbour_density`` and ``csls_cosine``).

Pure NumPy. A :class:`~search_index.semantic.matrix.VectorMatrix` holds one :class:`NeighbourDensity`
over its rows (:class:`MatrixRows`: the rows, the coarse scores and the lock).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from search_index.semantic.blas import single_threaded_blas
from search_index.semantic.density_store import StoredDensities, reusable_entries, row_digests
from search_index.semantic.waitlock import WaitCountingLock

#: Articles scored together: the score matrix is DENSITY_BATCH x rows float32 (8.8 MB at 69,000 rows) and
#: the candidates' rows DENSITY_BATCH x self.candidates x dim float32 (16.8 MB at 512 dimensions).
DENSITY_BATCH = 32
#: Articles per lock hold when a worker computes all densities at start-up, i.e. the longest a search waits
#: for the matrix meanwhile: 23 ms at 69,000 rows on a slow host, against 46 ms with 32 (the same total;
#: 8 would hold it 15 ms, but every batch reads the whole coarse matrix, and all rows took 30 % longer).
DENSITY_WARM_BATCH = 16
#: Seconds the start-up computation pauses between batches, lock released, when a search waits for the
#: matrix. Python's locks are not fair: a thread that releases and re-takes one at once keeps it, and a
#: search waiting for the matrix once waited for the whole computation (45 s at 69,000 articles).
DENSITY_WARM_PAUSE = 0.002
#: Changed vectors remembered for the memo's check (2 MB at 512 dimensions); an entry older than all of them
#: is recomputed instead.
DENSITY_CHANGE_LOG = 1024
#: float16 rows: cosines within this of an article's k-th neighbour count as reaching it.
DENSITY_TOLERANCE = 1e-3
#: In the first neighbour column while tracking: this entry's neighbours are not known (-1 means "fewer
#: than k", a known answer).
_UNTRACKED = -2


class MatrixRows(Protocol):
    """What a density computation reads of its matrix (:class:`~search_index.semantic.matrix.VectorMatrix`)."""

    @property
    def dim(self) -> int: ...
    @property
    def lock(self) -> WaitCountingLock: ...
    @property
    def id_list(self) -> list[Any]:
        """The row ids in row order (the live list: read under :attr:`lock`)."""

    @property
    def row_of(self) -> dict[Any, int]: ...
    @property
    def vectors(self) -> np.ndarray:
        """The float16 rows (capacity rows; the first ``len(id_list)`` are live)."""

    @property
    def projected(self) -> bool:
        """Whether the coarse scores are a PCA projection (large bases) rather than exact."""

    def coarse_rows(self) -> np.ndarray: ...
    def project(self, vecs: np.ndarray) -> np.ndarray: ...


class NeighbourDensity:
    """Densities computed on demand (or all at start-up), memoised per article, and forgotten exactly where
    an added, replaced or removed vector can change them, so a memoised value always equals a fresh one.

    A change costs nothing at write time: its vector goes to a short log, and an asked entry is checked
    against the changes made since it was computed (a few dot products) before it is trusted. Scanning all
    memoised entries at each write instead held the matrix for ~190 ms per new draft at 69,000 articles.

    The memo is three arrays aligned with the matrix rows (1.1 MB at 69,000 rows; a dict of tuples took
    ~17 MB of every worker's memory). The matrix calls :meth:`note_vector_change` before every change of a
    row and :meth:`move` when a row moves.

    :param neighbours: k, the neighbours whose mean cosine is an article's density (5 and 20 measured alike).
    :param candidates: coarse candidates re-scored exactly per article when the matrix is projected.
    """

    def __init__(self, rows: MatrixRows, neighbours: int = 10, candidates: int = 256) -> None:
        self._m = rows
        self.neighbours = int(neighbours)
        self.candidates = int(candidates)
        # Per row: the density, the cosine of its k-th neighbour, and the change sequence number the entry
        # is valid at (-1 = no entry). Rows at or past len(_ids) never hold an entry.
        self._dens_mean = np.zeros(0, dtype=np.float32)
        self._dens_kth = np.zeros(0, dtype=np.float32)
        self._dens_seq = np.zeros(0, dtype=np.int64)
        self._change_vecs = np.zeros((DENSITY_CHANGE_LOG, self._m.dim), dtype=np.float32)
        self._change_seqs = np.zeros(DENSITY_CHANGE_LOG, dtype=np.int64)  # 0 = empty slot
        self._change_seq = 0
        # Bumped by every change of a vector (logged or not): tells a computation made outside the lock
        # (digests, the stored entries' check) that the rows it read are still the matrix's.
        self._vector_version = 0
        # While tracked (start-up, for density_store): each entry's neighbours as article ids (-1: fewer
        # than k; _UNTRACKED in the first column: not known). None otherwise: 5.5 MB at 69,000 rows that
        # searches never use.
        self._dens_nbrs: np.ndarray | None = None

    def densities(self, ids: Iterable[Any]) -> dict[Any, float]:
        """``{id: neighbour density}`` for the ids that have a vector: the mean cosine of the article to its
        ``neighbours`` nearest other rows (the "hubness" of CSLS, Conneau et al. 2018).

        An article in a crowded neighbourhood (many near-duplicate questions) is close to many queries
        that are not about it; ``cosine - density / 2`` corrects for that (docs/SEARCH.md).
        Computed on demand for the asked ids only, in one batch, and memoised; a change of the matrix
        forgets exactly the memo entries it can alter, so the values always equal a fresh computation.
        """
        with self._m.lock:
            self._size_density_memo()
            wanted = [i for i in dict.fromkeys(ids) if i in self._m.row_of]
            rows = np.array([self._m.row_of[i] for i in wanted], dtype=np.int64)
            self._drop_stale(rows[self._dens_seq[rows] >= 0])
            todo = rows[self._dens_seq[rows] < 0]
            if todo.size:
                with single_threaded_blas():
                    # Batches bound the (batch, rows) score matrix: all 69,000 at once would need 19 GB.
                    for start in range(0, todo.size, DENSITY_BATCH):
                        self._compute_densities(todo[start : start + DENSITY_BATCH])
            return dict(zip(wanted, self._dens_mean[rows].tolist(), strict=True))

    def warm_densities(self, batch: int = DENSITY_WARM_BATCH) -> int:
        """Compute every row's density ahead of the searches that would ask for it (a worker does this in
        its start-up thread); a small batch per lock hold, so a search waits milliseconds at most.
        Returns how many were computed (rows that move meanwhile are left to :meth:`densities`)."""
        done = start = 0
        while True:
            with self._m.lock:
                if start >= len(self._m.id_list):
                    return done
                self._size_density_memo()
                chunk = np.arange(start, min(start + batch, len(self._m.id_list)), dtype=np.int64)
                chunk = chunk[self._dens_seq[chunk] < 0]
                if chunk.size:
                    with single_threaded_blas():
                        self._compute_densities(chunk)
                    done += chunk.size
            start += batch
            if chunk.size and self._m.lock.contended:
                time.sleep(DENSITY_WARM_PAUSE)  # let the waiting search take the lock

    def memoised_densities(self) -> dict[Any, tuple[float, float, int]]:
        """The memo as ``{id: (density, cosine of the k-th neighbour, change number it is valid at)}``
        (for tests and reports; an entry is checked against later changes before a search uses it)."""
        with self._m.lock:
            self._size_density_memo()
            rows = np.flatnonzero(self._dens_seq[: len(self._m.id_list)] >= 0)
            return {
                self._m.id_list[r]: (
                    float(self._dens_mean[r]),
                    float(self._dens_kth[r]),
                    int(self._dens_seq[r]),
                )
                for r in rows
            }

    def _size_density_memo(self) -> None:
        # The matrix grows (and is built by from_arrays) without telling the memo: catch up with its capacity.
        missing = self._m.vectors.shape[0] - self._dens_seq.shape[0]
        if missing > 0:
            self._dens_mean = np.concatenate([self._dens_mean, np.zeros(missing, dtype=np.float32)])
            self._dens_kth = np.concatenate([self._dens_kth, np.zeros(missing, dtype=np.float32)])
            self._dens_seq = np.concatenate([self._dens_seq, np.full(missing, -1, dtype=np.int64)])
            if self._dens_nbrs is not None:
                more = np.full((missing, self.neighbours), _UNTRACKED, dtype=np.int64)
                self._dens_nbrs = np.concatenate([self._dens_nbrs, more])

    def _compute_densities(self, rows: np.ndarray) -> None:
        n, k = len(self._m.id_list), self.neighbours
        queries = self._m.vectors[rows].astype(np.float32)
        coarse = self._m.coarse_rows()[:n]
        # (m, n): one contiguous row of scores per asked article, so the partitions below run along rows.
        scores = self._m.project(queries) @ coarse.T
        scores[np.arange(rows.size), rows] = -np.inf  # an article is not its own neighbour
        cand = None
        if self._m.projected and n > self.candidates:
            # Projected regime: the coarse scores pick candidates, the full rows score them exactly.
            cand = np.argpartition(-scores, self.candidates - 1, axis=1)[:, : self.candidates]
            exact = self._m.vectors[cand.ravel()].astype(np.float32).reshape(*cand.shape, self._m.dim)
            scores = np.einsum("mcd,md->mc", exact, queries)  # the article itself was not a candidate
        top = min(k, n - 1)
        self._dens_seq[rows] = self._change_seq
        if top <= 0:
            self._dens_mean[rows], self._dens_kth[rows] = 0.0, -np.inf
            return
        nearest = np.argpartition(-scores, top - 1, axis=1)[:, :top]  # (m, top), in any order
        best = np.take_along_axis(scores, nearest, axis=1)
        self._dens_mean[rows] = best.mean(axis=1)
        if self._dens_nbrs is not None:
            self._track(rows, nearest if cand is None else np.take_along_axis(cand, nearest, axis=1))
        # Fewer rows than k: every other row is a neighbour, and any new row would become one.
        self._dens_kth[rows] = best.min(axis=1) if top == k else -np.inf

    def note_vector_change(self, row: int | None, new: np.ndarray | None, old: np.ndarray | None) -> None:
        """Note that the article of ``row`` (``None``: a new row) gains vector ``new`` and/or loses ``old``:
        its own entry goes, and the vectors are logged for :meth:`_drop_stale` to check the other entries
        against when they are asked."""
        self._vector_version += 1
        if row is not None and row < self._dens_seq.shape[0]:
            self._dens_seq[row] = -1
        if not (self._dens_seq >= 0).any():
            return  # entries computed from now on start after this change
        for vec in (new, old):
            if vec is not None:
                self._change_seq += 1
                slot = self._change_seq % DENSITY_CHANGE_LOG
                self._change_vecs[slot] = vec
                self._change_seqs[slot] = self._change_seq

    def move(self, source: int, target: int) -> None:
        """The article of row ``source`` moved to row ``target``, and ``source`` is free: so is its entry."""
        if source < self._dens_seq.shape[0]:
            if target != source:
                self._dens_mean[target] = self._dens_mean[source]
                self._dens_kth[target] = self._dens_kth[source]
                self._dens_seq[target] = self._dens_seq[source]
                if self._dens_nbrs is not None:
                    self._dens_nbrs[target] = self._dens_nbrs[source]
            self._dens_seq[source] = -1

    def _drop_stale(self, rows: np.ndarray) -> None:
        """Drop the entries of ``rows`` that a logged change reaches (a changed vector at least as close as
        the entry's k-th neighbour) or that are older than the log; mark the others valid as of now."""
        current = self._change_seq
        rows = rows[self._dens_seq[rows] < current]
        if not rows.size:
            return
        oldest_logged = current - min(current, DENSITY_CHANGE_LOG) + 1
        since = self._dens_seq[rows]
        logged = np.flatnonzero(self._change_seqs > since.min())  # only changes some entry has not seen
        # One BLAS thread, like every product of a search: a multi-threaded call wakes threads that then
        # spin on the other core, which under load cost ~12 ms of CPU per request (benchmarks/load.py).
        with single_threaded_blas():
            cosines = self._m.vectors[rows].astype(np.float32) @ self._change_vecs[logged].T  # (m, changes)
        newer = self._change_seqs[logged][None, :] > since[:, None]
        reached = np.where(newer, cosines, -np.inf).max(axis=1) >= self._dens_kth[rows] - DENSITY_TOLERANCE
        stale = reached | (since < oldest_logged - 1)
        self._dens_seq[rows] = np.where(stale, -1, current)

    # -- kept across restarts (density_store) --------------------------------------------------------
    def density_params(self) -> tuple[int, ...]:
        """The setting a density depends on besides the vectors: stored densities of another are discarded."""
        return (self.neighbours, self.candidates)

    def track_neighbours(self, on: bool) -> None:
        """Start (or stop and forget) recording each computed entry's neighbours, which
        :meth:`density_snapshot` stores; only with integer ids (article ids), which the file holds."""
        with self._m.lock:
            self._dens_nbrs = None
            if on and self._int_ids() is not None:
                self._size_density_memo()
                self._dens_nbrs = np.full(
                    (self._dens_seq.shape[0], self.neighbours), _UNTRACKED, dtype=np.int64
                )

    def _int_ids(self) -> np.ndarray | None:
        """The row ids as an int64 array, or None when one is not an integer (the file holds article ids)."""
        if not all(isinstance(i, int) for i in self._m.id_list):
            return None
        return np.asarray(self._m.id_list, dtype=np.int64)

    def _track(self, rows: np.ndarray, neighbour_rows: np.ndarray) -> None:
        if self._dens_nbrs is None:
            return
        try:
            ids = np.fromiter((self._m.id_list[r] for r in neighbour_rows.ravel()), dtype=np.int64)
        except (TypeError, ValueError):  # an id that is not an integer: nothing can be stored
            self._dens_nbrs = None
            return
        self._dens_nbrs[rows] = -1
        self._dens_nbrs[rows, : neighbour_rows.shape[1]] = ids.reshape(neighbour_rows.shape)

    def _stable_digests(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray] | None:
        """``(version, ids, vectors, digests)`` of the rows as they are, hashed outside the lock (~0.1 s at
        69,000 rows); the caller checks ``version`` under the lock before using them. None for ids that are
        not integers."""
        with self._m.lock:
            version, ids, vecs = (
                self._vector_version,
                self._int_ids(),
                self._m.vectors[: len(self._m.id_list)],
            )
        if ids is None:
            return None
        return version, ids, vecs, row_digests(vecs)

    def seed_densities(self, stored: StoredDensities, attempts: int = 3) -> int:
        """Take the entries of ``stored`` (an earlier process's, :mod:`.density_store`) that a fresh
        computation would give again, for rows without an entry; returns how many were taken.

        The check runs outside the lock (seconds when many vectors changed); rows changed meanwhile make
        it start again, ``attempts`` times at most (then nothing is taken: they are computed).
        """
        if stored.params != self.density_params():
            return 0
        for _attempt in range(attempts):
            current = self._stable_digests()
            if current is None:
                return 0
            version, ids, vecs, digests = current
            with single_threaded_blas():
                positions, rows = reusable_entries(stored, ids, digests, vecs, DENSITY_TOLERANCE)
            with self._m.lock:
                if version != self._vector_version:
                    continue
                self._size_density_memo()
                free = self._dens_seq[rows] < 0
                rows, positions = rows[free], positions[free]
                self._dens_mean[rows] = stored.mean[positions]
                self._dens_kth[rows] = stored.kth[positions]
                self._dens_seq[rows] = self._change_seq
                if self._dens_nbrs is not None:
                    self._dens_nbrs[rows] = stored.neighbours[positions]
                return int(rows.size)
        return 0

    def density_snapshot(self, attempts: int = 3) -> StoredDensities | None:
        """Every row's vector digest, with the entries valid now whose neighbours are known (tracked), for
        :func:`.density_store.save_densities`. None with ids that are not integers, or when the rows keep
        changing while they are hashed."""
        for _attempt in range(attempts):
            current = self._stable_digests()
            if current is None:
                return None
            version, ids, _vecs, digests = current
            with self._m.lock:
                if version != self._vector_version:
                    continue
                n = len(ids)
                self._size_density_memo()
                self._drop_stale(np.flatnonzero(self._dens_seq[:n] >= 0))
                if self._dens_nbrs is None:
                    neighbours = np.full((n, self.neighbours), -1, dtype=np.int64)
                    has_entry = np.zeros(n, dtype=bool)
                else:
                    neighbours = self._dens_nbrs[:n].copy()
                    has_entry = (self._dens_seq[:n] >= 0) & (neighbours[:, 0] != _UNTRACKED)
                return StoredDensities(
                    ids=ids,
                    digests=digests,
                    has_entry=has_entry,
                    mean=self._dens_mean[:n].copy(),
                    kth=self._dens_kth[:n].copy(),
                    neighbours=neighbours,
                    params=self.density_params(),
                )
        return None
