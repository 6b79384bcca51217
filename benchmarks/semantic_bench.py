"""Benchmark of semantic search: each embedder alone and fused with a lexical ranking.

Reads the shared benchmark data in place (never copies it into the repository) and writes results JSON to
``benchmarks/out/`` (gitignored), together with an embedding cache so that re-runs do not re-embed.

    .venv/bin/python -m benchmarks.semantic_bench                      # zh + en, 8,455 articles, use + e5
    .venv/bin/python -m benchmarks.semantic_bench --scale --models use  # 69,000 zh articles
    .venv/bin/python -m benchmarks.semantic_bench --tune --thresholds   # fusion grid + cosine distributions

Measured per engine: MRR@10, Recall@5, Recall@10, p50/p95 latency per query, embedding time for all articles,
and (``--worker-memory``, in a clean subprocess) the RSS of a worker that holds the model and the matrix.

Lexical side: the project's ``search_index.index.SearchIndex`` when it is importable and works (``--lexical
auto``), else a stand-in (bm25s + jieba). A *plain Whoosh* index (jieba analyzer, OR query over title and
solution) is always built in the same run as the reference the targets are stated against.

Tuning uses the dev queries in memory only; nothing derived from them is written except aggregate figures.
The fusion grid is evaluated with 2-fold cross-validation (folds split by answer article, so paraphrases of
one intent never sit on both sides) to show that the chosen parameters are not fitted to noise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from search_index import DEFAULT_RANKING
from search_index.ranking import fusion
from search_index.semantic.matrix import VectorMatrix
from search_index.semantic.model import article_text, load_embedder

ROOT = Path(__file__).resolve().parents[1]


BENCH = Path(os.environ.get("PORTAL_BENCH_DIR", ROOT.parent / "shared" / "bench"))
OUT = ROOT / "benchmarks" / "out"
CACHE = OUT / "cache"
DEPTH = 100  # hits taken from each side before fusion


# ----------------------------------------------------------------------------- data
def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_articles(lang: str, scale: bool) -> list[dict]:
    docs = read_jsonl(BENCH / f"faq_{lang}_articles.jsonl")
    if scale and lang == "zh":
        docs += read_jsonl(BENCH / "faq_zh_extra_articles.jsonl")
    for d in docs:
        d["id"] = d["external_id"]
    return docs


def load_queries(lang: str, limit: int | None) -> list[dict]:
    queries = read_jsonl(BENCH / f"faq_{lang}_dev_queries.jsonl")
    return queries[:limit] if limit else queries


# ----------------------------------------------------------------------------- metrics
def rank_of(ranking: list, relevant: set) -> int | None:
    for pos, (item_id, _s) in enumerate(ranking[:10], start=1):
        if item_id in relevant:
            return pos
    return None


def metrics(rankings: list[list], queries: list[dict]) -> dict:
    mrr = r5 = r10 = 0.0
    for ranking, q in zip(rankings, queries, strict=True):
        pos = rank_of(ranking, set(q["relevant"]))
        if pos is not None:
            mrr += 1.0 / pos
            r5 += pos <= 5
            r10 += 1
    n = max(len(queries), 1)
    return {"mrr@10": round(mrr / n, 4), "recall@5": round(r5 / n, 4), "recall@10": round(r10 / n, 4)}


def percentiles(ms: list[float]) -> dict:
    if not ms:
        return {}
    arr = np.asarray(ms)
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
    }


# ----------------------------------------------------------------------------- lexical engines
def tokens(text: str) -> list[str]:
    import jieba

    text = (text or "").lower()
    return [t for t in jieba.lcut_for_search(text) if re.search(r"\w", t)]


class Bm25Lexical:
    """Stand-in lexical engine: bm25s over jieba search-mode tokens of title + scenario + solution."""

    name = "bm25s+jieba"

    def build(self, docs: list[dict]) -> None:
        import bm25s

        self.ids = [d["id"] for d in docs]
        corpus = [tokens(" ".join(d.get(f) or "" for f in ("title", "scenario", "solution"))) for d in docs]
        self.retriever = bm25s.BM25()
        self.retriever.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple]:
        toks = tokens(query)
        if not toks:
            return []
        scores = self.retriever.get_scores(toks)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


class PlainWhoosh:
    """Reference: Whoosh with jieba's analyzer, OR query over title and solution, BM25F defaults."""

    name = "plain-whoosh"

    def build(self, docs: list[dict]) -> None:
        from jieba.analyse import ChineseAnalyzer
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema

        analyzer = ChineseAnalyzer()
        schema = Schema(id=ID(stored=True), title=TEXT(analyzer=analyzer), solution=TEXT(analyzer=analyzer))
        self._tmp = tempfile.TemporaryDirectory(prefix="plainwhoosh-")
        ix = index.create_in(self._tmp.name, schema)
        writer = ix.writer(limitmb=256)
        for d in docs:
            writer.add_document(
                id=d["id"], title=d.get("title") or "", solution=(d.get("solution") or "")[:2000]
            )
        writer.commit()
        self.ix = ix
        self.searcher = ix.searcher()

    def search(self, query: str, k: int) -> list[tuple]:
        from whoosh.qparser import MultifieldParser, OrGroup

        text = re.sub(r"[^\w\s]", " ", query or "")
        if not text.strip():
            return []
        parser = MultifieldParser(["title", "solution"], self.ix.schema, group=OrGroup)
        results = self.searcher.search(parser.parse(text), limit=k)
        return [(hit["id"], float(hit.score)) for hit in results]


