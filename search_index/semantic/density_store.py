"""Neighbour densities kept on disk, so a restarted worker reuses them instead of computing them again.

Every worker computes the neighbour density of every article vector at start-up (:mod:`.density`): at
69,000 articles ~105 s of one core on a slow host, with both workers at it at once after each deploy or
restart, while searches wait for the matrix between batches. Between two starts only the articles edited
meanwhile change, and a density depends only on the vectors of the article and of its k nearest
neighbours. So a worker writes what it computed to ``densities-<model>.npz`` in the index folder, with
each entry's neighbours and a digest of every vector it was computed against, and the next worker keeps
an entry exactly when a fresh computation would give it again (:func:`reusable_entries`):

- the article's own vector is unchanged;
- none of its stored neighbours has changed or gone (an old vector that was not among the k nearest
  cannot change the mean of the k nearest);
- no vector added or changed since is at least as close as its k-th neighbour.

The rest is computed as before. One worker at a time does this (:func:`exclusive`, a ``flock``): the other
waits, then finds the densities written; meanwhile its searches compute the few densities they need.

The file is a cache, like :mod:`.segment_store`'s: missing, damaged or foreign (another model, format,
dimension or density setting) is ignored with a warning and rewritten; a failed write (a full or read-only
disk) only costs the next start the computation. Arrays only, loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search_index.sync.npz_files import write_arrays

log = logging.getLogger(__name__)

#: Bumped whenever what is stored (or how) changes; files of another format are ignored and rewritten.
FORMAT = 1

#: Beyond this share of added or changed vectors since the file was written, the file is not used: each
#: change makes ~17 entries stale, and checking the others costs more per change (at 69,763 rows, 100 edits:
#: 6 s instead of 103 s; 1,000: 42 s; 5,000 edits, 11 % of the rows: 87 s, benchmarks/density_restart_bench.py).
MAX_CHANGED_SHARE = 0.1

#: Seconds a starting worker waits for another one computing the densities before computing them itself.
LOCK_WAIT = 600.0

#: Rows per block when stored entries are checked against the new vectors (a block x new float32 matrix).
_CHECK_BLOCK = 4096


#: The arrays of a file and their types, all with one row per vector (``neighbours``: k columns).
_ARRAYS = {
    "ids": np.int64,
    "digests": np.uint64,
    "has_entry": np.bool_,
    "mean": np.float32,
    "kth": np.float32,
    "neighbours": np.int64,
}


@dataclass
class StoredDensities:
    """The densities of one matrix as written by :meth:`.density.NeighbourDensity.density_snapshot`.

    Aligned arrays, one row per vector of the matrix at the time: ``ids`` (article ids), ``digests``
    (:func:`row_digests` of their vectors), ``has_entry`` (a density was valid for this row), ``mean`` (the
    density), ``kth`` (the cosine of the k-th neighbour, -inf when there were fewer than k others) and
    ``neighbours`` (the article ids of the k nearest, -1 where there were fewer). ``params`` is the density
    setting they were computed with (k, candidates), so a changed setting discards them.
    """

    ids: np.ndarray
    digests: np.ndarray
    has_entry: np.ndarray
    mean: np.ndarray
    kth: np.ndarray
    neighbours: np.ndarray
    params: tuple[int, ...]

    def __len__(self) -> int:
        return int(self.ids.shape[0])


def density_file(index_dir: str | Path, model_name: str) -> Path:
    """Where the densities of ``model_name``'s vectors are kept (the model name made file-safe)."""
    return Path(index_dir) / f"densities-{re.sub(r'[^A-Za-z0-9._-]', '_', model_name)}.npz"


def row_digests(rows: np.ndarray) -> np.ndarray:
    """A 64-bit BLAKE2b digest of each row's bytes (``uint64``): equal digests mean equal vectors."""
    raw = np.ascontiguousarray(rows).view(np.uint8).reshape(rows.shape[0], -1)
    joined = b"".join(hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in raw)
    return np.frombuffer(joined, dtype="<u8").astype(np.uint64)


def save_densities(path: Path, model_name: str, dim: int, stored: StoredDensities) -> bool:
    """Write ``stored`` to ``path``; returns False (logged, nothing written) when the write fails."""
    arrays = {
        "meta": np.asarray([FORMAT, dim, len(stored), *stored.params], dtype=np.int64),
        "model": np.frombuffer(model_name.encode("utf-8"), dtype=np.uint8),
        **{name: getattr(stored, name).astype(dtype) for name, dtype in _ARRAYS.items()},
    }
    try:
        write_arrays(path, arrays)
    except OSError as exc:
        log.warning(
            "could not store the neighbour densities in %s (%s); the next start computes them", path, exc
        )
        return False
    return True


