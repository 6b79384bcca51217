"""In-memory BM25 ranking over the postings of a Whoosh index.

Whoosh is the stored index (documents, filters, persistence, multi-process safety), but scoring an OR
query of a dozen jieba words and character bigrams with Whoosh's Python matchers takes hundreds of
milliseconds at 70,000 articles. Each worker therefore keeps the postings of the ranked fields as numpy
arrays and scores a query with a few vectorised additions.

Whoosh segments are immutable (only their deletion sets change), so the arrays are built once per
segment and reused across index generations: after a one-article edit only the new small segment is
read. Document numbers are Whoosh's own global numbers (segment offset + local number), so a hit's
number goes straight to ``searcher.stored_fields``.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass
class FieldPostings:
    """Postings of one field in one segment, compressed-sparse-row by term."""

    vocab: dict[str, int]
    ptr: np.ndarray  # int64, len(vocab) + 1
    docs: np.ndarray  # int32 local document numbers
    tfs: np.ndarray  # float16 term frequencies (× field boost: small, exactly or nearly representable)
    doclen: np.ndarray  # float32, per local document: number of terms in this field

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """Local doc numbers and term frequencies of ``term``, or None when absent."""
        i = self.vocab.get(term)
        if i is None:
            return None
        a, b = self.ptr[i], self.ptr[i + 1]
        return self.docs[a:b], self.tfs[a:b]

    def df(self, term: str) -> int:
        """Number of documents of this segment containing ``term``."""
        i = self.vocab.get(term)
        return 0 if i is None else int(self.ptr[i + 1] - self.ptr[i])

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the arrays (the vocabulary dict is extra)."""
        return self.ptr.nbytes + self.docs.nbytes + self.tfs.nbytes + self.doclen.nbytes


def _read_matcher(m) -> tuple[list[int], list[float]]:
    """Read every posting of a Whoosh matcher.

    Fast path: Whoosh 3 leaf matchers keep a block's ids and weights as arrays, so a block is copied
    at once instead of stepping through it posting by posting (which is 10× slower).
    """
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(m, "_read_ids") and hasattr(m, "_next_block"):
        while not m._atend:
            m._read_ids()
            m._read_weights()
            ids.extend(m._ids)
            weights.extend(m._weights)
            m._next_block()
        return ids, weights
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def _extend(target: array, values) -> None:
    # array.extend refuses an array of another type code (Whoosh may hand out 'B' or 'd' arrays).
    if isinstance(values, array) and values.typecode != target.typecode:
        values = values.tolist()
    target.extend(values)


def segment_postings(seg_reader, fieldnames: Iterable[str]) -> dict[str, FieldPostings]:
    """Build :class:`FieldPostings` for ``fieldnames`` from one Whoosh segment reader."""
    wanted = set(fieldnames)
    ndocs = seg_reader.doc_count_all()
    # array('i'/'f') instead of lists of Python numbers: 4 bytes a posting instead of ~36, which keeps a
    # worker's peak (and, as CPython rarely returns freed memory, its lasting) RSS low at 70,000 articles.
    per_field: dict[str, tuple[list[str], list[int], array, array]] = {
        f: ([], [0], array("i"), array("f")) for f in wanted
    }
    schema = seg_reader.schema
    terms = getattr(seg_reader, "_terms", None)
    if terms is not None and hasattr(terms, "items"):
        codec, postfile = seg_reader._codec, terms._postfile
        for (fieldname, tbytes), terminfo in terms.items():
            if fieldname not in wanted:
                continue
            if terminfo.is_inlined():
                ids, weights, _values = terminfo.inlined_postings()
            else:
                fmt = schema[fieldname].format
                m = codec.postings_reader(postfile, terminfo, fmt, term=(fieldname, tbytes))
                ids, weights = _read_matcher(m)
            vocab, ptr, allids, allw = per_field[fieldname]
            vocab.append(tbytes.decode("utf-8"))
            _extend(allids, ids)
            _extend(allw, weights)
            ptr.append(ptr[-1] + len(ids))
    else:  # pragma: no cover - other codecs: slower, public API only
        for fieldname in wanted:
            vocab, ptr, allids, allw = per_field[fieldname]
            for text in seg_reader.field_terms(fieldname):
                ids, weights = _read_matcher(seg_reader.postings(fieldname, text))
                vocab.append(text)
                _extend(allids, ids)
                _extend(allw, weights)
                ptr.append(ptr[-1] + len(ids))
    out: dict[str, FieldPostings] = {}
    for fieldname, (vocab, ptr, allids, allw) in per_field.items():
        docs = np.frombuffer(allids, dtype=np.int32).copy() if ptr[-1] else np.zeros(0, np.int32)
        tfs32 = np.frombuffer(allw, dtype=np.float32) if ptr[-1] else np.zeros(0, np.float32)
        doclen = np.bincount(docs, weights=tfs32, minlength=ndocs).astype(np.float32)
        # Half the memory: the ranker keeps a float32 impact per posting besides (see Ranker).
        tfs = tfs32.astype(np.float16)
        out[fieldname] = FieldPostings(
            vocab={t: i for i, t in enumerate(vocab)},
            ptr=np.asarray(ptr, dtype=np.int64),
            docs=docs,
            tfs=tfs,
            doclen=doclen,
        )
    return out


@dataclass(frozen=True)
class FieldParams:
    """BM25 parameters of one field: its weight in the sum, saturation ``k1`` and length norm ``b``."""

    weight: float
    k1: float = 1.2
    b: float = 0.75


@dataclass
class SegmentView:
    """One segment as seen by a generation: shared postings plus that generation's deletions."""

    offset: int
    ndocs: int
    fields: dict[str, FieldPostings]


