"""The fused ranking as the portal serves it, next to plain Whoosh and the lexical portal in the same run.

Adds the row ``portal+s`` to :mod:`benchmarks.search_bench`: the portal built exactly like the ``portal`` row
(``import-articles --publish``, ``portal reindex``; the row ``portal-lex`` is the same build with
semantic search off), then the article vectors computed by
``VectorStore.rebuild`` (what ``portal reindex`` does with semantic search on, batch embedding into the
``search_vectors`` table and the worker's matrix), and every query through
``search_index.service.search_articles`` with the fused ranking (:mod:`search_index.fusion` constants).

    .venv/bin/python -m benchmarks.portal_semantic_bench                       # zh (8,455) + en
    .venv/bin/python -m benchmarks.portal_semantic_bench --lang zh --scale --limit-queries 500   # 69,000
    PORTAL_SEMANTIC=e5 .venv/bin/python -m benchmarks.portal_semantic_bench --lang en

Extra columns in the JSON and the printed notes: ``embed_s`` (all article vectors), ``articles_per_s``,
``densities_s`` (every article's neighbour density, as a worker computes them at start-up for the
learned fusion), ``vectors_mb`` (the matrix), ``model_rss_mb`` (process memory growth from loading the model).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmarks import search_bench as sb

#: lang → (PortalSearch, build seconds, VectorStore) so that the lexical row reuses the fused row's build.
_BUILT: dict[str, tuple] = {}


@sb.register("portal-lex")
def _portal_lexical(articles: list[dict], lang: str, workdir: Path) -> sb.Engine:
    """The same built portal with semantic search switched off (run it after ``portal+s``)."""
    if lang not in _BUILT:
        raise RuntimeError("run portal+s first (this row reuses its build)")
    ix, lex_secs, _store = _BUILT[lang]

    def search(q: str) -> list[str]:
        ix.engine.vectors = None
        return [h.external_id for h in ix.search(q, limit=sb.K).hits]

    return sb.Engine(
        "portal-lex", search, lex_secs, notes={"ranking_mb": round(ix.memory_bytes() / 2**20, 1)}
    )


@sb.register("portal+s")
def _portal_semantic(articles: list[dict], lang: str, workdir: Path) -> sb.Engine:
    ix, lex_secs = sb.build_portal_engine(articles, workdir / "portal-index")
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    before = sb._rss_kb()
    t0 = time.perf_counter()
    store = VectorStore(
        get_engine(ix.app),
        load_documents,
        iter_documents,
        os.environ.get("PORTAL_SEMANTIC", "use"),
        background=False,
    )
    load_s = time.perf_counter() - t0
    if not store.enabled:
        raise RuntimeError(f"semantic model not available: {store.reason}")
    model_mb = (sb._rss_kb() - before) / 1024
    t0 = time.perf_counter()
    n = store.rebuild()
    embed_s = time.perf_counter() - t0
    # As a worker does at start-up when it serves the learned fusion (VectorStore.start_in_background).
    t0 = time.perf_counter()
    if ix.engine.fusion_model is not None:
        store.matrix.warm_densities()
    densities_s = time.perf_counter() - t0
    ix.engine.vectors = store
    _BUILT[lang] = (ix, lex_secs, store)
    notes = {
        "model": store.model_name,
        "model_load_s": round(load_s, 1),
        "model_rss_mb": round(model_mb, 1),
        "embed_s": round(embed_s, 1),
        "articles_per_s": round(n / max(embed_s, 1e-9), 1),
        "densities_s": round(densities_s, 1),
        "vectors_mb": round(store.matrix.nbytes / 2**20, 1),
        "ranking_mb": round(ix.memory_bytes() / 2**20, 1),
        "rss_mb": round(sb._rss_kb() / 1024, 1),
    }
    print(f"  [{lang}] portal+s: {notes}", flush=True)

    def search(q: str) -> list[str]:
        ix.engine.vectors = store
        return [h.external_id for h in ix.search(q, limit=sb.K).hits]

    return sb.Engine("portal+s", search, lex_secs + embed_s, notes=notes)


if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a.startswith("--engines") for a in argv):
        argv += ["--engines", "whoosh,portal+s,portal-lex"]
    raise SystemExit(sb.main(argv))
