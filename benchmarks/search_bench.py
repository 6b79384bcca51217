"""Search quality and speed benchmark (run by hand; not part of the test suite).

Runs the benchmark queries of /work/shared/bench (see its README) through the portal's search code and,
in the same run on the same data, through reference engines, then prints MRR@10, Recall@5, Recall@10,
latency p50/p95 per query, index build time and the memory of a search worker.

    .venv/bin/python -m benchmarks.search_bench                        # zh + en, 8,455 zh articles
    .venv/bin/python -m benchmarks.search_bench --lang zh --scale --limit-queries 500   # 69,000 articles
    .venv/bin/python -m benchmarks.search_bench --engines portal,bm25s --lang en
    .venv/bin/python -m benchmarks.search_bench --engines portal,semantic,fused   # needs search_index.semantic

Engines (``--engines``, comma separated; each is a function registered in :data:`ENGINES`):

- ``portal``: the articles are imported into a SQLite database with ``import_articles`` (as
  ``portal import-articles --publish``), the index is built by ``IndexSync.rebuild`` (``portal reindex``)
  and every query goes through ``search_index.service.search_articles`` exactly as the page and the API
  call it (synonyms, status filter, snippets included); see :func:`build_portal_engine`.
- ``whoosh``: plain Whoosh: jieba's stock ``jieba.analyse.ChineseAnalyzer`` on title and solution, BM25F,
  an OR of the analysed query terms. The latency and quality targets are stated against this row.
- ``bm25s``: the ``bm25s`` library with jieba tokens (a fast in-memory reference).
- ``semantic`` / ``fused``: registered only when ``search_index.semantic`` and ``search_index.fusion``
  import; the embedding model alone, and RRF of portal + embeddings.

Data is read in place and never copied into the repository; the dev queries are only used to measure.
Results are also written as JSON to ``benchmarks/out/`` (gitignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

BENCH = Path(os.environ.get("PORTAL_BENCH_DIR", "/work/shared/bench"))
OUT = ROOT / "benchmarks" / "out"
K = 10


# --- data ------------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON Lines file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_dataset(lang: str, scale: bool) -> tuple[list[dict], list[dict]]:
    """Articles and dev queries for ``lang``; ``scale`` adds the 60,509 extra zh articles."""
    if lang == "zh":
        articles = read_jsonl(BENCH / "faq_zh_articles.jsonl")
        if scale:
            articles += read_jsonl(BENCH / "faq_zh_extra_articles.jsonl")
        queries = read_jsonl(BENCH / "faq_zh_dev_queries.jsonl")
    else:
        articles = read_jsonl(BENCH / "faq_en_articles.jsonl")
        queries = read_jsonl(BENCH / "faq_en_dev_queries.jsonl")
    return articles, queries


def as_portal_docs(articles: list[dict]) -> list[dict]:
    """Benchmark articles as published portal articles (ids are 1..n, like database keys)."""
    return [
        {
            "id": i,
            "external_id": a["external_id"],
            "title": a.get("title", ""),
            "scenario": a.get("scenario", ""),
            "solution": a.get("solution", ""),
            "notes": a.get("notes", ""),
            "category": a.get("category", ""),
            "tags": a.get("tags", []),
            "status": "published",
            "audience": "internal",
        }
        for i, a in enumerate(articles, start=1)
    ]


# --- engines ---------------------------------------------------------------------------------------


@dataclass
class Engine:
    """A built engine: ``search(query) -> [external_id, ...]`` best first, at most ``K``."""

    name: str
    search: Callable[[str], list[str]]
    build_seconds: float
    index_dir: str | None = None
    notes: dict = field(default_factory=dict)
    close: Callable[[], None] = lambda: None


#: name → factory(articles, lang, workdir) -> Engine. Other modules register rows here.
ENGINES: dict[str, Callable[[list[dict], str, Path], Engine]] = {}


def register(name: str):
    """Decorator adding an engine factory to :data:`ENGINES`."""

    def deco(fn):
        ENGINES[name] = fn
        return fn

    return deco


class PortalSearch:
    """The portal's search as the page and the API run it: ``search_articles`` on a real database."""

    def __init__(self, app, engine):
        self.app = app
        self.engine = engine
        self.index = engine.index
        from portal.db import get_engine

        self._db = get_engine(app)

    def search(self, query: str, limit: int = K):
        """One search as an agent (published articles only); the result has ``.hits`` like the index's."""
        from sqlmodel import Session

        from search_index.service import search_articles

        with Session(self._db) as session:
            return search_articles(session, self.engine, query, actor_roles={"agent"}, limit=limit)

    def memory_bytes(self) -> int:
        return self.index.memory_bytes()


