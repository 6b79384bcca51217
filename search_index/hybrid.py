"""The ranked page of one search: the lexical ranking, fused with the semantic ranking when a model is loaded.

Two fusions (both tuned on the dev queries only, see :mod:`search_index.fusion` and
:mod:`search_index.learned_fusion`): every query gets the weighted sum; for a query with Chinese characters
the learned model re-orders its top :data:`~search_index.learned_fusion.LEARNED_DEPTH` when the model file
loads and was trained on this embedder. Any semantic failure gives the lexical page (logged once per
process).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from .fusion import LEXICAL_DEPTH, SEMANTIC_DEPTH, fuse
from .index import SearchIndex
from .learned_fusion import LEARNED_DEPTH, IdfTable, TreeEnsemble, feature_matrix, learned_ranking
from .normalize import HAN_CHAR
from .results import MAX_LIMIT, LexicalRanking, SearchResults
from .sync import empty_safe
from .synonyms import SynonymMap
from .vectors import VectorStore

log = logging.getLogger(__name__)

#: The index field holding each title's Han characters and bigrams: its document frequencies are the idf
#: of the learned fusion's rarity features.
IDF_FIELD = "title_bigrams"


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
    lex = lexical_ranking(index, query, synonyms, statuses, category, tag, offset + limit)
    if lex is None:  # an index without any segment yet
        return empty
    try:
        sides = fusion_sides(index, vectors, query, lex, statuses, category, tag)
        ranking = fused_ranking(vectors, query, lex, sides, fusion_model)
        return _page(index, lex, sides, ranking, limit, offset)
    except Exception:
        vectors._fail("fused search")
        return lexical(limit, offset)


def lexical_ranking(
    index: SearchIndex,
    query: str,
    synonyms: SynonymMap | None,
    statuses: tuple[str, ...],
    category: str | None,
    tag: str | None,
    want: int,
) -> LexicalRanking | None:
    """The lexical ranking fusion starts from (at least :data:`LEXICAL_DEPTH` deep); ``None`` for an index
    without any segment yet."""
    return empty_safe(
        index,
        lambda: index.rank(
            query,
            statuses=statuses,
            category=category,
            tag=tag,
            limit=max(LEXICAL_DEPTH, want),
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
) -> FusionSides:
    """The lexical top :data:`LEXICAL_DEPTH` and the semantic top :data:`SEMANTIC_DEPTH`, the semantic side
    filtered by the same status/category/tag rules as the lexical one."""
    narrow = category is not None or tag is not None
    sem_all = vectors.search(query, k=20 * SEMANTIC_DEPTH if narrow else 4 * SEMANTIC_DEPTH)
    allowed = index.visible(
        [i for i, _ in sem_all],
        statuses=statuses,
        category=category,
        tag=tag,
        want=SEMANTIC_DEPTH,
        ranking=lex,
    ).docnums
    docnums = {item_id: docnum for item_id, docnum, _score in lex.docs}
    for item_id, docnum in allowed.items():
        docnums.setdefault(item_id, docnum)
    lexical_side = [(item_id, score) for item_id, _docnum, score in lex.docs]
    # Lexical hits this worker has no vector for yet are embedded in the background.
    vectors.note_missing([item_id for item_id, _s in lexical_side[:LEXICAL_DEPTH]])
    return FusionSides(
        lexical=lexical_side,
        semantic=[(i, s) for i, s in sem_all if i in allowed][:SEMANTIC_DEPTH],
        docnums=docnums,
    )


def weighted_head(sides: FusionSides) -> list[tuple[Hashable, float]]:
    """The weighted sum of both sides: the fused head, and the learned model's candidates (its top
    :data:`~search_index.learned_fusion.LEARNED_DEPTH`)."""
    return fuse(sides.lexical[:LEXICAL_DEPTH], sides.semantic)


def learned_features(
    vectors: VectorStore, query: str, lex: LexicalRanking, sides: FusionSides, candidates: list[Hashable]
) -> tuple[list[Hashable], np.ndarray]:
    """The :data:`~search_index.learned_fusion.FEATURES` rows of ``candidates``, exactly as a search computes
    them (``benchmarks/train_fusion.py`` trains on this function's output)."""
    snap = lex.snap
    titles = {i: snap.head(sides.docnums[i])[0] for i in candidates}
    idf = snap.memo.get("fusion_idf")
    if idf is None:
        idf = snap.memo.setdefault("fusion_idf", IdfTable(partial(snap.ranker.df, IDF_FIELD), snap.ndocs))
    query_han = "".join(HAN_CHAR.findall(lex.aq.text))
    return feature_matrix(
        query_han,
        sides.lexical[:LEXICAL_DEPTH],
        sides.semantic,
        titles,
        vectors.cosines(query, candidates),
        idf,
        candidates=candidates,
        densities=vectors.densities(candidates),
    )


def fused_ranking(
    vectors: VectorStore,
    query: str,
    lex: LexicalRanking,
    sides: FusionSides,
    fusion_model: TreeEnsemble | None,
) -> list[tuple[Hashable, float]]:
    """The whole ranking: the fused head, then the rest of the lexical ranking in its order.

    The head is the weighted sum; for a Chinese query its top :data:`LEARNED_DEPTH` are re-ordered by the
    learned model. A failing learned model costs only its own stage: the weighted sum stays (logged once
    per process).
    """
    head = weighted_head(sides)
    if (
        head
        and fusion_model is not None
        and fusion_model.serves(vectors.model_name)
        and HAN_CHAR.search(lex.aq.text)
    ):
        try:
            top = [i for i, _ in head[:LEARNED_DEPTH]]
            learned = learned_ranking(top, learned_features(vectors, query, lex, sides, top)[1], fusion_model)
            # Scores stay monotonic down the page: the rest of the head sits just below the learned part.
            floor = learned[-1][1] - 1.0
            head = learned + [(i, floor + s) for i, s in head[LEARNED_DEPTH:]]
        except Exception:
            _learned_failed()
    in_head = {i for i, _ in head}
    return head + [(i, s) for i, s in sides.lexical[LEXICAL_DEPTH:] if i not in in_head]


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
