"""A segment's ranking data kept on disk beside the segment, so a process reads it in milliseconds.

Reading a Whoosh segment's postings term by term goes through Whoosh's Python codec: ~6 s for the 69,000
articles of the benchmark (132,000 posting lists), paid by every worker in its first search after it
starts, and again by each worker for every large segment a merge writes. What the ranker keeps of a
segment (:data:`search_index.lexical.snapshot.SegmentData`) is a handful of flat arrays and term lists, so the
first process to read a segment of :data:`STORE_MIN_DOCS` documents or more writes them to ``<segment id>.ranking.npz``
and every later one loads that file instead (0.15 s instead of 4.8 s for those 69,000 articles).

Segments never change once written (deletions are kept apart, and read per generation), so a file is
valid for as long as its segment lives. Its name starts with the segment id, as Whoosh's own files do,
so Whoosh deletes it together with the segment's files when a merge or a rebuild retires the segment.

The file is a cache: a missing, unreadable or foreign one (other fields, other format) is ignored and
rewritten, and a write that fails (a full or read-only disk) only costs the next process the slow read.
A file appears under its name complete or not at all (:func:`.npz_files.write_arrays`). Arrays only: it
is loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from search_index.lexical.ranker import FieldPostings
from search_index.sync.npz_files import write_arrays

log = logging.getLogger(__name__)

#: Bumped whenever what is stored (or how) changes; files of another format are ignored and rewritten.
FORMAT = 3

SUFFIX = ".ranking.npz"

#: Smaller segments are not stored: every saved draft makes one of a document (a file per draft would be
#: churn for nothing), and Whoosh reads such a segment in milliseconds. Merges make the larger ones, and
#: Whoosh's reading costs per posting list, not per document: on the load instance, segments of 51 and
#: 209 drafts (unique words each) took 40-90 ms each, in every worker's first search on them.
STORE_MIN_DOCS = 32

#: Terms are stored joined by this character; a segment with a term containing it is not stored.
_SEPARATOR = "\x00"


def segment_file(index_dir: str | os.PathLike[str], segment_id: str) -> Path:
    """Where the ranking data of segment ``segment_id`` is kept."""
    return Path(index_dir) / f"{segment_id}{SUFFIX}"


def worth_storing(ndocs: int) -> bool:
    """Whether a segment of ``ndocs`` documents is large enough to keep its ranking data on disk."""
    return ndocs >= STORE_MIN_DOCS


def _pack_terms(terms: Sequence[str]) -> np.ndarray:
    return np.frombuffer(_SEPARATOR.join(terms).encode("utf-8"), dtype=np.uint8)


def _unpack_terms(packed: np.ndarray, count: int) -> list[str]:
    # The count comes from a companion array (ptr, df): it tells no terms from one empty term.
    if count == 0:
        return []
    terms = packed.tobytes().decode("utf-8").split(_SEPARATOR)
    if len(terms) != count:
        raise ValueError(f"{len(terms)} terms stored, {count} expected")
    return terms


def save_segment(
    path: Path,
    ndocs: int,
    fields: dict[str, FieldPostings],
    spell_df: dict[str, int],
) -> bool:
    """Write a segment's postings (ranked fields and ``id``) and spelling vocabulary to ``path``.

    Returns False, having written nothing, when the data cannot be stored (a term holding the separator)
    or the write fails; the caller keeps its data in memory either way.
    """
    names = sorted(fields)
    spell_terms = list(spell_df)
    if any(_SEPARATOR in t for t in (*names, *spell_terms)) or any(
        _SEPARATOR in t for fp in fields.values() for t in fp.vocab
    ):
        return False
    arrays: dict[str, np.ndarray] = {
        "meta": np.asarray([FORMAT, ndocs, len(names)], dtype=np.int64),
        "fields": _pack_terms(names),
        "spell.terms": _pack_terms(spell_terms),
        "spell.df": np.fromiter(spell_df.values(), dtype=np.int64, count=len(spell_terms)),
    }
    for name in names:
        fp = fields[name]
        # The vocabulary dict maps each term to its row in ptr: stored in row order.
        terms = sorted(fp.vocab, key=fp.vocab.__getitem__)
        arrays[f"field.{name}.terms"] = _pack_terms(terms)
        arrays[f"field.{name}.ptr"] = fp.ptr
        arrays[f"field.{name}.docs"] = fp.docs
        arrays[f"field.{name}.tfs"] = fp.tfs
        arrays[f"field.{name}.doclen"] = fp.doclen
    try:
        write_arrays(path, arrays)
    except OSError as exc:
        log.warning(
            "could not store the ranking data of %s (%s); it is read from the segment", path.name, exc
        )
        return False
    return True


def load_segment_file(
    path: Path, ndocs: int, fieldnames: Sequence[str]
) -> tuple[dict[str, FieldPostings], dict[str, int]] | None:
    """The postings of ``fieldnames`` and the spelling vocabulary stored in ``path``, or None when the
    file is missing or does not hold exactly that (another format, other fields, a damaged file)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            meta = stored["meta"]
            if len(meta) != 3 or int(meta[0]) != FORMAT or int(meta[1]) != ndocs:
                return None
            names = _unpack_terms(stored["fields"], int(meta[2]))
            if sorted(names) != sorted(fieldnames):
                return None
            fields: dict[str, FieldPostings] = {}
            for name in names:
                ptr, docs = stored[f"field.{name}.ptr"], stored[f"field.{name}.docs"]
                tfs, doclen = stored[f"field.{name}.tfs"], stored[f"field.{name}.doclen"]
                if ptr.dtype != np.int64 or len(ptr) < 1:
                    return None
                terms = _unpack_terms(stored[f"field.{name}.terms"], len(ptr) - 1)
                if (
                    docs.dtype != np.int32
                    or tfs.dtype != np.float16
                    or doclen.dtype != np.float32
                    or int(ptr[-1]) != len(docs)
                    or len(tfs) != len(docs)
                    or len(doclen) != ndocs
                ):
                    return None
                fields[name] = FieldPostings(
                    vocab={t: i for i, t in enumerate(terms)}, ptr=ptr, docs=docs, tfs=tfs, doclen=doclen
                )
            spell_counts = stored["spell.df"].tolist()
            spell_df = dict(
                zip(_unpack_terms(stored["spell.terms"], len(spell_counts)), spell_counts, strict=True)
            )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring the stored ranking data %s (%s): reading the segment instead", path.name, exc)
        return None
    return fields, spell_df
