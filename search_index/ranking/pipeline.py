"""The ranked page of one search, stage by stage.

The stages, in order (each reads its weights from the engine's :class:`RankingConfig`):

1. **Query analysis** (:func:`search_index.lexical.query.analyze_query`): normalise, apply synonyms, weigh
   words, Han bigrams and unigrams, Latin character grams.
2. **BM25F** over the fields (:mod:`search_index.lexical.ranker`), filtered by status, category and tag.
3. **Title re-rank** of Chinese queries (:mod:`search_index.lexical.rerank`): the BM25 head scaled and
   lifted by how much of each title the query uses.
   Stages 1-3 are :meth:`SearchIndex.rank`; with no semantic model they are the whole ranking.
4. **Semantic side** (:func:`fusion_sides`): the embedding's nearest articles, filtered by the same rules.
5. **Weighted sum** (:func:`weighted_head`, :mod:`search_index.ranking.fusion`) of both sides' heads.
6. **Learned re-order** of Chinese queries (:func:`fused_ranking`, :mod:`search_index.ranking.learned`):
   the weighted sum's top ``learned_depth`` re-ordered by the tree ensemble, when its model file loads,
   serves this embedder and was trained with this config; reads the neighbour densities when
   ``neighbour_density`` is on.
7. **Page** (:func:`_page`): stored fields and snippets for the shown hits only.

Any semantic failure gives the lexical page (logged once per process); a failing learned model costs only
its own stage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from search_index.lexical.index import SearchIndex
from search_index.lexical.normalize import HAN_CHAR
from search_index.lexical.synonyms import SynonymMap
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.ranking.fusion import fuse
from search_index.ranking.learned import IdfTable, TreeEnsemble, feature_matrix, learned_ranking
from search_index.results import MAX_LIMIT, LexicalRanking, SearchResults
from search_index.semantic.vectors import VectorStore
from search_index.sync.catchup import empty_safe

log = logging.getLogger(__name__)


@dataclass
class FusionSides:
    """Both rankings of one query, filtered alike, before fusion."""

    lexical: list[tuple[Hashable, float]]
    semantic: list[tuple[Hashable, float]]
    #: Article id → document number (of ``lex``'s index generation) for every id on either side.
    docnums: dict[Hashable, int]


def ranked_hits(
    index: SearchIndex,
    query: str,
    *,
    synonyms: SynonymMap | None,
    vectors: VectorStore | None,
    fusion_model: TreeEnsemble | None,
    statuses: tuple[str, ...],
    category: str | None,
    tag: str | None,
    limit: int,
    offset: int,
    ranking: RankingConfig = DEFAULT_RANKING,
) -> SearchResults:
    """The page ``offset:offset+limit`` of the ranking for ``query`` (see the module docstring)."""
    empty = SearchResults(query=query, total=0, offset=offset, limit=limit)

    def lexical(lim: int, off: int) -> SearchResults:
        return empty_safe(
            index,
            lambda: index.search(
                query, statuses=statuses, category=category, tag=tag, limit=lim, offset=off, synonyms=synonyms
            ),
            empty,
        )

    if vectors is None or not vectors.enabled or offset + limit > MAX_LIMIT:
        return lexical(limit, offset)
    lex = lexical_ranking(index, query, synonyms, statuses, category, tag, offset + limit, ranking)
    if lex is None:  # an index without any segment yet
        return empty
    try:
        sides = fusion_sides(index, vectors, query, lex, statuses, category, tag, ranking)
        fused = fused_ranking(vectors, query, lex, sides, fusion_model, ranking)
        return _page(index, lex, sides, fused, limit, offset)
    except Exception:
        vectors.report_failure("fused search")
        return lexical(limit, offset)


def lexical_ranking(
    index: SearchIndex,
    query: str,
    synonyms: SynonymMap | None,
    statuses: tuple[str, ...],
    category: str | None,
    tag: str | None,
    want: int,
    ranking: RankingConfig = DEFAULT_RANKING,
) -> LexicalRanking | None:
    """The lexical ranking fusion starts from (at least ``lexical_depth`` deep); ``None`` for an index
    without any segment yet."""
    return empty_safe(
        index,
        lambda: index.rank(
            query,
            statuses=statuses,
            category=category,
            tag=tag,
            limit=max(ranking.lexical_depth, want),
            synonyms=synonyms,
        ),
        None,
    )


def fusion_sides(
    index: SearchIndex,
    vectors: VectorStore,
    query: str,
    lex: LexicalRanking,
    statuses: tuple[str, ...],
    category: str | None,
    tag: str | None,
    ranking: RankingConfig = DEFAULT_RANKING,
) -> FusionSides:
    """The lexical top ``lexical_depth`` and the semantic top ``semantic_depth``, the semantic side
    filtered by the same status/category/tag rules as the lexical one."""
    narrow = category is not None or tag is not None
    depth = ranking.semantic_depth
    sem_all = vectors.queries.search(query, k=20 * depth if narrow else 4 * depth)
    allowed = index.visible(
        [i for i, _ in sem_all],
        statuses=statuses,
        category=category,
        tag=tag,
        want=depth,
        ranking=lex,
    ).docnums
    docnums: dict[Hashable, int] = {item_id: docnum for item_id, docnum, _score in lex.docs}
    for item_id, docnum in allowed.items():
        docnums.setdefault(item_id, docnum)
    lexical_side: list[tuple[Hashable, float]] = [(item_id, score) for item_id, _docnum, score in lex.docs]
    # Lexical hits this worker has no vector for yet are embedded in the background.
    vectors.note_missing([item_id for item_id, _s in lexical_side[: ranking.lexical_depth]])
    return FusionSides(
        lexical=lexical_side,
        semantic=[(i, s) for i, s in sem_all if i in allowed][:depth],
        docnums=docnums,
    )


def weighted_head(
    sides: FusionSides, ranking: RankingConfig = DEFAULT_RANKING
) -> list[tuple[Hashable, float]]:
    """The weighted sum of both sides: the fused head, and the learned model's candidates (its top
    ``learned_depth``)."""
    return fuse(sides.lexical[: ranking.lexical_depth], sides.semantic, ranking=ranking)


def learned_features(
    vectors: VectorStore,
    query: str,
    lex: LexicalRanking,
    sides: FusionSides,
    candidates: list[Hashable],
    ranking: RankingConfig = DEFAULT_RANKING,
) -> tuple[list[Hashable], np.ndarray]:
    """The :data:`~search_index.ranking.learned.FEATURES` rows of ``candidates``, exactly as a search
    computes them (:mod:`search_index.ranking.train` trains on this function's output). Without
    ``neighbour_density`` the two density features read 0."""
    snap = lex.snap
    titles = {i: snap.head(sides.docnums[i])[0] for i in candidates}
    idf = snap.memo.get("fusion_idf")
    if idf is None:
        idf = snap.memo.setdefault(
            "fusion_idf", IdfTable(partial(snap.ranker.df, ranking.idf_field), snap.ndocs)
        )
    query_han = "".join(HAN_CHAR.findall(lex.aq.text))
    return feature_matrix(
        query_han,
        sides.lexical[: ranking.lexical_depth],
        sides.semantic,
        titles,
        vectors.queries.cosines(query, candidates),
        idf,
        candidates=candidates,
        densities=vectors.queries.densities(candidates) if ranking.neighbour_density else None,
        ranking=ranking,
    )


def fused_ranking(
    vectors: VectorStore,
    query: str,
    lex: LexicalRanking,
    sides: FusionSides,
    fusion_model: TreeEnsemble | None,
    ranking: RankingConfig = DEFAULT_RANKING,
) -> list[tuple[Hashable, float]]:
    """The whole ranking: the fused head, then the rest of the lexical ranking in its order.

    The head is the weighted sum; for a Chinese query its top ``learned_depth`` are re-ordered by the
    learned model. A failing learned model costs only its own stage: the weighted sum stays (logged once
    per process).
    """
    head = weighted_head(sides, ranking)
    depth = ranking.learned_depth
    if (
        head
        and fusion_model is not None
        and fusion_model.serves(vectors.model_name)
        and HAN_CHAR.search(lex.aq.text)
    ):
        try:
            top = [i for i, _ in head[:depth]]
            features = learned_features(vectors, query, lex, sides, top, ranking)[1]
            learned = learned_ranking(top, features, fusion_model)
            # Scores stay monotonic down the page: the rest of the head sits just below the learned part.
            floor = learned[-1][1] - 1.0
            head = learned + [(i, floor + s) for i, s in head[depth:]]
        except Exception:
            _learned_failed()
    in_head = {i for i, _ in head}
    return head + [(i, s) for i, s in sides.lexical[ranking.lexical_depth :] if i not in in_head]


_failed_once = threading.Event()


def _learned_failed() -> None:
    if not _failed_once.is_set():
        _failed_once.set()
        log.exception("learned fusion failed; this worker's Chinese queries fall back to the weighted sum")
    else:
        log.debug("learned fusion failed again", exc_info=True)


def _page(
    index: SearchIndex,
    lex: LexicalRanking,
    sides: FusionSides,
    ranking: list[tuple[Hashable, float]],
    limit: int,
    offset: int,
) -> SearchResults:
    """Hits (stored fields, snippets) for the page shown only; the rest of the ranking stays ids."""
    lexical_ids = {item_id for item_id, _docnum, _score in lex.docs}
    extra = sum(1 for i, _ in ranking if i not in lexical_ids)
    hits: list[Any] = []
    for item_id, score in ranking[offset : offset + limit]:
        # Both sides' document numbers are of the lexical ranking's generation.
        hit = index.hit(lex, sides.docnums[item_id], score)
        hits.append(replace(hit, score=round(float(score), 4)))
    return SearchResults(
        query=lex.query,
        total=lex.total + extra,
        hits=hits,
        suggestion=lex.suggestion,
        offset=offset,
        limit=limit,
        terms=lex.terms,
    )
