"""One generation of the search index as searches see it: ranker, filter masks and document lookups.

Whoosh segments are immutable (only their deletion sets change), so what a search needs of a segment's
documents — article id ↔ document number, and the title as the re-ranking compares it — is kept per
segment (:class:`SegmentDocs`) and reused by every later generation that still has the segment: after a
one-article edit only the new, small segment starts cold.  A :class:`Snapshot` adds what belongs to one
generation (deletions, filter masks).  Document numbers are Whoosh's global ones (segment offset + local
number), so they go straight to ``reader.stored_fields``.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from search_index.lexical.analyzer import iter_word_spans
from search_index.lexical.normalize import HAN_CHAR, normalize_text
from search_index.lexical.ranker import (
    FieldPostings,
    Ranker,
    SegmentView,
)
from search_index.lexical.schema import RANKED_FIELDS, external_id, norm_key
from search_index.lexical.segment_store import load_segment_file, save_segment, segment_file, worth_storing
from search_index.lexical.whoosh_adapter import open_reader, read_matcher, segment_postings
from search_index.ranking.config import FieldParams

#: Filter terms (status, category, tag, audience values) whose documents a segment remembers.
MAX_TERM_FILTERS = 64


class SegmentDocs:
    """Article id ↔ local document number of one segment, and the title heads of its documents.

    Built from the postings of the ``id`` field (read in the same pass as the ranked fields), so no
    stored document is read for it.  A segment may still hold replaced (deleted) copies of an article
    next to its live one, so an id maps to every local number it has; the snapshot's deletion mask picks.
    Title heads are read lazily, at most once per document while the segment lives.
    """

    def __init__(self, ndocs: int, id_postings: FieldPostings | None):
        self.ids: list[int | str | None] = [None] * ndocs
        self.local: dict[int | str, int | tuple[int, ...]] = {}
        self.heads: list[tuple[str, tuple[str, ...]] | None] = [None] * ndocs
        self._term_docs: dict[tuple[str, str], np.ndarray] = {}
        if id_postings is None:
            return
        ptr = id_postings.ptr.tolist()
        docs = id_postings.docs.tolist()
        for term, i in id_postings.vocab.items():
            item_id = external_id(term)
            mine = docs[ptr[i] : ptr[i + 1]]
            for local in mine:
                self.ids[local] = item_id
            self.local[item_id] = mine[0] if len(mine) == 1 else tuple(mine)

    def term_docs(self, seg_reader: Any, fieldname: str, value: str) -> np.ndarray:
        """Local numbers of the documents (deleted ones included) whose ``fieldname`` has the term ``value``.

        Read from the segment once while it lives: a new generation (every saved draft makes one) then
        reads only its new segments' postings for a filter, not the ~70,000 of the status ``published``.
        """
        key = (fieldname, value)
        local = self._term_docs.get(key)
        if local is None:
            ids: list[int] = []
            if (fieldname, value) in seg_reader:
                ids, _w = read_matcher(seg_reader.postings(fieldname, value))
            local = np.asarray(ids, dtype=np.int32)
            if len(self._term_docs) >= MAX_TERM_FILTERS:  # many distinct tag filters: bounded memory
                self._term_docs.clear()
            self._term_docs[key] = local
        return local


@dataclass
class VisibleDocs:
    """The documents of one snapshot that passed a search's filters, as ``{article id: document number}``."""

    snapshot: Snapshot
    docnums: dict[Any, int]

    def __contains__(self, item_id: Any) -> bool:
        return item_id in self.docnums

    def stored(self, item_id: Any) -> dict[str, Any]:
        """The stored fields (title, status, ...) of a visible article."""
        return dict(self.snapshot.reader.stored_fields(self.docnums[item_id]))


