"""What a search asks of a worker's article vectors: the semantic ranking, cosines of given articles,
their neighbour densities, similar articles and possible duplicates.

A mixin of :class:`~search_index.vectors.VectorStore`, which owns the model, the matrix and their sync with
the database; every query here gives an empty answer while semantic search is off, loading or failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import semantic
from .fusion import min_cosine, thresholds_for
from .matrix import VectorMatrix
from .semantic import Embedder, article_text


class VectorQueries:
    """Read-only queries over the store's matrix (the host provides the attributes below)."""

    embedder: Embedder | None
    matrix: VectorMatrix | None
    # Provided by the store (properties and a method there); annotated here for the queries below.
    enabled: bool
    model_name: str | None
    schedule: Callable[[Iterable[int]], None]

    def search(self, query: str, k: int) -> list[tuple[Any, float]]:
        """The semantic ranking over every stored vector (filters are applied by the caller)."""
        if not self.enabled:
            return []
        floor = min_cosine(self.model_name, query)
        return [
            (i, c) for i, c in semantic.semantic_search(self.embedder, self.matrix, query, k) if c >= floor
        ]

    def cosines(self, query: str, ids: Iterable[Any]) -> dict[Any, float]:
        """Query-article cosines for the given ids (those without a vector are left out); the query's
        vector comes from the embedder's cache when :meth:`search` just embedded it."""
        if not self.enabled or not semantic.clean_text(query, 1):
            return {}
        return self.matrix.cosines(self.embedder.embed_query(query), ids)

    def densities(self, ids: Iterable[Any]) -> dict[Any, float]:
        """Neighbour densities of the given articles (see :meth:`VectorMatrix.densities`)."""
        return self.matrix.densities(ids) if self.enabled else {}

    def thresholds(self) -> tuple[float, float]:
        return thresholds_for(self.model_name)

    def similar(self, article_id: int, k: int, threshold: float) -> list[tuple[Any, float]]:
        """Stored articles most like ``article_id`` (itself excluded); lazily scheduled when it has no vector."""
        if not self.enabled:
            return []
        if article_id not in self.matrix:
            self.schedule([article_id])
            return []
        return self.matrix.similar(article_id, k, threshold)

    def similar_to_text(
        self, doc: Mapping[str, Any], k: int, threshold: float, exclude: Iterable[Any] = ()
    ) -> list[tuple[Any, float]]:
        """Stored articles like a draft (``title``/``scenario``...), e.g. possible duplicates."""
        if not self.enabled:
            return []
        text = article_text(doc)
        if not text:
            return []
        vec = self.embedder.embed_texts([text])[0]
        return self.matrix.similar_to_vector(vec, k, threshold, exclude=exclude)