def build_portal_engine(articles: list[dict], index_dir: str | os.PathLike) -> tuple[PortalSearch, float]:
    """Build the portal's search the way an installation does; returns ``(PortalSearch, seconds)``.

    The articles go through ``articles.importing.import_articles`` (``portal import-articles --publish``)
    into a fresh SQLite database next to ``index_dir``; the index is built by ``IndexSync.rebuild``
    (``portal reindex``) and queries run through ``search_index.service.search_articles``. The time covers
    the rebuild and the first refresh ("until searchable"); the import is reported separately.
    """
    import logging
    import secrets

    # The portal package first: it imports every package in dependency order.
    from portal import create_app, migrate

    index_dir = Path(index_dir)
    from articles.importing import import_articles
    from articles.search.runtime import get_search_engine
    from portal.db import get_engine, session_scope
    from search_index.sync import changes
    from search_index.sync.catchup import rebuild_procs

    home = index_dir.parent / f"{index_dir.name}-portal"
    home.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{home / 'portal.db'}",
            "INSTANCE_DIR": str(home),
            "INDEX_DIR": str(index_dir),
            "SECRET_KEY": secrets.token_hex(32),
            "SEMANTIC": "off",
        }
    )
    logging.getLogger().setLevel(logging.WARNING)
    migrate.upgrade(get_engine(app))
    engine = get_search_engine(app)
    # The bulk import would also be applied after its commit; the benchmark times the rebuild instead.
    changes.unregister(get_engine(app))
    lines = (json.dumps({k: v for k, v in a.items() if k != "id"}, ensure_ascii=False) for a in articles)
    t0 = time.perf_counter()
    with app.app_context(), session_scope(app) as session:
        report = import_articles(session, lines, actor=None, publish=True)
    import_s = time.perf_counter() - t0
    if report.errors:
        print(f"import: {len(report.errors)} bad line(s), first: {report.errors[0]}", file=sys.stderr)
    print(f"import-articles: {report.created} articles in {import_s:.1f}s", file=sys.stderr)
    t0 = time.perf_counter()
    engine.sync.rebuild(procs=rebuild_procs())  # as `portal reindex` does
    engine.index.refresh(force=True)
    return PortalSearch(app, engine), time.perf_counter() - t0


@register("portal")
def _portal(articles: list[dict], lang: str, workdir: Path) -> Engine:
    index_dir = workdir / "portal-index"
    ix, secs = build_portal_engine(articles, index_dir)

    def search(q: str) -> list[str]:
        return [h.external_id for h in ix.search(q, limit=K).hits]

    return Engine(
        "portal",
        search,
        secs,
        index_dir=str(index_dir),
        notes={"ranking_mb": round(ix.memory_bytes() / 2**20, 1)},
    )


@register("whoosh")
def _plain_whoosh(articles: list[dict], lang: str, workdir: Path) -> Engine:
    from jieba.analyse import ChineseAnalyzer
    from whoosh import fields, index, query, scoring

    analyzer = ChineseAnalyzer()
    schema = fields.Schema(
        external_id=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer),
        solution=fields.TEXT(analyzer=analyzer),
    )
    path = workdir / "plain-whoosh"
    path.mkdir()
    t0 = time.perf_counter()
    ix = index.create_in(str(path), schema)
    w = ix.writer(limitmb=256)
    for a in articles:
        w.add_document(external_id=a["external_id"], title=a.get("title", ""), solution=a.get("solution", ""))
    w.commit()
    searcher = ix.searcher(weighting=scoring.BM25F())
    secs = time.perf_counter() - t0

    def search(q: str) -> list[str]:
        terms = {t.text for t in analyzer(q)}
        if not terms:
            return []
        qry = query.Or([query.Term(f, t) for f in ("title", "solution") for t in sorted(terms)])
        return [hit["external_id"] for hit in searcher.search(qry, limit=K)]

    return Engine("whoosh", search, secs, index_dir=str(path), close=searcher.close)


_EN_SPLIT = re.compile(r"[a-z0-9]+")


def _bm25s_tokens(text: str, lang: str) -> list[str]:
    import jieba

    text = text.lower()
    if lang == "en":
        return _EN_SPLIT.findall(text)
    return [t for t in jieba.lcut(text) if t.strip() and re.search(r"\w", t)]


