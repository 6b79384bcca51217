"""Train and measure the learned fusion of Chinese queries (:mod:`search_index.ranking.learned`).

Runs on an installation's index and vectors (after ``portal reindex`` with semantic search on), so the
features trained on are exactly the features served: every labelled query goes through the search's own
stages (:mod:`search_index.ranking.pipeline`). The queries stay in memory and are never written.

1. Two folds split by answer article (a cluster of paraphrases is never on both sides): train on one,
   measure MRR@10 of the other with the weighted sum and with the learned model. This is the figure that
   says how the model does on queries it has not seen.
2. With ``--write``: train on all queries, check that the NumPy evaluator reproduces LightGBM's
   predictions, and write the model with what it was trained on (the :class:`RankingConfig` values and
   their signature, the feature list, digests of the documents and queries).

Needs LightGBM (``pip install -e '.[train]'``); the portal itself does not::

    python -m search_index.ranking.train --index-dir instance/index \\
        --database-url sqlite:///instance/portal.db --queries faq_zh_dev_queries.jsonl [--write]

``--no-neighbour-density`` trains and measures with the density features switched off (see
``docs/SEARCH.md``). ``benchmarks/train_fusion.py`` builds such an installation from the benchmark data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import zlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine

from search_index.lexical.index import SearchIndex
from search_index.ranking import pipeline
from search_index.ranking.config import DEFAULT_RANKING, RankingConfig
from search_index.ranking.learned import DEFAULT_MODEL_PATH, FEATURES, TreeEnsemble
from search_index.semantic.vectors import VectorStore

#: LightGBM settings: small, strongly regularised trees generalised best across folds (docs/SEARCH.md).
PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "learning_rate": 0.1,
    "num_leaves": 7,
    "min_data_in_leaf": 300,
    "lambda_l2": 10.0,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.8,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
    "verbose": -1,
}
ROUNDS = 150
K = 10


@dataclass
class QueryRows:
    """One labelled query: its candidates (external ids), their feature rows and the weighted-sum top 10."""

    ids: list[str]
    X: np.ndarray
    relevant: set[str]
    weighted: list[str]
    fold: int


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    for rank, item in enumerate(ranked[:K], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def collect(
    index: SearchIndex, vectors: VectorStore, queries: list[dict[str, Any]], ranking: RankingConfig
) -> list[QueryRows]:
    """Every query's candidates and features, computed by the search's own stages."""
    external: dict[Hashable, str] = dict(index.stored_values("external_id").items())
    rows = []
    for q in queries:
        lex = pipeline.lexical_ranking(index, q["query"], None, ("published",), None, None, K, ranking)
        if lex is None:
            continue
        sides = pipeline.fusion_sides(index, vectors, q["query"], lex, ("published",), None, None, ranking)
        head = pipeline.weighted_head(sides, ranking)
        top = [i for i, _ in head[: ranking.learned_depth]]
        ids, X = pipeline.learned_features(vectors, q["query"], lex, sides, top, ranking)
        rows.append(
            QueryRows(
                ids=[external[i] for i in ids],
                X=X,
                relevant=set(q["relevant"]),
                weighted=[external[i] for i, _ in head[:K]],
                fold=zlib.crc32(q["relevant"][0].encode()) % 2,
            )
        )
    return rows


def fit(rows: list[QueryRows]) -> Any:
    """A LightGBM lambdarank booster on ``rows``."""
    import lightgbm as lgb

    X = np.vstack([r.X for r in rows])
    y = np.concatenate([[int(i in r.relevant) for i in r.ids] for r in rows])
    data = lgb.Dataset(X, y, group=[len(r.ids) for r in rows], feature_name=list(FEATURES))
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


def learned_mrr(rows: list[QueryRows], predict: Callable[[np.ndarray], np.ndarray]) -> float:
    total = 0.0
    for r in rows:
        if r.ids:
            scores = predict(r.X)
            order = sorted(range(len(r.ids)), key=lambda k: (-scores[k], k))
            total += reciprocal_rank([r.ids[k] for k in order], r.relevant)
    return total / max(len(rows), 1)


def weighted_mrr(rows: list[QueryRows]) -> float:
    return sum(reciprocal_rank(r.weighted, r.relevant) for r in rows) / max(len(rows), 1)


def cross_validate(rows: list[QueryRows]) -> tuple[float, float]:
    """Held-out ``(weighted-sum MRR@10, learned MRR@10)`` over both folds (each ranked by the model trained
    on the other)."""
    weighted = learned = 0.0
    for k in (0, 1):
        train = [r for r in rows if r.fold != k]
        test = [r for r in rows if r.fold == k]
        model = fit(train)
        w, m = weighted_mrr(test), learned_mrr(test, model.predict)
        print(f"fold {k}: {len(test)} queries, weighted {w:.4f}, learned {m:.4f}", flush=True)
        weighted += w * len(test)
        learned += m * len(test)
    return weighted / len(rows), learned / len(rows)


def data_signature(index: SearchIndex, queries_path: Path, n_queries: int) -> dict[str, Any]:
    """Digests of what the model is trained on: every indexed document's content hash, and the queries."""
    hashes = sorted(f"{i}:{h}" for i, h in index.stored_values("content_hash").items())
    return {
        "documents": len(hashes),
        "documents_sha256": hashlib.sha256("\n".join(hashes).encode("utf-8")).hexdigest(),
        "queries": n_queries,
        "queries_file": queries_path.name,
        "queries_sha256": hashlib.sha256(queries_path.read_bytes()).hexdigest(),
    }


