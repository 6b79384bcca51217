"""The one module that talks to Whoosh's storage and reads its internals.

Everything that depends on how Whoosh 2.7 lays out an index lives here, so that a Whoosh upgrade is checked
in one place:

- :class:`WhooshStore` owns the index folder: it creates or opens the index (starting it afresh when its
  schema version is older than this code's), and every write goes through its inter-process lock;
- :func:`segment_postings` and :func:`read_matcher` read a segment's postings in bulk through Whoosh's
  private term file, codec and matcher blocks (``_terms``, ``_codec``, ``_postfile``, ``_read_ids``,
  ``_atend``...): ten times faster than stepping through public matchers, which remain the fallback;
- :func:`open_reader` opens a new generation while keeping the readers of unchanged segments, reading the
  generation's table of contents (``ix._read_toc()``) the way ``ix.reader()`` does.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import pickle  # nosec B403 - only for its exception class: Whoosh unpickles this node's own index files
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import MultiReader, SegmentReader

from search_index.lexical.documents import to_whoosh
from search_index.lexical.ranker import FieldPostings
from search_index.lexical.schema import SCHEMA_VERSION, build_schema
from search_index.sync.filelock import file_lock

log = logging.getLogger(__name__)

_LOCK_FILE = "portal-write.lock"
#: Whoosh pickles the schema, analyzers included, into each generation's table of contents, by module path.
#: Indexes written before the analyzers moved into ``search_index.lexical`` name their old module; these
#: aliases let such an index open (its next commit pickles the new path).
_PICKLED_MODULES = {"search_index.analyzer": "search_index.lexical.analyzer"}
_SCHEMA_FILE = "schema-version"


class IndexBusyError(RuntimeError):
    """A write waited longer than ``lock_timeout`` for another writer (a rebuild that never ends)."""


class WhooshStore:
    """The Whoosh index in ``index_dir``: opening, the write lock and the writes themselves.

    Thread-safe; one per process and index folder. ``on_write`` is called after each committed write
    (the owner then looks at the new generation at once).
    """

    def __init__(
        self, index_dir: Path, *, lock_timeout: float, on_write: Callable[[], None] = lambda: None
    ) -> None:
        self.index_dir = index_dir
        self.lock_timeout = lock_timeout
        self._on_write = on_write
        self._thread_write_lock = threading.RLock()
        # Plain file reads, not mmap: the ranker copies every posting into numpy arrays anyway, and mapped
        # index files made each worker's resident memory ~140 MB larger at 69,000 articles (same results,
        # same query time; opening reads the files instead of faulting pages in).
        self._storage = FileStorage(str(self.index_dir), supports_mmap=False)
        #: True when this instance found an index of an older schema and started it afresh (empty): the
        #: owner must rebuild it from the database (``IndexSync.start`` does, as the cursor is gone too).
        self.recreated = False
        for old, new in _PICKLED_MODULES.items():
            sys.modules.setdefault(old, importlib.import_module(new))
        with self._write_lock():
            try:
                exists = self._storage.index_exists()
                unreadable = ""
            except (ImportError, AttributeError, pickle.UnpicklingError) as exc:  # a schema we cannot read
                exists, unreadable = True, f"{type(exc).__name__}: {exc}"
            if not exists:
                self._storage.create_index(build_schema())
                self._write_schema_version()
            elif unreadable or self._schema_version() != SCHEMA_VERSION:
                log.warning(
                    "search index %s has schema version %s (%s), this code needs %s: starting it afresh",
                    self.index_dir,
                    self._schema_version(),
                    unreadable or "readable",
                    SCHEMA_VERSION,
                )
                self._clear_dir()
                self._storage.create_index(build_schema())
                self._write_schema_version()
                self.recreated = True
        self._ix = self._storage.open_index()

    @property
    def ix(self) -> Any:
        """The open Whoosh index."""
        return self._ix

    # -- schema version -----------------------------------------------------------------------------
    def _schema_version(self) -> int | None:
        try:
            return int((self.index_dir / _SCHEMA_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None  # written before versions were recorded: as old as it gets

    def _write_schema_version(self) -> None:
        (self.index_dir / _SCHEMA_FILE).write_text(f"{SCHEMA_VERSION}\n", encoding="ascii")

    def _clear_dir(self) -> None:
        """Remove the index files and everything derived from them (the sync cursor included), but not
        the lock files other processes may hold."""
        for entry in self.index_dir.iterdir():
            if entry.is_file() and not entry.name.endswith(".lock"):
                entry.unlink(missing_ok=True)

    # -- writing ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """Exclusive across threads (RLock) and processes (flock on a file in the index dir)."""
        busy = lambda: IndexBusyError(f"index {self.index_dir} busy for {self.lock_timeout}s")  # noqa: E731
        # The deadline starts once this thread holds the thread lock (the second context is entered after it).
        with (
            self._thread_write_lock,
            file_lock(self.index_dir / _LOCK_FILE, time.monotonic() + self.lock_timeout, busy),
        ):
            yield

    @contextlib.contextmanager
    def _writer(self, **kwargs: Any) -> Iterator[Any]:
        """A Whoosh writer under the process lock; commits on success, cancels on error."""
        with self._write_lock():
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    writer = self._ix.writer(**kwargs)
                    break
                except LockError:
                    # Only a writer that bypasses our file lock gets here (e.g. a maintenance script).
                    if time.monotonic() > deadline:
                        raise IndexBusyError(f"whoosh write lock held for {self.lock_timeout}s") from None
                    time.sleep(0.05)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
        self._on_write()  # our own write: look at the new generation on the next search

    def upsert(self, docs: Iterable[Mapping[str, Any]]) -> int:
        """Add or replace documents by ``id`` (see :mod:`search_index.lexical.schema` for the keys).

        Missing ``status`` means ``draft`` and missing ``audience`` means ``internal`` (the safe choice:
        agents do not see it). One commit for the whole batch. Returns how many documents were written.
        """
        prepared = [to_whoosh(d) for d in docs]
        if not prepared:
            return 0
        with self._writer(limitmb=128) as w:
            for d in prepared:
                w.update_document(**d)
            w.commit()
        return len(prepared)

    def delete(self, ids: Iterable[int | str]) -> int:
        """Remove documents by article id; unknown ids are ignored. Returns how many were removed."""
        keys = [str(i) for i in ids]
        if not keys:
            return 0
        with self._writer() as w:
            n = int(sum(w.delete_by_term("id", k) for k in keys))
            w.commit()
        return n

    def rebuild(
        self,
        docs: Iterable[Mapping[str, Any]],
        progress: Callable[[int], None] | None = None,
        *,
        progress_every: int = 1000,
        procs: int = 1,
    ) -> int:
        """Replace the whole index with ``docs`` in one commit.

        Readers keep answering from the old generation until the commit, then switch; a failure half
        way leaves the old index untouched. ``progress(n_done)`` is called every ``progress_every``
        documents (the caller reports the total). Returns the number of documents indexed.

        ``procs`` > 1 analyses and writes in that many forked processes, one segment each (the ranker
        reads several segments as one index). Only for a single-threaded caller such as
        ``portal reindex``: forking a process that has other threads (a web worker) is unsafe.
        """
        n = 0
        options: dict[str, Any] = {"limitmb": 256}
        if procs > 1:
            options.update(procs=procs, multisegment=True, batchsize=500)
        with self._writer(**options) as w:
            for doc in docs:
                w.add_document(**to_whoosh(doc))
                n += 1
                if progress is not None and n % progress_every == 0:
                    progress(n)
            w.commit(mergetype=writing.CLEAR)
        return n

    def doc_count_all(self) -> int:
        """Documents in the newest generation, deleted ones not counted out (Whoosh's own count)."""
        return int(self._ix.doc_count_all())

    def latest_generation(self) -> int:
        return int(self._ix.latest_generation())


# --- reading segments -------------------------------------------------------------------------------------


def read_matcher(m: Any) -> tuple[list[int], list[float]]:
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


def _extend(target: array[Any], values: Any) -> None:
    # array.extend refuses an array of another type code (Whoosh may hand out 'B' or 'd' arrays).
    if isinstance(values, array) and values.typecode != target.typecode:
        values = values.tolist()
    target.extend(values)


def segment_postings(seg_reader: Any, fieldnames: Iterable[str]) -> dict[str, FieldPostings]:
    """Build :class:`FieldPostings` for ``fieldnames`` from one Whoosh segment reader."""
    wanted = set(fieldnames)
    ndocs = seg_reader.doc_count_all()
    # array('i'/'f') instead of lists of Python numbers: 4 bytes a posting instead of ~36, which keeps a
    # worker's peak (and, as CPython rarely returns freed memory, its lasting) RSS low at 70,000 articles.
    per_field: dict[str, tuple[list[str], list[int], array[int], array[float]]] = {
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
                ids, weights = read_matcher(m)
            vocab, ptr, allids, allw = per_field[fieldname]
            vocab.append(tbytes.decode("utf-8"))
            _extend(allids, ids)
            _extend(allw, weights)
            ptr.append(ptr[-1] + len(ids))
    else:  # pragma: no cover - other codecs: slower, public API only
        for fieldname in wanted:
            vocab, ptr, allids, allw = per_field[fieldname]
            for text in seg_reader.field_terms(fieldname):
                ids, weights = read_matcher(seg_reader.postings(fieldname, text))
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


def open_reader(ix: Any, previous: Any = None) -> Any:
    """A reader of the newest generation of ``ix`` that keeps ``previous``'s readers of unchanged segments.

    Opening a segment reads its term index (~1 ms a segment here), and after a one-article commit all
    segments but one or two are the same.  Whoosh's own ``reader(reuse=...)`` matches segments by id
    only, but a segment keeps its id when documents in it are deleted (its deletion set lives in the
    generation's TOC), so a reused reader would show replaced documents as live; here a reader is reused
    only when its segment's deletions are the same too.  Nothing closes a snapshot's reader (they are
    left to the garbage collector), so sharing leaf readers between generations is safe.
    """
    if previous is None:
        return ix.reader()
    toc = ix._read_toc()  # what ix.reader() reads first; Whoosh has no public name for it
    if len(toc.segments) <= 1:
        # Nothing to share: a lone segment's reader is the whole reader, carrying the new generation.
        return ix.reader()
    reusable = {
        seg_reader.segment().segment_id(): seg_reader
        for seg_reader, _offset in previous.leaf_readers()
        if seg_reader.segment() is not None
    }
    readers = []
    for segment in toc.segments:
        old = reusable.get(segment.segment_id())
        if old is None or not _same_deletions(old.segment(), segment):
            old = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        readers.append(old)
    return MultiReader(readers, generation=toc.generation)


def _same_deletions(old: Any, new: Any) -> bool:
    """Whether two versions of one segment (same id, so the same documents) delete the same documents."""
    if old.deleted_count() != new.deleted_count():
        return False
    return not old.has_deletions() or set(old.deleted_docs()) == set(new.deleted_docs())