#: Field weights and BM25 parameters: title > scenario > solution > notes. The character field (bigrams
#: and unigrams of title and scenario) weighs as much as the title words: it rescues paraphrases that
#: jieba segments differently. Chosen on the benchmark's dev queries by general sweeps (weights, b).
DEFAULT_FIELD_PARAMS: dict[str, FieldParams] = {
    "title": FieldParams(weight=2.0, k1=1.2, b=0.75),
    "scenario": FieldParams(weight=1.5, k1=1.2, b=0.75),
    # Long answers: a higher k1 lets a word that recurs in the answer count for more.
    "solution": FieldParams(weight=1.5, k1=3.0, b=0.75),
    "notes": FieldParams(weight=0.7, k1=1.2, b=0.75),
    "tags": FieldParams(weight=1.5, k1=1.2, b=0.0),
    "title_bigrams": FieldParams(weight=2.0, k1=1.2, b=0.75),
    # Character 4-grams of English words: a partial match on split, joined or misspelt words. Weaker than
    # whole words; chosen on the English dev queries (MRR@10 0.864 -> 0.881, see README).
    "title_grams": FieldParams(weight=0.8, k1=1.2, b=0.75),
    "body_grams": FieldParams(weight=0.4, k1=1.2, b=0.75),
}


class Ranker:
    """BM25 over several fields and segments of one index generation.

    Scores are a weighted sum of per-field BM25 (title counts more than solution text) with global
    statistics (document frequency and average length over all segments), like a single index.
    """

    def __init__(self, segments: list[SegmentView], ndocs: int, params: Mapping[str, FieldParams]):
        self.segments = segments
        self.ndocs = ndocs
        self.params = dict(params)
        self._avgdl: dict[str, float] = {}
        self._norm: dict[str, np.ndarray] = {}
        for fieldname, p in self.params.items():
            lens = [
                s.fields[fieldname].doclen if fieldname in s.fields else np.zeros(s.ndocs, np.float32)
                for s in segments
            ]
            doclen = np.concatenate(lens) if lens else np.zeros(0, np.float32)
            nonempty = int(np.count_nonzero(doclen))
            avgdl = float(doclen.sum()) / nonempty if nonempty else 1.0
            self._avgdl[fieldname] = avgdl
            # Precomputed k1·(1 − b + b·dl/avgdl): the per-document part of the BM25 denominator.
            self._norm[fieldname] = (p.k1 * (1.0 - p.b + p.b * doclen / max(avgdl, 1e-9))).astype(np.float32)
        # Per posting, the document part of BM25, tf / (tf + norm): a query then costs one multiply-add
        # per posting instead of a gather, an add and a division (half the time at 70,000 articles).
        # Depends on avgdl, so it is computed per generation: a few milliseconds per million postings.
        self._impacts: list[dict[str, np.ndarray]] = []
        for seg in segments:
            per_field = {}
            for fieldname, fp in seg.fields.items():
                if fieldname not in self._norm:
                    continue
                norm = self._norm[fieldname][seg.offset : seg.offset + seg.ndocs]
                # In place: one temporary, not three (freed heap memory is rarely returned to the OS).
                impact = norm[fp.docs]
                tfs = fp.tfs.astype(np.float32)
                np.add(impact, tfs, out=impact)
                np.divide(tfs, impact, out=impact)
                del tfs
                per_field[fieldname] = impact
            self._impacts.append(per_field)

    def df(self, fieldname: str, term: str) -> int:
        """Document frequency of ``term`` in ``fieldname`` over all segments (deleted docs included,
        as in Lucene: cheap and harmless)."""
        return sum(s.fields[fieldname].df(term) for s in self.segments if fieldname in s.fields)

    def idf(self, fieldname: str, term: str) -> float:
        """BM25 idf (the non-negative Lucene variant)."""
        df = self.df(fieldname, term)
        if df == 0:
            return 0.0
        return math.log(1.0 + (self.ndocs - df + 0.5) / (df + 0.5))

    def score(self, weighted_terms: Mapping[str, Mapping[str, float]]) -> np.ndarray:
        """Return a float32 score per global document number.

        ``weighted_terms`` maps a field name to ``{term: query weight}``; a field missing from
        :attr:`params` is ignored.
        """
        scores = np.zeros(self.ndocs, dtype=np.float32)
        for fieldname, terms in weighted_terms.items():
            p = self.params.get(fieldname)
            if p is None or not terms:
                continue
            k1p1 = p.k1 + 1.0
            for term, qweight in terms.items():
                idf = self.idf(fieldname, term)
                if idf <= 0.0:
                    continue
                factor = np.float32(p.weight * qweight * idf * k1p1)
                for seg, impacts in zip(self.segments, self._impacts, strict=True):
                    fp = seg.fields.get(fieldname)
                    if fp is None:
                        continue
                    i = fp.vocab.get(term)
                    if i is None:
                        continue
                    a, b = fp.ptr[i], fp.ptr[i + 1]
                    docs = fp.docs[a:b]
                    gdocs = docs + seg.offset if seg.offset else docs
                    # A document occurs once per posting list, so plain fancy-index += is exact.
                    scores[gdocs] += factor * impacts[fieldname][a:b]
        return scores

    def memory_bytes(self) -> int:
        """Approximate bytes held by the arrays of this ranker and its segments."""
        total = sum(a.nbytes for a in self._norm.values())
        total += sum(a.nbytes for per_field in self._impacts for a in per_field.values())
        for seg in self.segments:
            total += sum(fp.nbytes for fp in seg.fields.values())
        return total