class Snapshot:
    """Everything a search needs for one index generation. Immutable once built, shared by threads
    (the lazily filled caches only ever gain equal values, so concurrent fills are harmless)."""

    def __init__(
        self,
        reader: Any,
        generation: int,
        ranker: Ranker,
        spell: list[dict[str, int]],
        segments: list[tuple[int, SegmentDocs, Any]],  # (offset, its documents, its Whoosh reader)
    ):
        self.reader = reader
        self.generation = generation
        self.ranker = ranker
        self.ndocs = ranker.ndocs
        self._spell = spell
        self._offsets = [offset for offset, _docs, _reader in segments]
        self._segdocs = [docs for _offset, docs, _reader in segments]
        self._segments = segments
        self._masks: dict[tuple[Any, ...], np.ndarray] = {}
        self._spell_chars: set[str] | None = None
        #: Caches that later ranking stages keep for this generation (e.g. the learned fusion's idf table);
        #: they go away with the snapshot. Values must not refer back to the snapshot (no cycles).
        self.memo: dict[str, Any] = {}
        self.alive = self._alive_mask()

    def _alive_mask(self) -> np.ndarray:
        mask = np.ones(self.ndocs, dtype=bool)
        for seg_reader, offset in self.reader.leaf_readers():
            if seg_reader.segment() is not None and seg_reader.has_deletions():
                dels = np.fromiter(seg_reader.segment().deleted_docs(), dtype=np.int64)
                mask[dels + offset] = False
        return mask

    # -- filters ----------------------------------------------------------------------------------
    def term_mask(self, fieldname: str, value: str) -> np.ndarray:
        """Documents whose ``fieldname`` has the exact (normalised) term ``value``; cached."""
        key = (fieldname, value)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.zeros(self.ndocs, dtype=bool)
            for offset, docs, seg_reader in self._segments:
                local = docs.term_docs(seg_reader, fieldname, value)
                if len(local):
                    mask[local + offset] = True
            if len(self._masks) > 256:  # many distinct tag filters: keep memory bounded
                self._masks.clear()
            self._masks[key] = mask
        return mask

    def filter_mask(
        self,
        statuses: Iterable[str] | None,
        category: str | None,
        tag: str | None,
        audience: str | None,
    ) -> np.ndarray:
        """Live documents passing every given filter."""
        key = ("filter", tuple(statuses) if statuses is not None else None, category, tag, audience)
        mask = self._masks.get(key)
        if mask is not None:
            return mask
        mask = self.alive.copy()
        if statuses is not None:
            smask = np.zeros(self.ndocs, dtype=bool)
            for s in statuses:
                smask |= self.term_mask("status", norm_key(s))
            mask &= smask
        if category is not None:
            mask &= self.term_mask("category", norm_key(category))
        if tag is not None:
            mask &= self.term_mask("tags", norm_key(tag))
        if audience is not None:
            mask &= self.term_mask("audience", norm_key(audience))
        self._masks[key] = mask
        return mask

    # -- documents --------------------------------------------------------------------------------
    def _locate(self, docnum: int) -> tuple[SegmentDocs, int]:
        i = bisect.bisect_right(self._offsets, docnum) - 1
        return self._segdocs[i], docnum - self._offsets[i]

    def item_id(self, docnum: int) -> int | str:
        """The article id of document ``docnum``."""
        docs, local = self._locate(docnum)
        item_id = docs.ids[local]
        if item_id is None:  # not in the id postings (never expected): ask the stored document
            item_id = external_id(self.reader.stored_fields(docnum)["id"])
        return item_id

    def head(self, docnum: int) -> tuple[str, frozenset[str]]:
        """What the re-ranking compares of a document: its title reduced to Han characters (normalised),
        and the set of those characters plus the title's Latin-script word terms (so a mixed query
        compares fairly).  Read from the stored document once while its segment lives."""
        docs, local = self._locate(docnum)
        cached = docs.heads[local]
        if cached is None:
            title = normalize_text(self.reader.stored_fields(docnum).get("title") or "")
            latin = tuple(t for t, _s, _e in iter_word_spans(title, latin_only=True))
            # Small entries (a set per title would be ~1 KB): the set is made per use.
            cached = docs.heads[local] = ("".join(HAN_CHAR.findall(title)), latin)
        han, latin = cached
        return han, frozenset(han).union(latin) if latin else frozenset(han)

    def visible(self, ids: Iterable[Any], mask: np.ndarray, want: int | None = None) -> dict[Any, int]:
        """``{id: document number}`` for the ids whose live document passes ``mask`` (a :meth:`filter_mask`),
        examined in order; stops after ``want`` of them."""
        out: dict[Any, int] = {}
        for item_id in ids:
            key = external_id(item_id)
            for offset, docs in zip(self._offsets, self._segdocs, strict=True):
                local = docs.local.get(key)
                if local is None:
                    continue
                hit = next(
                    (
                        offset + n
                        for n in (local if isinstance(local, tuple) else (local,))
                        if mask[offset + n]
                    ),
                    None,
                )
                if hit is not None:
                    out[item_id] = hit
                    break
            if want is not None and len(out) >= want:
                break
        return out

    # -- spelling ---------------------------------------------------------------------------------
    def spell_df(self, word: str) -> int:
        """In how many documents the unstemmed word occurs (title, scenario, tags)."""
        return sum(d.get(word, 0) for d in self._spell)

    def has_visible(self, fieldname: str, term: str, mask: np.ndarray) -> bool:
        """Whether a document passing ``mask`` (a :meth:`filter_mask`) has ``term`` in ``fieldname``; reads the
        postings only up to the first such document and caches nothing."""
        for seg_reader, offset in self.reader.leaf_readers():
            if (fieldname, term) not in seg_reader:
                continue
            for local in seg_reader.postings(fieldname, term).all_ids():
                if mask[offset + local]:
                    return True
        return False

    def spell_chars(self) -> set[str]:
        """Every Han character of the spelling vocabulary (substitution candidates for typos)."""
        if self._spell_chars is None:
            chars: set[str] = set()
            for d in self._spell:
                for w in d:
                    chars.update(c for c in w if HAN_CHAR.match(c))
            self._spell_chars = chars
        return self._spell_chars