class ProjectLexical:
    """The project's SearchIndex (search_index/index.py), when present."""

    name = "project-searchindex"

    def build(self, docs: list[dict]) -> None:
        from search_index.lexical.index import SearchIndex

        self._tmp = tempfile.TemporaryDirectory(prefix="searchindex-")
        self.index = SearchIndex(self._tmp.name)
        self.index.rebuild(docs)

    def search(self, query: str, k: int) -> list[tuple]:
        # Benchmark articles carry no status (the index files them as drafts): search every status.
        hits = self.index.search(query, limit=k, statuses=None)
        return [(h.id, float(getattr(h, "score", 0.0) or 0.0)) for h in hits]


def make_lexical(choice: str, docs: list[dict]):
    if choice in ("auto", "project"):
        try:
            engine = ProjectLexical()
            engine.build(docs)
            engine.search("测试 test", 5)
            return engine
        except Exception as exc:
            if choice == "project":
                raise
            print(f"  project SearchIndex unavailable ({type(exc).__name__}: {exc}); using bm25s stand-in")
    engine = Bm25Lexical()
    engine.build(docs)
    return engine


# ----------------------------------------------------------------------------- embedding
def embed_articles(embedder, docs: list[dict]) -> tuple[np.ndarray, float, bool]:
    """Article vectors, from the cache when the same model already embedded the same texts."""
    texts = [article_text(d) for d in docs]
    digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:16]
    path = CACHE / f"{embedder.name}-{len(texts)}-{digest}.npy"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return np.load(path), json.loads(meta.read_text())["seconds"], True
    start = time.perf_counter()
    vecs = embedder.embed_texts(texts)
    seconds = time.perf_counter() - start
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs.astype(np.float16))
    meta.write_text(json.dumps({"seconds": seconds, "n": len(texts)}))
    return vecs, seconds, False


def rss_mb() -> dict:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


# ----------------------------------------------------------------------------- runs
def run_rankings(engine_search, queries: list[dict]) -> tuple[list[list], list[float]]:
    rankings, times = [], []
    for q in queries:
        start = time.perf_counter()
        rankings.append(engine_search(q["query"]))
        times.append((time.perf_counter() - start) * 1000)
    return rankings, times