def trained_with(ranking: RankingConfig, data: dict[str, Any]) -> dict[str, Any]:
    """The record a model file keeps of its training (checked by the tests against the current config)."""
    return {
        "ranking_signature": ranking.signature(),
        "ranking": ranking.trained_values(),
        "data": data,
        "lightgbm": PARAMS,
        "rounds": ROUNDS,
    }


def write_model(
    rows: list[QueryRows], embedder: str, ranking: RankingConfig, data: dict[str, Any], path: Path
) -> TreeEnsemble:
    """Train on all rows, check the NumPy evaluator against LightGBM, write the model file."""
    booster = fit(rows)
    ensemble = TreeEnsemble.from_lightgbm(booster.dump_model(), embedder=embedder)
    if ensemble.features != FEATURES:
        raise SystemExit("LightGBM reports other feature names")
    X = np.vstack([r.X for r in rows])
    diff = float(np.max(np.abs(ensemble.predict(X) - booster.predict(X))))
    if diff > 1e-6:
        raise SystemExit(f"the NumPy evaluator disagrees with LightGBM by {diff}")
    ensemble.trained_with = trained_with(ranking, data)
    ensemble.save(path)
    print(
        f"wrote {path} ({ensemble.n_trees} trees, depth {ensemble.depth}); NumPy vs LightGBM max difference "
        f"{diff:.2e}; in-sample MRR@10 {learned_mrr(rows, ensemble.predict):.4f} (not a held-out figure)"
    )
    return ensemble


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--index-dir", required=True, help="the installation's index folder (INDEX_DIR)")
    parser.add_argument("--database-url", required=True, help="its database (search_vectors, search_changes)")
    parser.add_argument(
        "--queries", required=True, type=Path, help="JSON Lines: query, relevant external ids"
    )
    parser.add_argument("--semantic", default="use", help="the embedding model the vectors were made with")
    parser.add_argument("--no-neighbour-density", action="store_true", help="switch the density features off")
    parser.add_argument("--write", nargs="?", const=str(DEFAULT_MODEL_PATH), default=None, metavar="PATH")
    args = parser.parse_args(argv)

    ranking = DEFAULT_RANKING
    if args.no_neighbour_density:
        ranking = replace(ranking, neighbour_density=False)
    index = SearchIndex(args.index_dir, ranking=ranking)
    vectors = VectorStore(
        create_engine(args.database_url), lambda _s, _ids: {}, None, args.semantic, background=False
    )
    if not vectors.enabled or vectors.model_name is None:
        raise SystemExit(f"semantic model not available: {vectors.reason}")
    vectors.load()
    started = time.perf_counter()
    if ranking.neighbour_density and vectors.matrix is not None:
        vectors.matrix.warm_densities()  # as a worker serving the learned fusion does at start-up
    print(f"densities: {time.perf_counter() - started:.1f} s", flush=True)
    queries = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line]
    started = time.perf_counter()
    rows = collect(index, vectors, queries, ranking)
    print(f"{len(rows)} queries' features in {time.perf_counter() - started:.1f} s", flush=True)
    weighted, learned = cross_validate(rows)
    print(f"held-out MRR@10: weighted sum {weighted:.4f}, learned {learned:.4f}")
    if args.write:
        data = data_signature(index, args.queries, len(rows))
        write_model(rows, vectors.model_name, ranking, data, Path(args.write))
    return 0


if __name__ == "__main__":
    sys.exit(main())