#: What a segment contributes to every snapshot that has it: postings of the ranked fields, the spelling
#: vocabulary with document frequencies, and its documents.
SegmentData = tuple[dict[str, FieldPostings], dict[str, int], SegmentDocs]


def load_segment(seg_reader: Any, store_dir: str | os.PathLike[str] | None = None) -> SegmentData:
    """Read one Whoosh segment's ranking data (once per segment and process: segments never change).

    With ``store_dir`` (the index folder), a large segment's data is loaded from its stored copy
    (:mod:`search_index.lexical.segment_store`) when there is a valid one, and otherwise read from the segment and
    stored there for the next process.
    """
    wanted = (*RANKED_FIELDS, "id")
    ndocs = seg_reader.doc_count_all()
    stored_at = store_dir is not None and worth_storing(ndocs)
    path = (
        segment_file(store_dir, seg_reader.segment().segment_id())
        if stored_at and store_dir is not None
        else None
    )
    stored = None if path is None else load_segment_file(path, ndocs, wanted)
    if stored is not None:
        fields, spell_df = stored
    else:
        # The id field's postings come in the same pass over the term file as the ranked fields.
        fields = segment_postings(seg_reader, wanted)
        spell_df = {}
        with contextlib.suppress(Exception):
            for text, terminfo in seg_reader.iter_field("spell"):
                spell_df[text if isinstance(text, str) else text.decode("utf-8")] = terminfo.doc_frequency()
        if path is not None:
            save_segment(path, ndocs, fields, spell_df)
    seg_docs = SegmentDocs(ndocs, fields.pop("id", None))
    return fields, spell_df, seg_docs


def build_snapshot(
    ix: Any,
    seg_cache: dict[str, SegmentData],
    field_params: Mapping[str, FieldParams],
    store_dir: str | os.PathLike[str] | None = None,
    previous: Snapshot | None = None,
) -> Snapshot:
    """The newest generation of the Whoosh index ``ix`` as a :class:`Snapshot`.

    Segments found in ``seg_cache`` are reused, new ones are read and added, and segments no longer live
    are dropped from it; ``store_dir`` is passed on to :func:`load_segment`.  The Whoosh readers of
    ``previous`` (the generation this one replaces) are reused where their segment did not change
    (:func:`open_reader`).  When a concurrent commit removes files of the generation being opened, the
    next generation is tried (up to five times).
    """
    for attempt in range(5):
        try:
            reader = open_reader(ix, None if previous is None or attempt else previous.reader)
            segments: list[SegmentView] = []
            spell: list[dict[str, int]] = []
            docs: list[tuple[int, SegmentDocs, Any]] = []
            live_ids = set()
            for seg_reader, offset in list(reader.leaf_readers()):
                if seg_reader.segment() is None:  # an empty index has a segment-less reader
                    continue
                segid = seg_reader.segment().segment_id()
                live_ids.add(segid)
                cached = seg_cache.get(segid)
                if cached is None:
                    cached = seg_cache[segid] = load_segment(seg_reader, store_dir)
                fields, spell_df, seg_docs = cached
                segments.append(SegmentView(offset, seg_reader.doc_count_all(), fields))
                spell.append(spell_df)
                docs.append((offset, seg_docs, seg_reader))
            for segid in list(seg_cache):
                if segid not in live_ids:
                    del seg_cache[segid]
            ranker = Ranker(segments, reader.doc_count_all(), field_params)
            return Snapshot(reader, reader.generation(), ranker, spell, docs)
        except (OSError, EOFError):
            if attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
