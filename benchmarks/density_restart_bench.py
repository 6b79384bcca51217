"""What a worker's start-up densities cost after a restart, with the stored densities (by hand, not in CI).

Reads the article vectors of the instance ``benchmarks/load.py`` prepared (68,964 articles) as a worker
does, computes every neighbour density into a temporary folder (what the first start after a deploy does,
and the reference), then, for each number of edits, starts "again" on a matrix where that many articles
were edited (their vectors replaced by another article's plus noise: a rewrite that lands in another topic),
half as many deleted and half as many added as near-duplicates of existing ones, and reports what was
reused and computed and the time, against computing them all. Every density after the restart is compared
with a full computation on the same edited matrix (the largest difference is printed).

    .venv/bin/python -m benchmarks.density_restart_bench [--instance DIR] [--edits 0 100 1000 5000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.load import OUT


def load_vectors(instance: Path) -> tuple[str, list[int], np.ndarray]:
    os.environ["PORTAL_INSTANCE_DIR"] = str(instance)
    from sqlmodel import Session, create_engine

    from portal.config import load_config
    from search_index.semantic.model import load_model
    from search_index.semantic.vector_rows import read_vectors

    embedder, reason = load_model("use")
    if embedder is None:
        sys.exit(f"the model does not load: {reason}")
    engine = create_engine(load_config()["DATABASE_URL"])
    with Session(engine) as session:
        ids, rows, _hashes = read_vectors(session, embedder.name, embedder.dim)
    return embedder.name, ids, rows


def edited(ids: list[int], rows: np.ndarray, edits: int, seed: int) -> tuple[list[int], np.ndarray]:
    """``edits`` rewritten articles, ``edits // 2`` deleted and ``edits // 2`` new near-duplicates, as the
    float16 rows a worker would read from the database (unchanged rows keep their bytes)."""
    from search_index.semantic.matrix import normalize_rows

    rng = np.random.default_rng(seed)
    out = rows.copy()
    picked = rng.choice(len(ids), size=2 * edits, replace=False)
    rewritten, deleted = picked[:edits], picked[edits : edits + edits // 2]
    sources = rows[rng.integers(0, len(ids), size=edits)].astype(np.float32)
    out[rewritten] = normalize_rows(sources + 0.05 * rng.normal(size=sources.shape)).astype(np.float16)
    keep = np.setdiff1d(np.arange(len(ids)), deleted)
    originals = rows[rng.integers(0, len(ids), size=edits // 2)].astype(np.float32)
    added = normalize_rows(originals + 0.01 * rng.normal(size=originals.shape)).astype(np.float16)
    top = max(ids) + 1
    return [ids[i] for i in keep] + list(range(top, top + edits // 2)), np.vstack([out[keep], added])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instance", type=Path, default=OUT / "load-instance")
    parser.add_argument("--edits", type=int, nargs="+", default=[0, 100, 1000, 5000])
    args = parser.parse_args()
    if not (args.instance / "load-ready.json").exists():
        sys.exit(f"{args.instance} is not prepared: run benchmarks/load.py once")
    from search_index.semantic.density_store import density_file
    from search_index.semantic.matrix import VectorMatrix
    from search_index.semantic.warmup import warm_with_stored_densities

    model, ids, rows = load_vectors(args.instance)
    print(f"{len(ids)} vectors of {model}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        # The matrix takes its rows over and scales them in place: the restarts get the database's bytes.
        first = VectorMatrix.from_float16_rows(ids, rows.copy())
        _reused, computed = warm_with_stored_densities(first, folder, model)
        full = time.perf_counter() - started
        stored = density_file(folder, model)
        print(
            f"first start (nothing stored): {computed} computed in {full:.1f} s; file {stored.stat().st_size / 2**20:.1f} MB"
        )
        del first
        for n in args.edits:
            new_ids, new_rows = edited(ids, rows, n, seed=n)
            run_dir = folder / f"edits-{n}"  # each restart finds the first start's file
            run_dir.mkdir()
            shutil.copy(stored, run_dir / stored.name)
            matrix = VectorMatrix.from_float16_rows(new_ids, new_rows.copy())
            started = time.perf_counter()
            reused, computed = warm_with_stored_densities(matrix, run_dir, model)
            took = time.perf_counter() - started
            # Against a full computation on the same matrix and against exact densities (every row scored in
            # full, no coarse candidates), for a sample: all of it would take minutes.
            sample = [
                new_ids[i] for i in rng.choice(len(new_ids), size=min(3000, len(new_ids)), replace=False)
            ]
            full_run = VectorMatrix.from_float16_rows(new_ids, new_rows.copy())
            fresh = full_run.densities(sample)
            exact = exact_densities(full_run, sample)
            got = matrix.densities(sample)
            print(
                f"restart after {n:5d} edits (+{n // 2} new, -{n // 2} deleted): {reused} reused, "
                f"{computed} computed in {took:6.1f} s (all: {full:.1f} s)"
            )
            for name, values in (("restart", got), ("full computation", fresh)):
                err = np.array([abs(values[i] - exact[i]) for i in sample])
                print(
                    f"    {name:>16} vs exact ({len(sample)} sampled): mean error {err.mean():.1e}, "
                    f"largest {err.max():.1e}, {int((err > 1e-3).sum())} over 1e-3"
                )


def exact_densities(matrix, sample: list[int]) -> dict[int, float]:
    """The mean cosine to the k nearest other rows, every row scored in full (float32)."""
    from search_index import DEFAULT_RANKING

    DENSITY_NEIGHBOURS = DEFAULT_RANKING.density_neighbours

    ids = matrix.ids
    rows = np.array([matrix.get(i) for i in ids], dtype=np.float32)
    where = {item: n for n, item in enumerate(ids)}
    out: dict[int, float] = {}
    for start in range(0, len(sample), 500):
        chunk = sample[start : start + 500]
        at = np.array([where[i] for i in chunk])
        scores = rows[at] @ rows.T
        scores[np.arange(len(chunk)), at] = -np.inf
        best = -np.partition(-scores, DENSITY_NEIGHBOURS - 1, axis=1)[:, :DENSITY_NEIGHBOURS]
        out.update(zip(chunk, best.mean(axis=1).tolist(), strict=True))
    return out


if __name__ == "__main__":
    main()
