"""Fusion of a lexical ranking (Whoosh) with a semantic ranking (embedding cosine).

Pure functions on ``[(id, score)]`` lists, best first; independent of which lexical engine produced the
lexical side. Agents paste customers' own words, which often share few terms with the article title, so the
semantic side is retrieved over *all* articles (:class:`search_index.semantic.VectorMatrix`), not used to
re-rank the lexical top 50 (the right article is in the lexical top 50 for only ~59 % of queries).

Filters (status, category, audience) must be applied on both sides *before* fusion (Whoosh filter query,
``VectorMatrix.top_k(allowed_ids=...)``); :func:`fuse` additionally drops anything outside ``allowed_ids`` so
a side that forgot cannot leak a filtered-out article.

Tuning (benchmarks/semantic_bench.py, dev queries only, never stored; figures in TUNING below).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence

Ranking = Sequence[tuple[Hashable, float]]

# --- tuned parameters (see TUNING) ---
#: Reciprocal-rank-fusion constant: score = sum(w / (RRF_K + rank)).
RRF_K = 60
#: Weight of the lexical side in RRF (the semantic side has weight 1).
LEXICAL_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
#: How many hits each side contributes before fusion.
LEXICAL_DEPTH = 100
SEMANTIC_DEPTH = 100
#: Default method used by :func:`fuse`: "rrf" or "weighted".
DEFAULT_METHOD = "rrf"
#: Weighted-sum alternative: fused = ALPHA * semantic + (1 - ALPHA) * lexical, each min-max normalised.
ALPHA = 0.5

# --- similarity thresholds (cosine of the default `use` model; see TUNING) ---
#: "Similar articles" panel: show neighbours at or above this cosine.
SIMILAR_THRESHOLD = 0.5
#: "Possible duplicate" warning when saving an article: a neighbour at or above this cosine.
DUPLICATE_THRESHOLD = 0.8

TUNING = """to be filled from benchmarks/semantic_bench.py"""


def _clean(ranking: Ranking | None, allowed: Collection[Hashable] | None, depth: int) -> list[tuple]:
    """Deduplicate (first occurrence wins), drop disallowed ids, keep the first ``depth`` entries."""
    seen: set = set()
    out = []
    for item_id, score in ranking or ():
        if item_id in seen or (allowed is not None and item_id not in allowed):
            continue
        seen.add(item_id)
        out.append((item_id, float(score)))
        if len(out) >= depth:
            break
    return out


def _order(scores: dict, best_rank: dict) -> list[tuple[Hashable, float]]:
    # Ties: the id that one side ranked higher wins; then the id's text, so output is deterministic.
    return sorted(scores.items(), key=lambda kv: (-kv[1], best_rank[kv[0]], str(kv[0])))


def rrf(
    lexical: Ranking | None,
    semantic: Ranking | None,
    *,
    k: float = RRF_K,
    lexical_weight: float = LEXICAL_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    allowed_ids: Collection[Hashable] | None = None,
    lexical_depth: int = LEXICAL_DEPTH,
    semantic_depth: int = SEMANTIC_DEPTH,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """Weighted reciprocal-rank fusion: ``sum(weight / (k + rank))`` over the sides listing an id.

    Only ranks are used, so lexical BM25 scores and cosines need no common scale. Returns ``[(id, score)]``
    best first; an empty side simply contributes nothing.
    """
    scores: dict = {}
    best_rank: dict = {}
    for ranking, weight, depth in (
        (lexical, lexical_weight, lexical_depth),
        (semantic, semantic_weight, semantic_depth),
    ):
        for rank, (item_id, _score) in enumerate(_clean(ranking, allowed_ids, depth), start=1):
            scores[item_id] = scores.get(item_id, 0.0) + weight / (k + rank)
            best_rank[item_id] = min(best_rank.get(item_id, rank), rank)
    out = _order(scores, best_rank)
    return out[:limit] if limit is not None else out


def _minmax(ranking: list[tuple]) -> dict:
    if not ranking:
        return {}
    values = [s for _, s in ranking]
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-12:
        return {i: 1.0 for i, _ in ranking}
    return {i: (s - lo) / (hi - lo) for i, s in ranking}


def weighted_sum(
    lexical: Ranking | None,
    semantic: Ranking | None,
    *,
    alpha: float = ALPHA,
    allowed_ids: Collection[Hashable] | None = None,
    lexical_depth: int = LEXICAL_DEPTH,
    semantic_depth: int = SEMANTIC_DEPTH,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """``alpha * semantic + (1 - alpha) * lexical``, each side min-max normalised over its own list.

    An id missing from one side gets 0 from it. With one side empty this is that side's order.
    """
    lex = _clean(lexical, allowed_ids, lexical_depth)
    sem = _clean(semantic, allowed_ids, semantic_depth)
    lex_n, sem_n = _minmax(lex), _minmax(sem)
    best_rank: dict = {}
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
    method: str = DEFAULT_METHOD,
    allowed_ids: Collection[Hashable] | None = None,
    limit: int | None = None,
) -> list[tuple[Hashable, float]]:
    """Fuse with the tuned default method and parameters; see :func:`rrf` and :func:`weighted_sum`."""
    if method == "rrf":
        return rrf(lexical, semantic, allowed_ids=allowed_ids, limit=limit)
    if method == "weighted":
        return weighted_sum(lexical, semantic, allowed_ids=allowed_ids, limit=limit)
    raise ValueError(f"unknown fusion method {method!r}")
