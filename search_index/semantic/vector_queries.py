"""What a search asks of a worker's article vectors: the semantic ranking, cosines of given articles,
their neighbour densities, similar articles and possible duplicates.

:class:`~search_index.semantic.vectors.VectorStore` owns the model, the matrix and their sync with the
database and holds one :class:`VectorQueries` over them; every query here gives an empty answer while
semantic search is off, loading or failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.ranking.fusion import min_cosine
from search_index.semantic import model as semantic
from search_index.semantic.matrix import VectorMatrix
from search_index.semantic.model import Embedder, article_text

#: ``() -> (embedder, matrix)`` while semantic search is available, else ``None``.
ReadyState = Callable[[], "tuple[Embedder, VectorMatrix] | None"]


class VectorQueries:
    """Read-only queries over a store's matrix.

    :param ready: the store's current model and matrix (``None`` while off, loading or failed).
    :param schedule: asks the store to compute the vectors of articles that have none yet.
    """

    def __init__(
        self,
        ready: ReadyState,
        schedule: Callable[[Iterable[int]], None],
        ranking: RankingConfig = DEFAULT_RANKING,
    ):
        self._ready = ready
        self._schedule = schedule
        self.ranking = ranking

    def search(self, query: str, k: int) -> list[tuple[Any, float]]:
        """The semantic ranking over every stored vector (filters are applied by the caller)."""
        state = self._ready()
        if state is None:
            return []
        embedder, matrix = state
        floor = min_cosine(embedder.name, query, self.ranking)
        return [(i, c) for i, c in semantic.semantic_search(embedder, matrix, query, k) if c >= floor]

    def cosines(self, query: str, ids: Iterable[Any]) -> dict[Any, float]:
        """Query-article cosines for the given ids (those without a vector are left out); the query's
        vector comes from the embedder's cache when :meth:`search` just embedded it."""
        state = self._ready()
        if state is None or not semantic.clean_text(query, 1):
            return {}
        embedder, matrix = state
        return matrix.cosines(embedder.embed_query(query), ids)

    def densities(self, ids: Iterable[Any]) -> dict[Any, float]:
        """Neighbour densities of the given articles (see :meth:`VectorMatrix.densities`)."""
        state = self._ready()
        return state[1].densities(ids) if state is not None else {}

    def thresholds(self) -> tuple[float, float]:
        """(similar, duplicate) cosine thresholds of the loaded model."""
        state = self._ready()
        return self.ranking.thresholds_for(state[0].name if state is not None else None)

    def similar(self, article_id: int, k: int, threshold: float) -> list[tuple[Any, float]]:
        """Stored articles most like ``article_id`` (itself excluded); lazily scheduled when it has no vector."""
        state = self._ready()
        if state is None:
            return []
        matrix = state[1]
        if article_id not in matrix:
            self._schedule([article_id])
            return []
        return matrix.similar(article_id, k, threshold)

    def similar_to_text(
        self, doc: Mapping[str, Any], k: int, threshold: float, exclude: Iterable[Any] = ()
    ) -> list[tuple[Any, float]]:
        """Stored articles like a draft (``title``/``scenario``...), e.g. possible duplicates."""
        state = self._ready()
        if state is None:
            return []
        text = article_text(doc)
        if not text:
            return []
        embedder, matrix = state
        vec = embedder.embed_texts([text])[0]
        return matrix.similar_to_vector(vec, k, threshold, exclude=exclude)
