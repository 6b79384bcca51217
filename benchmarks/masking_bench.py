"""Time ``mask_text`` on the dev queries: the search log masks every query before storing it.

.venv/bin/python benchmarks/masking_bench.py [--queries /work/shared/bench/faq_zh_dev_queries.jsonl] [--repeat 5]

Three passes over the same queries: as they are (mostly no personal data), with two admin patterns, and with
a mobile number, an e-mail address and a street address added to every query (the worst case: every detector
fires). Each query is timed ``--repeat`` times and its fastest time kept (on a shared machine a single
timing mostly measures preemption); reported: total, mean, p50, p95 and p99 per query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from portal.masking import ExtraPattern, mask_text

DEFAULT_QUERIES = Path("/work/shared/bench/faq_zh_dev_queries.jsonl")


def load_queries(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh if line.strip()]


def timed(queries: Sequence[str], call: Callable[[str], object]) -> list[float]:
    """Seconds per query, in query order."""
    out = []
    for query in queries:
        start = time.perf_counter()
        call(query)
        out.append(time.perf_counter() - start)
    return out


def summary(name: str, runs: list[list[float]]) -> str:
    best = [min(times) for times in zip(*runs, strict=True)]
    cuts = statistics.quantiles(best, n=100)
    return (
        f"{name:<28} total {sum(best) * 1e3:8.1f} ms   mean {statistics.fmean(best) * 1e6:7.1f} µs   "
        f"p50 {cuts[49] * 1e6:7.1f} µs   p95 {cuts[94] * 1e6:7.1f} µs   p99 {cuts[98] * 1e6:7.1f} µs"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    queries = load_queries(args.queries)
    extras = [ExtraPattern.compile("会员号", r"VIP\d{6}"), ExtraPattern.compile("车牌", r"京[A-Z]\d{5}")]
    dirty = [f"{q} 手机13812345678 邮箱zhang.san@qq.com 地址广东省深圳市南山区科技园路1号" for q in queries]
    passes: list[tuple[str, Sequence[str], Callable[[str], object]]] = [
        ("dev queries", queries, mask_text),
        ("dev queries + 2 patterns", queries, lambda q: mask_text(q, extras)),
        ("with personal data", dirty, mask_text),
    ]
    print(f"{len(queries)} queries from {args.queries}, fastest of {args.repeat} timings per query")
    for name, texts, call in passes:
        print(summary(name, [timed(texts, call) for _ in range(args.repeat)]))


if __name__ == "__main__":
    main()
