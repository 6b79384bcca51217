"""Fusion of a lexical ranking (Whoosh) with a semantic ranking (embedding cosine).

Pure functions on ``[(id, score)]`` lists, best first; independent of which lexical engine produced the
lexical side. Agents paste customers' own words, which often share few terms with the article title, so the
semantic side is retrieved over *all* articles (:class:`search_index.semantic.matrix.VectorMatrix`), not used to
re-rank the lexical top 50 (the right article is in the lexical top 50 for only ~59 % of queries).

Filters (status, category, audience) must be applied on both sides *before* fusion (Whoosh filter query,
``VectorMatrix.top_k(allowed_ids=...)``); :func:`fuse` additionally drops anything outside ``allowed_ids`` so
a side that forgot cannot leak a filtered-out article.

The weights are :class:`~search_index.ranking.config.RankingConfig` fields (how they were chosen:
``docs/SEARCH.md``). Queries with Chinese characters are re-ordered by :mod:`search_index.ranking.learned`
when its model file loads; this weighted sum serves every other query and is the fallback.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence

from search_index.lexical.normalize import has_han
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig

Ranking = Sequence[tuple[Hashable, float]]


def min_cosine(model_name: str | None, query: str, ranking: RankingConfig = DEFAULT_RANKING) -> float:
    """The lowest cosine of a semantic-only hit for this model and query (``ranking.min_cosine``; 0 for a
    model without a measured floor): a query that means nothing must still give "no results"."""
    han, other = ranking.min_cosine.get(model_name or "", (0.0, 0.0))
    return han if has_han(query) else other


def thresholds_for(model_name: str | None, ranking: RankingConfig = DEFAULT_RANKING) -> tuple[float, float]:
    """(similar, duplicate) cosine thresholds for an embedder name; the `use` values for unknown names."""
    return ranking.thresholds_for(model_name)


def _clean(
    ranking: Ranking | None, allowed: Collection[Hashable] | None, depth: int
) -> list[tuple[Hashable, float]]:
    """Deduplicate (first occurrence wins), drop disallowed ids, keep the first ``depth`` entries."""
    seen: set[Hashable] = set()
    out: list[tuple[Hashable, float]] = []
    for item_id, score in ranking or ():
        if item_id in seen or (allowed is not None and item_id not in allowed):
            continue
        seen.add(item_id)
        out.append((item_id, float(score)))
        if len(out) >= depth:
            break
    return out


def _order(scores: dict[Hashable, float], best_rank: dict[Hashable, int]) -> list[tuple[Hashable, float]]:
    # Ties: the id that one side ranked higher wins; then the id's text, so output is deterministic.
    return sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], str(kv[0])))


def rrf(
    lexical: Ranking | None,
    semantic: Ranking | None,
    *,
    k: float = DEFAULT_RANKING.rrf_k,
    lexical_weight: float = DEFAULT_RANKING.lexical_weight,
    semantic_weight: float = DEFAULT_RANKING.semantic_weight,
    allowed_ids: Collection[Hashable] | None = None,
    lexical_depth: int = DEFAULT_RANKING.lexical_depth,
    semantic_depth: int = DEFAULT_RANKING.semantic_depth,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """Weighted reciprocal-rank fusion: ``sum(weight / (k + rank))`` over the sides listing an id.

    Only ranks are used, so lexical BM25 scores and cosines need no common scale. Returns ``[(id, score)]``
    best first; an empty side simply contributes nothing.
    """
    scores: dict[Hashable, float] = {}
    best_rank: dict[Hashable, int] = {}
    for ranking, weight, depth in (
        (lexical, lexical_weight, lexical_depth),
        (semantic, semantic_weight, semantic_depth),
    ):
        for rank, (item_id, _score) in enumerate(_clean(ranking, allowed_ids, depth), start=1):
            scores[item_id] = scores.get(item_id, 0.0) + weight / (k + rank)
            best_rank[item_id] = min(best_rank.get(item_id, rank), rank)
    out = _order(scores, best_rank)
    return out[:limit] if limit is not None else out


def minmax(ranking: Ranking) -> dict[Hashable, float]:
    """``{id: score scaled to [0, 1] over the list}``; every id 1.0 when the scores are all equal."""
    if not ranking:
        return {}
    values = [float(s) for _, s in ranking]
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-12:
        return {i: 1.0 for i, _ in ranking}
    return {i: (float(s) - lo) / (hi - lo) for i, s in ranking}


def weighted_sum(
    lexical: Ranking | None,
    semantic: Ranking | None,
    *,
    alpha: float = DEFAULT_RANKING.alpha,
    allowed_ids: Collection[Hashable] | None = None,
    lexical_depth: int = DEFAULT_RANKING.lexical_depth,
    semantic_depth: int = DEFAULT_RANKING.semantic_depth,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """``alpha * semantic + (1 - alpha) * lexical``, each side min-max normalised over its own list.

    An id missing from one side gets 0 from it. With one side empty this is that side's order.
    """
    lex = _clean(lexical, allowed_ids, lexical_depth)
    sem = _clean(semantic, allowed_ids, semantic_depth)
    lex_n, sem_n = minmax(lex), minmax(sem)
    best_rank: dict[Hashable, int] = {}
    for ranking in (lex, sem):
        for rank, (item_id, _s) in enumerate(ranking, start=1):
            best_rank[item_id] = min(best_rank.get(item_id, rank), rank)
    scores = {i: alpha * sem_n.get(i, 0.0) + (1.0 - alpha) * lex_n.get(i, 0.0) for i in best_rank}
    out = _order(scores, best_rank)
    return out[:limit] if limit is not None else out


def fuse(
    lexical: Ranking | None,
    semantic: Ranking | None,
    *,
    ranking: RankingConfig = DEFAULT_RANKING,
    method: str | None = None,
    allowed_ids: Collection[Hashable] | None = None,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """Fuse with ``ranking``'s method and parameters; see :func:`rrf` and :func:`weighted_sum`."""
    method = method or ranking.fusion_method
    if method == "rrf":
        return rrf(
            lexical,
            semantic,
            k=ranking.rrf_k,
            lexical_weight=ranking.lexical_weight,
            semantic_weight=ranking.semantic_weight,
            allowed_ids=allowed_ids,
            lexical_depth=ranking.lexical_depth,
            semantic_depth=ranking.semantic_depth,
            limit=limit,
        )
    if method == "weighted":
        return weighted_sum(
            lexical,
            semantic,
            alpha=ranking.alpha,
            allowed_ids=allowed_ids,
            lexical_depth=ranking.lexical_depth,
            semantic_depth=ranking.semantic_depth,
            limit=limit,
        )
    raise ValueError(f"unknown fusion method {method!r}")
