"""Time `import_articles` on the shared FAQ data (run by hand, not a timed test).

    .venv/bin/python benchmarks/import_bench.py                 # 8,455 articles (faq_zh_articles.jsonl)
    .venv/bin/python benchmarks/import_bench.py --extra         # + faq_zh_extra_articles.jsonl (69,000)
    .venv/bin/python benchmarks/import_bench.py --limit 10000   # the first 10,000 lines of both
    PORTAL_TEST_DATABASE_URL=postgresql+psycopg://... to run against PostgreSQL (a scratch database is made)

Each run uses a fresh SQLite database in a temporary folder, imports as drafts and then re-imports the
same lines with --publish (upsert path), and prints lines per second for both.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from sqlmodel import SQLModel

from portal import create_app
from portal.db import get_engine, session_scope

BENCH = Path("/work/shared/bench")


def _lines(extra: bool, limit: int | None) -> list[str]:
    files = [BENCH / "faq_zh_articles.jsonl"] + (
        [BENCH / "faq_zh_extra_articles.jsonl"] if extra or limit else []
    )
    chained = itertools.chain.from_iterable(f.open(encoding="utf-8") for f in files)
    return list(itertools.islice(chained, limit)) if limit else list(chained)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--extra", action="store_true")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    lines = _lines(args.extra, args.limit)
    from articles.importing import import_articles

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_DIR": tmp,
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "TESTING": True,
                "SEMANTIC": "off",
            }
        )
        SQLModel.metadata.create_all(get_engine(app))
        with app.app_context():
            for label, publish in (("create (drafts)", False), ("upsert (--publish)", True)):
                start = time.perf_counter()
                with session_scope(app) as session:
                    report = import_articles(session, lines, actor=None, publish=publish)
                    imported = time.perf_counter() - start
                # The commit also runs the after-commit work (the search index catching up).
                elapsed = time.perf_counter() - start
                print(
                    f"{label:<20} {len(lines):>6} lines  import {imported:6.1f} s  with commit+index {elapsed:6.1f} s  "
                    f"{len(lines) / imported:8.0f} lines/s  "
                    f"created={report.created} updated={report.updated} unchanged={report.unchanged} "
                    f"errors={len(report.errors)}"
                )


if __name__ == "__main__":
    main()