@register("bm25s")
def _bm25s(articles: list[dict], lang: str, workdir: Path) -> Engine:
    import bm25s

    t0 = time.perf_counter()
    corpus = [
        _bm25s_tokens(" ".join(a.get(f, "") or "" for f in ("title", "scenario", "solution")), lang)
        for a in articles
    ]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    vocab = retriever.vocab_dict
    secs = time.perf_counter() - t0
    ids = [a["external_id"] for a in articles]

    def search(q: str) -> list[str]:
        toks = [t for t in _bm25s_tokens(q, lang) if t in vocab]
        if not toks:
            return []
        docs, scores = retriever.retrieve([toks], k=min(K, len(ids)), show_progress=False, n_threads=1)
        return [ids[d] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    return Engine("bm25s", search, secs)


def _register_semantic_rows() -> None:
    """Add ``semantic`` and ``fused`` rows when the semantic modules are part of the tree."""
    try:
        from search_index import DEFAULT_RANKING
        from search_index.ranking import fusion
        from search_index.semantic import model as semantic
        from search_index.semantic.matrix import VectorMatrix
    except ImportError:
        return

    def _embed(articles: list[dict]):
        embedder = semantic.load_configured_embedder()
        if embedder is None:
            raise RuntimeError("no embedding model available (PORTAL_SEMANTIC=off or model missing)")
        t0 = time.perf_counter()
        docs = as_portal_docs(articles)
        vecs = embedder.embed_texts([semantic.article_text(d) for d in docs])
        matrix = VectorMatrix.from_arrays([d["external_id"] for d in docs], vecs)
        return embedder, matrix, time.perf_counter() - t0

    @register("semantic")
    def _semantic(articles: list[dict], lang: str, workdir: Path) -> Engine:
        embedder, matrix, secs = _embed(articles)

        def search(q: str) -> list[str]:
            return [i for i, _s in matrix.top_k(embedder.embed_query(q), K)]

        return Engine("semantic", search, secs)

    @register("fused")
    def _fused(articles: list[dict], lang: str, workdir: Path) -> Engine:
        ix, lex_secs = build_portal_engine(articles, workdir / "fused-index")
        embedder, matrix, sem_secs = _embed(articles)

        def search(q: str) -> list[str]:
            lex = [(h.external_id, h.score) for h in ix.search(q, limit=DEFAULT_RANKING.lexical_depth).hits]
            sem = matrix.top_k(embedder.embed_query(q), DEFAULT_RANKING.semantic_depth)
            return [i for i, _s in fusion.fuse(lex, sem, limit=K)]

        return Engine("fused", search, lex_secs + sem_secs)


_register_semantic_rows()


# --- measuring -------------------------------------------------------------------------------------


def evaluate(engine: Engine, queries: list[dict]) -> dict:
    """MRR@10, Recall@5/@10 and latency percentiles of ``engine`` over ``queries``."""
    rr, r5, r10, lat = [], [], [], []
    for q in queries[:20]:  # warm caches (jieba, numpy) so p50 is not the first query's cost
        engine.search(q["query"])
    gc.collect()
    for q in queries:
        t0 = time.perf_counter()
        got = engine.search(q["query"])
        lat.append((time.perf_counter() - t0) * 1000.0)
        rel = set(q["relevant"])
        ranks = [i for i, ext in enumerate(got[:K], start=1) if ext in rel]
        rr.append(1.0 / ranks[0] if ranks else 0.0)
        r5.append(len(rel & set(got[:5])) / len(rel))
        r10.append(len(rel & set(got[:K])) / len(rel))
    return {
        "mrr10": float(np.mean(rr)),
        "recall5": float(np.mean(r5)),
        "recall10": float(np.mean(r10)),
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
    }


def _rss_kb(kind: str = "VmRSS") -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(kind + ":"):
                return int(line.split()[1])
    return 0


def worker_probe(index_dir: str, queries_path: str, n: int) -> dict:
    """Run inside a fresh process: open the index like a worker, serve ``n`` queries, report memory."""
    from search_index.lexical.index import SearchIndex

    base = _rss_kb()
    ix = SearchIndex(index_dir)
    queries = read_jsonl(Path(queries_path))[:n]
    t0 = time.perf_counter()
    ix.refresh(force=True)
    open_s = time.perf_counter() - t0
    for q in queries:
        ix.search(q["query"], limit=K)
    return {
        "rss_mb": round(_rss_kb() / 1024, 1),
        "peak_rss_mb": round(_rss_kb("VmHWM") / 1024, 1),
        # RSS = private (anonymous) memory + file-backed pages: the index files Whoosh maps and the shared
        # libraries, which every worker shares and the kernel can reclaim. The first is what a worker costs.
        "anon_mb": round(_rss_kb("RssAnon") / 1024, 1),
        "file_mb": round(_rss_kb("RssFile") / 1024, 1),
        "interpreter_mb": round(base / 1024, 1),
        "worker_open_s": round(open_s, 2),
    }


def measure_worker(index_dir: str, lang: str) -> dict:
    """Memory of one search worker process opening the built portal index (a clean subprocess)."""
    queries = BENCH / ("faq_zh_dev_queries.jsonl" if lang == "zh" else "faq_en_dev_queries.jsonl")
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.search_bench",
        "--worker-probe",
        index_dir,
        "--probe-queries",
        str(queries),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(lang: str, scale: bool, engines: list[str], limit_queries: int | None, seed: int) -> list[dict]:
    """Build each engine on one language's data and evaluate it on the same queries."""
    articles, queries = load_dataset(lang, scale)
    if limit_queries and limit_queries < len(queries):
        # A seeded sample, not the first N: the files are ordered by answer article.
        queries = random.Random(seed).sample(queries, limit_queries)
    rows = []
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        for name in engines:
            if name not in ENGINES:
                print(f"  [{lang}] engine {name!r} not available (have: {', '.join(ENGINES)})")
                continue
            workdir = Path(tmp) / name
            workdir.mkdir()
            print(f"  [{lang}] building {name} on {len(articles):,} articles …", flush=True)
            try:
                engine = ENGINES[name](articles, lang, workdir)
            except Exception as exc:  # one broken optional engine must not lose the other rows
                print(f"  [{lang}] {name} failed to build: {type(exc).__name__}: {exc}")
                continue
            print(f"  [{lang}] querying {name} with {len(queries):,} queries …", flush=True)
            row = {
                "engine": name,
                "lang": lang,
                "articles": len(articles),
                "queries": len(queries),
                "build_s": round(engine.build_seconds, 2),
                **evaluate(engine, queries),
                **engine.notes,
            }
            if name == "portal" and engine.index_dir:
                row.update(measure_worker(engine.index_dir, lang))
            engine.close()
            rows.append(row)
            print("   ", _fmt_row(row), flush=True)
    return rows


_COLS = [
    ("engine", "{:<9}"),
    ("lang", "{:<4}"),
    ("articles", "{:>8,}"),
    ("queries", "{:>7,}"),
    ("mrr10", "{:>6.3f}"),
    ("recall5", "{:>6.3f}"),
    ("recall10", "{:>6.3f}"),
    ("p50_ms", "{:>7.2f}"),
    ("p95_ms", "{:>7.2f}"),
    ("build_s", "{:>7.1f}"),
    ("rss_mb", "{:>6}"),
]


def _fmt_row(row: dict) -> str:
    return " ".join(fmt.format(row.get(k, "-")) if k in row else fmt.format("-") for k, fmt in _COLS)


def print_table(rows: list[dict]) -> None:
    """Print all rows plus the portal-vs-plain-Whoosh ratios the targets are stated in."""
    print()
    print(" ".join(f"{k:>{len(fmt.format(0)) if k != 'engine' else 9}}" for k, fmt in _COLS))
    for row in rows:
        print(_fmt_row(row))
    for lang in sorted({r["lang"] for r in rows}):
        p = next((r for r in rows if r["lang"] == lang and r["engine"] == "portal"), None)
        w = next((r for r in rows if r["lang"] == lang and r["engine"] == "whoosh"), None)
        if p and w:
            print(
                f"[{lang} {p['articles']:,}] portal/whoosh: MRR@10 ×{p['mrr10'] / max(w['mrr10'], 1e-9):.2f}, "
                f"p95 latency 1/{w['p95_ms'] / max(p['p95_ms'], 1e-9):.1f} of plain Whoosh"
            )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", choices=("zh", "en", "all"), default="all")
    ap.add_argument("--scale", action="store_true", help="add faq_zh_extra_articles (69,000 zh articles)")
    ap.add_argument("--limit-queries", type=int, default=None, help="seeded sample of N queries per language")
    ap.add_argument("--engines", default="portal,whoosh,bm25s", help=f"comma list of: {', '.join(ENGINES)}")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--worker-probe", help=argparse.SUPPRESS)
    ap.add_argument("--probe-queries", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker_probe:
        print(json.dumps(worker_probe(args.worker_probe, args.probe_queries, 300)))
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    langs = ["zh", "en"] if args.lang == "all" else [args.lang]
    rows: list[dict] = []
    for lang in langs:
        rows += run(lang, args.scale and lang == "zh", engines, args.limit_queries, args.seed)
    print_table(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = OUT / f"search_bench-{stamp}{'-scale' if args.scale else ''}.json"
    out.write_text(
        json.dumps({"args": vars(args), "rows": rows}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    print(f"\nresults written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
