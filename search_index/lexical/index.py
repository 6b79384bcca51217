"""The article search index: Whoosh for storage, numpy BM25 for ranking.

Usage::

    ix = SearchIndex("/path/to/index")
    ix.upsert([{"id": 1, "title": "花呗怎么还款", "status": "published", ...}])
    res = ix.search("花贝还钱", limit=10)
    res.total, [h.title for h in res.hits], res.suggestion

Concurrency model (several gunicorn workers, each with its own ``SearchIndex``):

- Writes take an exclusive ``fcntl`` lock on ``<index_dir>/portal-write.lock`` (waiting for it, never
  failing on it), then open the Whoosh writer, retrying if a foreign writer holds Whoosh's own lock.
  ``whoosh.index.LockError`` never reaches the caller.
- Readers check the index generation at most every ``refresh_interval`` seconds (0.25 by default) and
  switch to a new reader when it changed, so a committed write is visible everywhere within a second.
  Ranking data is rebuilt only for new Whoosh segments, and the first process to read a segment stores
  it beside the segment for the others (:mod:`search_index.lexical.segment_store`).

Bad input never raises from :meth:`SearchIndex.search`: the query is free text (there is no query
syntax, ``title:(`` is just two words), it is cut to :data:`MAX_QUERY_CHARS`, and input without
searchable characters gives zero results.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from search_index.lexical.query import MAX_QUERY_CHARS, AnalyzedQuery, analyze_query
from search_index.lexical.rerank import rerank_by_title_overlap
from search_index.lexical.schema import TEXT_FIELDS, external_id
from search_index.lexical.snapshot import SegmentData, Snapshot, VisibleDocs, build_snapshot
from search_index.lexical.spelling import suggest
from search_index.lexical.synonyms import SynonymMap, default_synonyms
from search_index.lexical.whoosh_adapter import IndexBusyError, WhooshStore
from search_index.ranking.config import DEFAULT_RANKING, FieldParams, RankingConfig
from search_index.results import LexicalRanking, SearchHit, SearchResults, make_hit, page_args

__all__ = [
    "MAX_QUERY_CHARS",
    "AnalyzedQuery",
    "IndexBusyError",
    "LexicalRanking",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_WORD_FIELDS = (*TEXT_FIELDS, "tags")


# --- the index --------------------------------------------------------------------------------------


class SearchIndex:
    """A Whoosh index of articles in ``index_dir`` (created when missing).

    One instance per process; it is thread-safe. See the module docstring for the concurrency model.

    :param synonyms: the synonym map used when ``search`` gets none; defaults to the bundled
        :func:`search_index.lexical.synonyms.default_synonyms`. Change it later with :meth:`set_synonyms`.
    :param ranking: the ranking tunables (BM25 field weights, query weights, the title re-rank).
    :param field_params: BM25 weights per field, overriding ``ranking.field_params``.
    :param refresh_interval: how often (seconds) a reader looks for a newer index generation.
    :param lock_timeout: how long a write waits for another process's write before
        :class:`IndexBusyError`.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        synonyms: SynonymMap | None = None,
        field_params: Mapping[str, FieldParams] | None = None,
        ranking: RankingConfig = DEFAULT_RANKING,
        refresh_interval: float = 0.25,
        lock_timeout: float = 600.0,
    ):
        self.index_dir = Path(index_dir)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.synonyms = synonyms if synonyms is not None else default_synonyms()
        self.ranking = ranking
        self.field_params = dict(field_params or ranking.field_params)
        self.refresh_interval = refresh_interval
        self.lock_timeout = lock_timeout
        self._refresh_lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._checked_at = 0.0
        # Segment id → ranking arrays; segments never change, so these survive generations.
        self._seg_cache: dict[str, SegmentData] = {}
        self.store = WhooshStore(self.index_dir, lock_timeout=lock_timeout, on_write=self._written)
        self.recreated = self.store.recreated

    # -- writing ----------------------------------------------------------------------------------
    def _written(self) -> None:
        self._checked_at = 0.0  # our own write: look at the new generation on the next search

    def upsert(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add or replace documents by ``id`` (see :mod:`search_index.lexical.schema` for the keys).

        Missing ``status`` means ``draft`` and missing ``audience`` means ``internal`` (the safe choice:
        agents do not see it). One commit for the whole batch. Returns how many documents were written.
        """
        return self.store.upsert(docs)

    def delete(self, ids: Iterable[int | str]) -> int:
        """Remove documents by article id; unknown ids are ignored. Returns how many were removed."""
        return self.store.delete(ids)

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
        *,
        progress_every: int = 1000,
        procs: int = 1,
    ) -> int:
        """Replace the whole index with ``docs`` in one commit (see :meth:`WhooshStore.rebuild`)."""
        n = self.store.rebuild(docs, progress, progress_every=progress_every, procs=procs)
        # Read the new segments now, which also stores their ranking data beside them
        # (search_index.lexical.segment_store): the workers' first searches then load it instead of each
        # reading every segment (~5 s at 69,000 articles).
        self.refresh(force=True)
        if progress is not None:
            progress(n)
        return n

    # -- reading ----------------------------------------------------------------------------------
    def set_synonyms(self, synonyms: SynonymMap) -> None:
        """Replace the default synonym map (takes effect for the next search, no reindex)."""
        self.synonyms = synonyms

    def refresh(self, force: bool = False) -> None:
        """Switch to the newest committed generation now (searches also do this on their own)."""
        if force:
            self._checked_at = 0.0
        self._snapshot()

    def _snapshot(self) -> Snapshot:
        snap = self._snap
        now = time.monotonic()
        if snap is not None and now - self._checked_at < self.refresh_interval:
            return snap
        with self._refresh_lock:
            snap = self._snap
            if snap is not None and time.monotonic() - self._checked_at < self.refresh_interval:
                return snap
            latest = self.store.latest_generation()
            if snap is None or latest != snap.generation:
                snap = build_snapshot(
                    self.store.ix, self._seg_cache, self.field_params, self.index_dir, previous=snap
                )
                self._snap = snap
            self._checked_at = time.monotonic()
            return snap

    def holds_no_documents(self) -> bool:
        """Whether the Whoosh index holds no document at all (counted on the open handle: no second open)."""
        return self.store.doc_count_all() == 0

    def doc_count(self) -> int:
        """Number of live documents in the index, whatever their status."""
        return int(self._snapshot().alive.sum())

    def all_doc_hashes(self) -> dict[int | str, str]:
        """``{article id: content_hash}`` for every live document (ids as in :func:`~search_index.lexical.schema.external_id`)."""
        return self.stored_values("content_hash")

    def stored_values(self, name: str) -> dict[int | str, str]:
        """``{article id: stored field name}`` for every live document (empty text when not stored)."""
        snap = self._snapshot()
        out: dict[int | str, str] = {}
        for stored in snap.reader.all_stored_fields():
            out[external_id(stored["id"])] = stored.get(name, "") or ""
        return out

    def get(self, article_id: int | str) -> dict[str, Any] | None:
        """Stored fields of one live document, or None."""
        snap = self._snapshot()
        docnum = snap.visible([article_id], snap.alive).get(article_id)
        return None if docnum is None else dict(snap.reader.stored_fields(docnum))

    def analyze(self, query: Any, synonyms: SynonymMap | None = None) -> AnalyzedQuery:
        """The weighted terms ``search`` would use for ``query`` (for debugging and the search log)."""
        return analyze_query(query, self.synonyms if synonyms is None else synonyms, self.ranking)

    def search(
        self,
        query: Any,
        *,
        statuses: Iterable[str] | None = ("published",),
        category: str | None = None,
        tag: str | None = None,
        audience: str | None = None,
        limit: int = 10,
        offset: int = 0,
        synonyms: SynonymMap | None = None,
    ) -> SearchResults:
        """Search articles. Never raises for any query text.

        :param statuses: statuses to include; agents get the default (published only), leads may pass
            e.g. ``("published", "in_review", "draft")``; ``None`` means every status.
        :param category: exact category filter (normalised: case and full-width forms do not matter).
        :param tag: exact tag filter, same normalisation.
        :param audience: ``"internal"`` or ``"public"``; ``None`` means both.
        :param limit: page size (capped at :data:`~search_index.results.MAX_LIMIT`);
            ``offset``: results to skip.
        :param synonyms: a :class:`SynonymMap` for this query; ``None`` uses the index's map,
            ``SynonymMap.empty()`` switches synonyms off.
        :returns: :class:`SearchResults` with ``total`` matches, one page of ``hits`` (score order) and a
            ``suggestion`` ("did you mean") when the query found fewer than ``ranking.suggest_below``.
        """
        limit, offset, statuses = page_args(limit, offset, statuses)
        aq = analyze_query(query, self.synonyms if synonyms is None else synonyms, self.ranking)
        ranking = self._with_retry(lambda: self._rank(aq, statuses, category, tag, audience, offset + limit))
        results = SearchResults(
            query=aq.text,
            total=ranking.total,
            offset=offset,
            limit=limit,
            terms=ranking.terms,
            suggestion=ranking.suggestion,
        )
        if limit:
            results.hits = self._with_retry(
                lambda: [self.hit(ranking, docnum, score) for _id, docnum, score in ranking.docs[offset:]]
            )
        return results

    def rank(
        self,
        query: Any,
        *,
        statuses: Iterable[str] | None = ("published",),
        category: str | None = None,
        tag: str | None = None,
        audience: str | None = None,
        limit: int = 10,
        synonyms: SynonymMap | None = None,
    ) -> LexicalRanking:
        """Like :meth:`search` (same arguments and filters) but without making hits: the best ``limit``
        documents as ``(article id, document number, score)``. For fusion, which needs the ids and scores
        of the lexical top 50 but snippets only for the page it shows (:meth:`hit`)."""
        limit, _offset, statuses = page_args(limit, 0, statuses)
        aq = analyze_query(query, self.synonyms if synonyms is None else synonyms, self.ranking)
        return self._with_retry(lambda: self._rank(aq, statuses, category, tag, audience, limit))

    def hit(self, ranking: LexicalRanking, docnum: int, score: float) -> SearchHit:
        """The hit (title, snippet, fields) of document ``docnum`` of ``ranking``'s index generation; also
        for documents found by another ranking of the same generation (the semantic side)."""
        if ranking.snap is None:
            raise ValueError("an empty ranking has no documents")
        return make_hit(ranking.snap.reader.stored_fields(docnum), score, ranking.aq)

    def visible(
        self,
        ids: Iterable[Any],
        *,
        statuses: Iterable[str] | None = ("published",),
        category: str | None = None,
        tag: str | None = None,
        audience: str | None = None,
        want: int | None = None,
        ranking: LexicalRanking | None = None,
    ) -> VisibleDocs:
        """Which of ``ids`` (in order; at most ``want``) have a live document passing the same filters as
        :meth:`search`, with their document numbers.  This is how rankings made elsewhere (the semantic
        side, similar articles) are filtered exactly like the lexical one.  With ``ranking`` the numbers
        are of its generation, so :meth:`hit` makes their hits."""
        _limit, _offset, statuses = page_args(0, 0, statuses)
        snap = ranking.snap if ranking is not None and ranking.snap is not None else self._snapshot()
        if snap.ndocs == 0:
            return VisibleDocs(snap, {})
        mask = snap.filter_mask(statuses, category, tag, audience)
        return VisibleDocs(snap, snap.visible(ids, mask, want))

    def _with_retry(self, read: Callable[[], _T]) -> _T:
        for attempt in range(2):
            try:
                return read()
            except (OSError, EOFError):
                # The generation we read was replaced under us (rebuild); read the new one once.
                if attempt:
                    raise
                self.refresh(force=True)
        raise AssertionError("unreachable")

    def _rank(
        self,
        aq: AnalyzedQuery,
        statuses: Iterable[str] | None,
        category: str | None,
        tag: str | None,
        audience: str | None,
        want: int,
    ) -> LexicalRanking:
        terms = list(aq.words) + [b for b in aq.bigrams if b not in aq.words]
        # Even an empty ranking has its generation: the semantic side fuses into it (:meth:`visible`).
        snap = self._snapshot()
        ranking = LexicalRanking(aq=aq, terms=terms, snap=snap)
        if aq.empty or snap.ndocs == 0:
            return ranking
        weighted: dict[str, Mapping[str, float]] = dict.fromkeys(_WORD_FIELDS, aq.words)
        weighted["title_bigrams"] = aq.bigrams
        weighted["title_grams"] = weighted["body_grams"] = aq.grams
        scores = snap.ranker.score(weighted)
        mask = snap.filter_mask(statuses, category, tag, audience)
        scores[~mask] = 0.0
        matched = np.flatnonzero(scores > 0)
        ranking.total = int(matched.size)
        if ranking.total < self.ranking.suggest_below:
            ranking.suggestion = suggest(snap, aq.text, mask)
        if want <= 0 or matched.size == 0:
            return ranking
        cand_scores = rerank_by_title_overlap(snap, aq, matched, scores[matched], self.ranking)
        if want < matched.size:
            part = np.argpartition(-cand_scores, want - 1)[:want]
            matched, cand_scores = matched[part], cand_scores[part]
        # Highest score first; equal scores in index order so pages are stable.
        order = np.lexsort((matched, -cand_scores))[:want]
        ranking.docs = [
            (snap.item_id(int(matched[i])), int(matched[i]), float(cand_scores[i])) for i in order
        ]
        return ranking

    def memory_bytes(self) -> int:
        """Approximate bytes of ranking arrays held by this process (for the benchmark and ops)."""
        snap = self._snap
        return snap.ranker.memory_bytes() if snap else 0

    def close(self) -> None:
        """Drop the current reader (file handles are released when the last search using it ends)."""
        self._snap = None
        self._seg_cache.clear()
