"""Train and measure the learned fusion of Chinese queries (:mod:`search_index.learned_fusion`).

Builds the portal as ``portal_semantic_bench.py`` does (8,455 zh articles imported and published, index
rebuilt, ``use`` vectors), then takes every zh dev query through the search's own code
(:func:`search_index.hybrid.fusion_sides` and :func:`~search_index.hybrid.learned_features`), so the
features trained on are exactly the features served. The queries stay in memory and are never written.

1. Two folds split by answer article (a cluster of paraphrases is never on both sides): train on one,
   measure MRR@10 of the other with the weighted sum and with the learned model. This is the figure that
   says how the model does on queries it has not seen.
2. With ``--write``: train on all dev queries, check that the NumPy evaluator reproduces LightGBM's
   predictions, and write ``search_index/data/fusion_zh.json``.

Needs LightGBM (``pip install -e '.[train]'``); the portal itself does not.

    .venv/bin/python benchmarks/train_fusion.py            # cross-validation only
    .venv/bin/python benchmarks/train_fusion.py --write    # and write the shipped model
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import search_bench as sb

#: LightGBM settings: small, strongly regularised trees generalised best across folds (see TUNING).
PARAMS = {
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


def reciprocal_rank(ranked: list, relevant: set) -> float:
    for rank, item in enumerate(ranked[:K], start=1):
        if item in relevant:
            return 1.0 / rank
    return 0.0


def collect(workdir: Path, model: str, whoosh: bool = False):
    """Build the portal and return per query (candidate ids, features, relevant ids, the weighted-sum top
    10, the fold 0/1, plain Whoosh's reciprocal rank) and the embedder's name."""
    from sqlalchemy import text

    import portal  # noqa: F401  (first: it imports every package in dependency order)
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.ranking import pipeline as hybrid
    from search_index.ranking.learned import LEARNED_DEPTH
    from search_index.semantic.vectors import VectorStore

    articles, queries = sb.load_dataset("zh", scale=False)
    ix, _secs = sb.build_portal_engine(articles, workdir / "portal-index")
    store = VectorStore(get_engine(ix.app), load_documents, iter_documents, model, background=False)
    if not store.enabled:
        raise SystemExit(f"semantic model not available: {store.reason}")
    store.rebuild()
    store.matrix.warm_densities()  # as a worker serving the learned fusion does at start-up
    ix.search("花呗")  # loads the settings (synonyms) once, as the first search of a worker does
    engine = ix.engine
    with get_engine(ix.app).connect() as conn:
        id_of = dict(conn.execute(text("select id, external_id from kb_articles")).all())
    plain = sb.ENGINES["whoosh"](articles, "zh", workdir) if whoosh else None
    rows = []
    t0 = time.perf_counter()
    spent = {"features": 0.0, "predict": 0.0}
    for q in queries:
        lex = hybrid.lexical_ranking(engine.index, q["query"], engine.synonyms, ("published",), None, None, K)
        sides = hybrid.fusion_sides(engine.index, store, q["query"], lex, ("published",), None, None)
        t1 = time.perf_counter()
        weighted_ranking = hybrid.weighted_head(sides)
        top = [i for i, _ in weighted_ranking[:LEARNED_DEPTH]]
        ids, X = hybrid.learned_features(store, q["query"], lex, sides, top)
        spent["features"] += time.perf_counter() - t1
        if engine.fusion_model is not None:
            t1 = time.perf_counter()
            engine.fusion_model.predict(X)
            spent["predict"] += time.perf_counter() - t1
        weighted = [id_of[i] for i, _ in weighted_ranking[:K]]
        answer = q["relevant"][0]
        rows.append(
            {
                "ids": [id_of[i] for i in ids],
                "X": X,
                "relevant": set(q["relevant"]),
                "weighted": weighted,
                "fold": zlib.crc32(answer.encode()) % 2,
                "whoosh": reciprocal_rank(plain.search(q["query"]), set(q["relevant"])) if plain else None,
            }
        )
    n = len(rows)
    print(
        f"{n} queries in {time.perf_counter() - t0:.1f}s; per query: features "
        f"{1000 * spent['features'] / n:.2f} ms, model {1000 * spent['predict'] / n:.2f} ms",
        flush=True,
    )
    return rows, store.model_name


def fit(rows: list[dict]):
    import lightgbm as lgb

    from search_index.ranking.learned import FEATURES

    X = np.vstack([r["X"] for r in rows])
    y = np.concatenate([[int(i in r["relevant"]) for i in r["ids"]] for r in rows])
    data = lgb.Dataset(X, y, group=[len(r["ids"]) for r in rows], feature_name=list(FEATURES))
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


def learned_mrr(rows: list[dict], predict) -> float:
    total = 0.0
    for r in rows:
        if not r["ids"]:
            continue
        scores = predict(r["X"])
        order = sorted(range(len(r["ids"])), key=lambda k: (-scores[k], k))
        total += reciprocal_rank([r["ids"][k] for k in order], r["relevant"])
    return total / len(rows)


def weighted_mrr(rows: list[dict]) -> float:
    return sum(reciprocal_rank(r["weighted"], r["relevant"]) for r in rows) / len(rows)


def whoosh_mrr(rows: list[dict]) -> float | None:
    if rows and rows[0]["whoosh"] is None:
        return None
    return sum(r["whoosh"] for r in rows) / len(rows)


def _ratio(learned: float, whoosh: float | None) -> str:
    return f"{'-':>7} {'-':>6}" if whoosh is None else f"{whoosh:>7.4f} {learned / whoosh:>5.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="train on all dev queries and write the model")
    parser.add_argument("--model", default=os.environ.get("PORTAL_SEMANTIC", "use"))
    parser.add_argument("--whoosh", action="store_true", help="plain Whoosh on the same queries (slow)")
    parser.add_argument("--workdir", default="benchmarks/out/train-fusion")
    args = parser.parse_args(argv)

    import shutil

    from search_index.ranking.learned import DEFAULT_MODEL_PATH, FEATURES, TreeEnsemble

    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    rows, embedder_name = collect(workdir, args.model, args.whoosh)
    print(f"{'fold':>6} {'queries':>8} {'weighted':>9} {'learned':>8} {'whoosh':>7} {'ratio':>6}")
    results = []
    for k in (0, 1):
        train = [r for r in rows if r["fold"] != k]
        test = [r for r in rows if r["fold"] == k]
        model = fit(train)
        w, m, p = weighted_mrr(test), learned_mrr(test, model.predict), whoosh_mrr(test)
        results.append((len(test), w, m, p))
        print(f"{k:>6} {len(test):>8} {w:>9.4f} {m:>8.4f} {_ratio(m, p)}", flush=True)
    n = sum(r[0] for r in results)
    w_all, m_all, p_all = (
        sum(r[0] * r[i] for r in results) / n if results[0][i] is not None else None for i in (1, 2, 3)
    )
    print(f"{'both':>6} {n:>8} {w_all:>9.4f} {m_all:>8.4f} {_ratio(m_all, p_all)}")
    print("(learned: each fold ranked by the model trained on the other fold)")
    if args.write:
        model = fit(rows)
        ensemble = TreeEnsemble.from_lightgbm(model.dump_model(), embedder=embedder_name)
        if ensemble.features != FEATURES:
            raise SystemExit("LightGBM reports other feature names")
        X = np.vstack([r["X"] for r in rows])
        diff = float(np.max(np.abs(ensemble.predict(X) - model.predict(X))))
        if diff > 1e-6:
            raise SystemExit(f"the NumPy evaluator disagrees with LightGBM by {diff}")
        ensemble.save(DEFAULT_MODEL_PATH)
        print(
            f"wrote {DEFAULT_MODEL_PATH} ({len(model.dump_model()['tree_info'])} trees, "
            f"depth {ensemble.depth}); NumPy vs LightGBM max difference {diff:.2e}; "
            f"in-sample MRR@10 {learned_mrr(rows, ensemble.predict):.4f} (not a held-out figure)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