def rank_lists_default(lex: list[list], sem: list[list]) -> list[list]:
    return [fusion.fuse(lr, sr, limit=10) for lr, sr in zip(lex, sem, strict=True)]


def tune(lex: list[list], sem: list[list], queries: list[dict]) -> dict:
    """Grid over fusion parameters; 2-fold cross-validation split by answer article."""
    grid = []
    for k in (1, 2, 3, 5, 10, 20, 40, 60):
        for wl in (0.2, 0.35, 0.5, 0.7, 1.0, 1.4):
            for depth in (20, 50, 100):
                grid.append(
                    ("rrf", {"k": k, "lexical_weight": wl, "lexical_depth": depth, "semantic_depth": depth})
                )
    for alpha in np.arange(0.0, 1.01, 0.1):
        for depth in (20, 50, 100):
            grid.append(
                (
                    "weighted",
                    {"alpha": round(float(alpha), 2), "lexical_depth": depth, "semantic_depth": depth},
                )
            )

    def reciprocal_ranks(method, params):
        fn = fusion.rrf if method == "rrf" else fusion.weighted_sum
        out = np.zeros(len(queries))
        for i, q in enumerate(queries):
            pos = rank_of(fn(lex[i], sem[i], limit=10, **params), set(q["relevant"]))
            out[i] = 1.0 / pos if pos else 0.0
        return out

    # Reciprocal ranks per query for every grid point, once; fold scores are then means over index sets.
    rr = [reciprocal_ranks(method, params) for method, params in grid]
    fold = np.array([int(hashlib.sha256(q["relevant"][0].encode()).hexdigest(), 16) % 2 for q in queries])
    table = sorted(
        ((m, p, round(float(r.mean()), 4)) for (m, p), r in zip(grid, rr, strict=True)), key=lambda t: -t[2]
    )
    cv = []
    for train, test in ((0, 1), (1, 0)):
        best = max(range(len(grid)), key=lambda g: rr[g][fold == train].mean())
        cv.append(
            {
                "chosen_on_fold": {"method": grid[best][0], **grid[best][1]},
                "other_fold_mrr@10": round(float(rr[best][fold == test].mean()), 4),
            }
        )
    defaults = rank_lists_default(lex, sem)
    default_mrr = metrics(defaults, queries)["mrr@10"]
    best_rrf = next(t for t in table if t[0] == "rrf")
    best_weighted = next(t for t in table if t[0] == "weighted")
    return {
        "best_overall": {"method": table[0][0], **table[0][1], "mrr@10": table[0][2]},
        "best_rrf": {**best_rrf[1], "mrr@10": best_rrf[2]},
        "best_weighted": {**best_weighted[1], "mrr@10": best_weighted[2]},
        "top10": [{"method": m, **p, "mrr@10": s} for m, p, s in table[:10]],
        "cross_validation": cv,
        "current_defaults_mrr@10": default_mrr,
    }