def load_densities(path: Path, model_name: str, dim: int, params: tuple[int, ...]) -> StoredDensities | None:
    """The densities stored in ``path`` for ``model_name``'s ``dim``-dimension vectors and the density
    setting ``params``, or None when the file is missing or holds anything else (another model, format,
    dimension or setting, a damaged file)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = data["meta"]
            if meta.dtype != np.int64 or len(meta) < 3 or int(meta[0]) != FORMAT or int(meta[1]) != dim:
                return _foreign(path, "another format or dimension")
            if data["model"].tobytes().decode("utf-8") != model_name:
                return _foreign(path, "another model")
            n = int(meta[2])
            stored = StoredDensities(
                **{name: data[name] for name in _ARRAYS}, params=tuple(int(p) for p in meta[3:])
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        return _foreign(path, str(exc))
    for name, dtype in _ARRAYS.items():
        array = getattr(stored, name)
        if (
            array.dtype != dtype
            or array.shape[:1] != (n,)
            or array.ndim != (2 if name == "neighbours" else 1)
        ):
            return _foreign(path, f"{name} is not {n} rows of {np.dtype(dtype).name}")
    if stored.params != tuple(params) or stored.params[:1] != stored.neighbours.shape[1:]:
        return _foreign(path, f"density setting {stored.params}, not {tuple(params)}")
    if len(np.unique(stored.ids)) != n:
        return _foreign(path, "an article is stored twice")
    return stored


def _foreign(path: Path, why: str) -> StoredDensities | None:
    log.warning("ignoring the stored neighbour densities %s (%s): computing them instead", path.name, why)
    return None


def reusable_entries(
    stored: StoredDensities, ids: np.ndarray, digests: np.ndarray, vecs: np.ndarray, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(positions in stored, rows of the matrix)`` of the stored entries that a fresh computation on the
    matrix (article ``ids``, vectors ``vecs`` with their ``digests``) would give again (module docstring).

    An entry is kept when its article's vector is unchanged, none of its stored neighbours changed or went,
    and no added or changed vector reaches its k-th neighbour's cosine (within ``tolerance``, float16 rows).
    """
    none = np.zeros(0, dtype=np.int64)
    if not len(stored) or not len(ids):
        return none, none
    order = np.argsort(stored.ids, kind="stable")
    sorted_ids = stored.ids[order]
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    pos = order[at]  # each matrix row's position in stored (meaningful where the ids match)
    same = (sorted_ids[at] == ids) & (stored.digests[pos] == digests)
    new_rows = np.flatnonzero(~same)  # added, or changed since the file was written
    if new_rows.size > MAX_CHANGED_SHARE * len(ids):
        return none, none
    unchanged = np.zeros(len(stored), dtype=bool)
    unchanged[pos[same]] = True
    gone = stored.ids[~unchanged]  # changed or removed since: their old vectors are unknown here
    rows = np.flatnonzero(same)
    positions = pos[rows]
    keep = stored.has_entry[positions]
    if gone.size:
        keep &= ~np.isin(stored.neighbours[positions], gone).any(axis=1)
    rows, positions = rows[keep], positions[keep]
    if new_rows.size and rows.size:
        added = vecs[new_rows].astype(np.float32)
        reached = np.zeros(rows.size, dtype=bool)
        for start in range(0, rows.size, _CHECK_BLOCK):
            block = slice(start, start + _CHECK_BLOCK)
            cosines = vecs[rows[block]].astype(np.float32) @ added.T
            reached[block] = cosines.max(axis=1) >= stored.kth[positions[block]] - tolerance
        rows, positions = rows[~reached], positions[~reached]
    return positions, rows


@contextlib.contextmanager
def exclusive(lock_path: Path, wait: float = LOCK_WAIT) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``lock_path`` (waiting up to ``wait`` s); yields whether it is held.

    Without it (another process kept it that long, or the folder is read-only) the caller goes on alone:
    the lock saves work, it guards no data. The system releases it if the holder dies.
    """
    try:
        handle = lock_path.open("a+b")
    except OSError as exc:
        log.warning("no lock %s (%s): computing the neighbour densities without waiting", lock_path, exc)
        yield False
        return
    with handle:
        held, deadline = False, time.monotonic() + wait
        while not held:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    log.warning("%s still held after %.0f s: computing the densities anyway", lock_path, wait)
                    break
                time.sleep(min(0.5, max(wait, 0.01)))
        try:
            yield held
        finally:
            if held:
                fcntl.flock(handle, fcntl.LOCK_UN)
