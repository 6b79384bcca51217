"""Build a throwaway portal from the benchmark data, then train or measure the learned fusion on it.

The training itself is ``python -m search_index.ranking.train`` (see its docstring and docs/SEARCH.md); this
script only prepares what that command reads: the 8,455 zh articles imported and published as
``portal import-articles --publish`` does, the index rebuilt as ``portal reindex`` does, and the ``use``
vectors computed into the database. Needs LightGBM (``pip install -e '.[train]'``).

    .venv/bin/python -m benchmarks.train_fusion                          # held-out figures only
    .venv/bin/python -m benchmarks.train_fusion --no-neighbour-density   # the same without the densities
    .venv/bin/python -m benchmarks.train_fusion --write                  # and write the shipped model
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from benchmarks import search_bench as sb


def build(workdir: Path, model: str) -> tuple[str, str]:
    """The portal built from the zh benchmark articles with vectors; returns (index dir, database URL)."""
    import portal  # noqa: F401  (first: it imports every package in dependency order)
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    articles, _queries = sb.load_dataset("zh", scale=False)
    built, _secs = sb.build_portal_engine(articles, workdir / "portal-index")
    store = VectorStore(get_engine(built.app), load_documents, iter_documents, model, background=False)
    if not store.enabled:
        raise SystemExit(f"semantic model not available: {store.reason}")
    store.rebuild()
    return str(workdir / "portal-index"), built.app.config["DATABASE_URL"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--write", action="store_true", help="train on all dev queries and write the model")
    parser.add_argument("--no-neighbour-density", action="store_true")
    parser.add_argument("--model", default=os.environ.get("PORTAL_SEMANTIC", "use"))
    parser.add_argument("--workdir", default="benchmarks/out/train-fusion")
    args = parser.parse_args(argv)

    from search_index.ranking import train

    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    index_dir, database_url = build(workdir, args.model)
    command = ["--index-dir", index_dir, "--database-url", database_url, "--semantic", args.model]
    command += ["--queries", str(sb.BENCH / "faq_zh_dev_queries.jsonl")]
    if args.no_neighbour_density:
        command.append("--no-neighbour-density")
    if args.write:
        command.append("--write")
    return train.main(command)


if __name__ == "__main__":
    raise SystemExit(main())