def cosine_distributions(matrix: VectorMatrix, embedder, queries: list[dict], seed: int = 7) -> dict:
    """Cosines of true paraphrase pairs (query, its article) vs random (query, article) pairs."""
    rng = random.Random(seed)
    ids = matrix.ids
    qvecs = embedder.embed_texts([q["query"] for q in queries])  # as documents: pairs of customer texts
    para, rand = [], []
    for q, qv in zip(queries, qvecs, strict=True):
        vec = matrix.get(q["relevant"][0])
        if vec is not None:
            para.append(float(vec @ qv))
        for _ in range(5):
            rand.append(float(matrix.get(ids[rng.randrange(len(ids))]) @ qv))

    def pct(values):
        arr = np.asarray(values)
        return {
            f"p{p}": round(float(np.percentile(arr, p)), 3) for p in (1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9)
        }

    out = {
        "paraphrase_pairs": pct(para),
        "random_pairs": pct(rand),
        "n_paraphrase": len(para),
        "n_random": len(rand),
    }
    for t in (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        out[f"at_{t}"] = {
            "paraphrase_share_above": round(float(np.mean(np.asarray(para) >= t)), 3),
            "random_share_above": round(float(np.mean(np.asarray(rand) >= t)), 5),
        }
    return out


def bench_lang(lang: str, args, results: dict) -> None:
    docs = load_articles(lang, args.scale)
    queries = load_queries(lang, args.queries)
    key = f"{lang}-{len(docs)}"
    res = results.setdefault(key, {"articles": len(docs), "queries": len(queries)})
    print(f"== {lang}: {len(docs)} articles, {len(queries)} dev queries")

    start = time.perf_counter()
    whoosh = PlainWhoosh()
    whoosh.build(docs)
    res["plain_whoosh_build_s"] = round(time.perf_counter() - start, 1)
    w_rank, w_ms = run_rankings(lambda q: whoosh.search(q, 10), queries)
    res["plain_whoosh"] = {**metrics(w_rank, queries), **percentiles(w_ms)}
    print("  plain whoosh", res["plain_whoosh"])

    lexical = make_lexical(args.lexical, docs)
    lex_rank, lex_ms = run_rankings(lambda q: lexical.search(q, DEPTH), queries)
    res["lexical"] = {"engine": lexical.name, **metrics(lex_rank, queries), **percentiles(lex_ms)}
    print(f"  lexical {lexical.name}", res["lexical"])
    lexical_sides = {lexical.name: (lex_rank, lex_ms)}
    if lexical.name != "plain-whoosh":
        w100, w100_ms = run_rankings(lambda q: whoosh.search(q, DEPTH), queries)
        lexical_sides["plain-whoosh"] = (w100, w100_ms)

    for model in args.models:
        embedder = load_embedder(model)
        if embedder is None:
            res[model] = {"error": "not available on this machine"}
            continue
        vecs, embed_s, cached = embed_articles(embedder, docs)
        matrix = VectorMatrix.from_arrays([d["id"] for d in docs], vecs)
        matrix.top_k(vecs[0], 1)  # builds the coarse matrix outside the timed loop
        embedder.embed_query("预热 warm up")

        embed_ms, topk_ms, sem_rank = [], [], []
        for q in queries:
            t0 = time.perf_counter()
            qv = embedder.embed_query(q["query"])
            t1 = time.perf_counter()
            sem_rank.append(matrix.top_k(qv, DEPTH))
            t2 = time.perf_counter()
            embed_ms.append((t1 - t0) * 1000)
            topk_ms.append((t2 - t1) * 1000)
        sem_ms = [a + b for a, b in zip(embed_ms, topk_ms, strict=True)]
        entry = {
            "model": embedder.name,
            "embed_articles_s": round(embed_s, 1),
            "embed_articles_cached": cached,
            "articles_per_s": round(len(docs) / max(embed_s, 1e-9), 1),
            "matrix_mb": round(matrix.nbytes / 2**20, 1),
            "alone": {**metrics(sem_rank, queries), **percentiles(sem_ms)},
            "query_embed": percentiles(embed_ms),
            "matrix_top_k": percentiles(topk_ms),
        }
        if args.exact_check and len(docs) >= matrix.exact_below:
            exact = VectorMatrix.from_arrays([d["id"] for d in docs], vecs, exact_below=10**9)
            ex_rank = [exact.top_k(embedder.embed_query(q["query"]), DEPTH) for q in queries[:300]]
            entry["exact_scan_alone_first300"] = metrics(ex_rank, queries[:300])
            entry["two_stage_alone_first300"] = metrics(sem_rank[:300], queries[:300])
        for lex_name, (lrank, lms) in lexical_sides.items():
            fuse_ms, fused = [], []
            for lr, sr in zip(lrank, sem_rank, strict=True):
                t0 = time.perf_counter()
                fused.append(fusion.fuse(lr, sr, limit=10))
                fuse_ms.append((time.perf_counter() - t0) * 1000)
            total = [a + b + c for a, b, c in zip(lms, sem_ms, fuse_ms, strict=True)]
            entry[f"fused_with_{lex_name}"] = {
                "method": DEFAULT_RANKING.fusion_method,
                **metrics(fused, queries),
                **percentiles(total),
                "semantic_side": percentiles(sem_ms),
            }
            if args.tune and lex_name == lexical.name:
                entry[f"tuning_with_{lex_name}"] = tune(lrank, sem_rank, queries)
        if args.thresholds:
            entry["cosine_distributions"] = cosine_distributions(matrix, embedder, queries)
        res[model] = entry
        print(
            f"  {model}:",
            json.dumps({k: v for k, v in entry.items() if not k.startswith(("tuning", "cosine"))}),
        )
        if args.tune:
            for k, v in entry.items():
                if k.startswith("tuning"):
                    print(
                        f"    {k}: best {v['best_overall']} rrf {v['best_rrf']} weighted {v['best_weighted']}"
                    )
                    print(f"      cv {v['cross_validation']} defaults {v['current_defaults_mrr@10']}")
        if args.thresholds:
            print("    cosines", json.dumps(entry["cosine_distributions"]))
        del matrix, vecs


def worker_memory(model: str, scale: bool) -> dict:
    """RSS of a fresh process holding what a worker holds: jieba, whoosh, the model, the vector matrix."""
    import jieba
    import whoosh  # noqa: F401

    jieba.initialize()
    docs = load_articles("zh", scale)
    embedder = load_embedder(model)
    vecs, _, _ = embed_articles(embedder, docs)
    ids = [d["id"] for d in docs]
    del docs
    matrix = VectorMatrix.from_arrays(ids, vecs)
    del vecs
    for text in ("花呗怎么还款", "借呗额度", "how do I reset my password"):
        matrix.top_k(embedder.embed_query(text), 100)
    return {"model": model, "articles": len(matrix), "matrix_mb": round(matrix.nbytes / 2**20, 1), **rss_mb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", default="zh,en")
    parser.add_argument("--models", default="use,e5")
    parser.add_argument("--scale", action="store_true", help="zh with the extra articles (69,000 in all)")
    parser.add_argument("--queries", type=int, default=None, help="use only the first N dev queries")
    parser.add_argument("--lexical", default="auto", choices=("auto", "project", "bm25s"))
    parser.add_argument("--tune", action="store_true", help="grid-search the fusion parameters")
    parser.add_argument("--thresholds", action="store_true", help="cosine distributions for the thresholds")
    parser.add_argument("--exact-check", action="store_true", help="compare two-stage top-k with a full scan")
    parser.add_argument("--worker-memory", action="store_true", help="measure worker RSS in a subprocess")
    parser.add_argument("--_memory-child", dest="memory_child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]

    if args.memory_child:
        print(json.dumps(worker_memory(args.memory_child, args.scale)))
        return 0

    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "fusion": {
            "method": DEFAULT_RANKING.fusion_method,
            "rrf_k": DEFAULT_RANKING.rrf_k,
            "lexical_weight": DEFAULT_RANKING.lexical_weight,
        },
    }
    for lang in args.langs.split(","):
        bench_lang(lang, args, results)
    if args.worker_memory:
        for model in args.models:
            cmd = [sys.executable, "-m", "benchmarks.semantic_bench", "--_memory-child", model] + (
                ["--scale"] if args.scale else []
            )
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
            line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
            try:
                results.setdefault("worker_memory", []).append(json.loads(line))
            except json.JSONDecodeError:
                results.setdefault("worker_memory", []).append({"model": model, "error": line})
            print("  worker memory", results["worker_memory"][-1])

    OUT.mkdir(parents=True, exist_ok=True)
    name = args.out or f"semantic_bench{'_scale' if args.scale else ''}_{time.strftime('%Y%m%d-%H%M%S')}.json"
    path = OUT / name
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
