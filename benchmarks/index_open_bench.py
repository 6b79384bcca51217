"""What opening the search index and switching to a new generation cost a worker (by hand, not in CI).

Works on a copy of the index that ``benchmarks/load.py`` prepared (68,964 articles), so the instance is
left as it was:

- **open**: a fresh process builds its first snapshot (what a worker's first search does), once without the
  segments' stored ranking data (``*.ranking.npz``, removed from the copy: every posting list read from
  Whoosh) and once with it (the data the first process stored);
- **new generation**: after a one-article upsert (a saved draft), the time to build the new snapshot and
  the first filtered search on it, against the same search on an unchanged generation.

    .venv/bin/python -m benchmarks.index_open_bench [--instance DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load import OUT, queries

OPEN_ONCE = """
import json, time
from search_index.lexical.index import SearchIndex
started = time.perf_counter()
ix = SearchIndex({index!r})
ix.refresh(force=True)
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""


def open_in_fresh_process(index: Path) -> float:
    code = OPEN_ONCE.format(index=str(index))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def generation_switch(index: Path, repeat: int) -> dict:
    from search_index.lexical.index import SearchIndex

    ix = SearchIndex(index)
    dev = queries()[:50]
    for q in dev:
        ix.search(q, limit=10)  # steady state: every segment and filter read

    def search_ms(q: str) -> float:
        started = time.perf_counter()
        ix.search(q, limit=10)
        return (time.perf_counter() - started) * 1000

    steady = [search_ms(q) for q in dev]
    builds, firsts = [], []
    for i in range(repeat):
        ix.upsert([{"id": 990_000 + i, "title": f"压测草稿 {i}", "solution": "重置密码", "status": "draft"}])
        started = time.perf_counter()
        ix.refresh(force=True)  # what the saving worker does after its commit (the others: next search)
        builds.append((time.perf_counter() - started) * 1000)
        firsts.append(search_ms(dev[i % len(dev)]))
    ix.close()
    return {
        "steady_search_ms_median": round(statistics.median(steady), 1),
        "new_snapshot_ms": [round(b, 1) for b in builds],
        "first_search_on_it_ms": [round(f, 1) for f in firsts],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instance", type=Path, default=OUT / "load-instance")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    assert 1 <= args.repeat <= 50
    source = args.instance / "index"
    if not (source / "schema-version").exists():
        sys.exit(f"{source} is missing: run benchmarks/load.py once to prepare the instance")
    with tempfile.TemporaryDirectory(prefix="index-open-") as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(source, index)
        for stored in index.glob("*.ranking.npz"):
            stored.unlink()
        report = {"open_without_stored_data_s": round(open_in_fresh_process(index), 2)}
        report["stored_files"] = len(list(index.glob("*.ranking.npz")))
        with_data = [open_in_fresh_process(index) for _ in range(args.repeat)]
        report["open_with_stored_data_s"] = round(statistics.median(with_data), 3)
        report["new_generation"] = generation_switch(index, args.repeat)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
