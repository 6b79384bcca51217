"""What searches cost while a worker starts (by hand, not in CI).

A worker at 69,000 articles loads the article vectors and, when the learned fusion is served, computes every
article's neighbour density (tens of seconds), in a thread while it already answers; its first search reads
the search index's ranking data. This script loads what the gunicorn master loads before forking (jieba's
dictionary, the model), does what a worker does (``portal.wsgi``: ``create_app``) in this process, then
searches every ``--every`` seconds for ``--seconds`` seconds, as an agent would right after a deploy, and
prints every search slower than ``--slow`` ms with the start-up log.

    .venv/bin/python -m benchmarks.startup_bench              # the instance benchmarks/load.py prepared

The instance (default benchmarks/out/load-instance) comes from ``benchmarks/load.py``, which prepares it once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from pathlib import Path

from benchmarks.load import OUT, queries


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instance", type=Path, default=OUT / "load-instance")
    parser.add_argument("--seconds", type=float, default=75)
    parser.add_argument("--every", type=float, default=0.2, help="pause between two searches")
    parser.add_argument("--slow", type=float, default=200, help="print searches slower than this (ms)")
    args = parser.parse_args()
    ready = args.instance / "load-ready.json"
    if not ready.exists():
        sys.exit(f"{ready} is missing: run benchmarks/load.py once to prepare the instance")
    os.environ["PORTAL_INSTANCE_DIR"] = str(args.instance)
    os.environ.setdefault("PORTAL_SEMANTIC", "use")
    logging.basicConfig(level=logging.INFO, format="[%(relativeCreated)6.0f ms] %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from portal.app import create_app
    from portal.gunicorn_conf import preload_shared

    # What `portal serve`'s master loads before it forks the workers (jieba, the model): a worker has it.
    preload_shared()
    started = time.perf_counter()
    app = create_app()
    token = json.loads(ready.read_text())["tokens"]["agent"]
    dev_queries = queries()  # the queries benchmarks/load.py searches with
    client, rng, times = app.test_client(), random.Random(0), []
    time.sleep(args.every)
    while time.perf_counter() - started < args.seconds:
        sent = time.perf_counter()
        response = client.get(
            "/api/v1/search",
            query_string={"q": rng.choice(dev_queries)},
            headers={"Authorization": f"Bearer {token}"},
        )
        took = (time.perf_counter() - sent) * 1000
        times.append(took)
        if response.status_code != 200 or took > args.slow:
            print(f"  search sent at {sent - started:5.1f} s: {took:7.0f} ms, status {response.status_code}")
        time.sleep(args.every)
    times.sort()
    print(
        f"{len(times)} searches in {args.seconds:.0f} s from start-up: p50 {times[len(times) // 2]:.0f} ms, "
        f"slowest {times[-1]:.0f} ms, {sum(t > args.slow for t in times)} slower than {args.slow:.0f} ms"
    )


if __name__ == "__main__":
    main()
