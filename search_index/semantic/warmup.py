"""A worker's start-up on the semantic side, in a background thread: the model, the stored vectors, the
articles nobody embedded yet, and every article's neighbour density (reused from the index folder where a
fresh computation would give the same value, :mod:`.density_store`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search_index.semantic.density_store import (
    LOCK_WAIT,
    density_file,
    exclusive,
    load_densities,
    save_densities,
)
from search_index.semantic.matrix import VectorMatrix
from search_index.semantic.memory import release_free_memory
from search_index.sync.npz_files import remove_leftovers

if TYPE_CHECKING:  # the store imports this module; only its type is needed here
    from search_index.semantic.vectors import VectorStore

log = logging.getLogger(__name__)


def start_in_background(
    store: VectorStore,
    known_ids: Callable[[], Iterable[Any]] | None = None,
    *,
    warm_densities: bool = False,
    density_dir: Path | None = None,
) -> threading.Thread:
    """Load ``store``'s model and stored vectors in a thread (start-up stays fast; search is lexical until
    then), and schedule the vectors nobody computed yet (``known_ids``: the ids in the index).

    ``warm_densities`` (when the learned fusion will ask for them) then computes every article's
    neighbour density, so that the first searches do not pay for their candidates' densities; with
    ``density_dir`` (the index folder) it reuses and stores them there."""

    def run() -> None:
        try:
            if store.ensure_model():
                store.load()
                matrix = store.matrix
                if known_ids is not None and matrix is not None:
                    store.schedule(matrix.missing(known_ids()))
                if warm_densities and matrix is not None and store.model_name is not None:
                    warm(matrix, density_dir, store.model_name)
                release_free_memory()  # the loading's and the densities' temporaries
        except Exception:
            store.report_failure("loading the article vectors")

    thread = threading.Thread(target=run, name="vector-start", daemon=True)
    thread.start()
    return thread


def warm(matrix: VectorMatrix, density_dir: Path | None, model_name: str) -> tuple[int, int]:
    """Every row's density now: reused from ``density_dir`` where possible; returns ``(reused, computed)``."""
    started, reused = time.monotonic(), 0
    if density_dir is None:
        computed = matrix.warm_densities()
    else:
        reused, computed = warm_with_stored_densities(matrix, density_dir, model_name)
    log.info(
        "semantic search: neighbour densities of %d article(s) computed, %d reused, in %.1f s",
        computed,
        reused,
        time.monotonic() - started,
    )
    return reused, computed


def warm_with_stored_densities(
    matrix: VectorMatrix, index_dir: Path, model_name: str, *, wait: float = LOCK_WAIT
) -> tuple[int, int]:
    """A worker's start-up densities: reuse what the file in ``index_dir`` still holds, compute the rest
    (:meth:`~.density.NeighbourDensity.warm_densities`), and store the result for the next start.

    One process at a time (:func:`exclusive`). Returns ``(reused, computed)``.
    """
    path = density_file(index_dir, model_name)
    with exclusive(index_dir / "densities.lock", wait) as alone:
        if alone:  # a writer killed mid-write (kill -9, a crash) left its aside file
            remove_leftovers(path)
        stored = load_densities(path, model_name, matrix.dim, matrix.density.density_params())
        matrix.density.track_neighbours(True)
        try:
            reused = matrix.density.seed_densities(stored) if stored is not None else 0
            computed = matrix.warm_densities()
            if reused < len(matrix):
                snapshot = matrix.density.density_snapshot()
                if snapshot is not None:
                    save_densities(path, model_name, matrix.dim, snapshot)
        finally:
            matrix.density.track_neighbours(False)
    return reused, computed
