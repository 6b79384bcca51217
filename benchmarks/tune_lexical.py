"""Tuning harness for the lexical ranking (run by hand): MRR@10 of SearchIndex variants on the dev queries.

Builds one SearchIndex per language from the benchmark articles (cached under benchmarks/out/cache) and
evaluates field parameters / query analysis variants without rebuilding. Dev queries are only used to
measure, never stored.

    .venv/bin/python -m benchmarks.tune_lexical --lang zh
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.search_bench import as_portal_docs, load_dataset
from search_index.lexical import index as ixmod

ROOT = Path(__file__).resolve().parents[1]


CACHE = ROOT / "benchmarks" / "out" / "cache"


def build(lang: str) -> ixmod.SearchIndex:
    articles, _ = load_dataset(lang, False)
    d = CACHE / f"tune-{lang}"
    ix = ixmod.SearchIndex(d)
    if ix.doc_count() != len(articles):
        t = time.monotonic()
        ix.rebuild(as_portal_docs(articles))
        print(f"built {lang} in {time.monotonic() - t:.1f}s")
    return ix


def mrr(ix: ixmod.SearchIndex, queries: list[dict], ext: dict[int, str]) -> tuple[float, float]:
    total = 0.0
    r10 = 0
    for q in queries:
        res = ix.search(q["query"], limit=10)
        rel = set(q["relevant"])
        for rank, h in enumerate(res.hits, 1):
            if h.external_id in rel:
                total += 1 / rank
                r10 += 1
                break
    return total / len(queries), r10 / len(queries)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    _articles, queries = load_dataset(args.lang, False)
    if args.limit:
        queries = queries[:: max(1, len(queries) // args.limit)]
    ix = build(args.lang)
    ext = {}
    t = time.monotonic()
    print(f"baseline {mrr(ix, queries, ext)} {time.monotonic() - t:.1f}s", flush=True)


if __name__ == "__main__":
    main()
