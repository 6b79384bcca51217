"""VectorMatrix.densities: the CSLS neighbour density, its memo and the memo's exact invalidation."""

import threading
import time

import numpy as np
import pytest

from search_index.ranking.config import DEFAULT_RANKING
from search_index.semantic import density
from search_index.semantic.density import NeighbourDensity
from search_index.semantic.matrix import VectorMatrix, normalize_rows


def _clustered(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    """Rows in a few tight clusters and some loners, so densities differ clearly between rows."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, dim))
    rows = centres[rng.integers(0, 4, n)] + 0.3 * rng.normal(size=(n, dim))
    rows[: n // 5] = rng.normal(size=(n // 5, dim))  # loners
    return normalize_rows(rows)


def _brute_force(matrix: VectorMatrix, item_id) -> float:
    ids = matrix.ids
    vecs = np.array([matrix.get(i) for i in ids])
    cos = vecs @ matrix.get(item_id)
    others = np.sort(np.array([c for i, c in zip(ids, cos, strict=True) if i != item_id]))[::-1]
    return float(others[: DEFAULT_RANKING.density_neighbours].mean())


def test_density_is_the_mean_of_the_nearest_neighbours_cosines():
    m = VectorMatrix.from_arrays(range(60), _clustered(60))
    got = m.densities([0, 30, 59, "unknown"])
    assert set(got) == {0, 30, 59}  # an id without a vector is left out, not guessed
    for item_id, value in got.items():
        assert value == pytest.approx(_brute_force(m, item_id), abs=2e-3)
    # A loner (row 0) lives in a sparser neighbourhood than a clustered row.
    assert got[0] < got[59]


def test_projected_matrix_finds_the_same_neighbours():
    vecs = _clustered(400, dim=32, seed=1)
    exact = VectorMatrix.from_arrays(range(400), vecs)
    projected = VectorMatrix.from_arrays(range(400), vecs, exact_below=100, coarse_dim=16)
    ids = list(range(0, 400, 37))
    want, got = exact.densities(ids), projected.densities(ids)
    assert projected._proj is not None  # the two-stage path really ran
    for item_id in ids:
        assert got[item_id] == pytest.approx(want[item_id], abs=5e-3)


@pytest.mark.parametrize("change_log", [1024, 3])
def test_memo_follows_additions_replacements_and_removals(monkeypatch, change_log):
    """After any change, every memoised density equals a fresh computation on the changed matrix (also
    when more changes happened than the log keeps: such entries are recomputed)."""
    monkeypatch.setattr(density, "DENSITY_CHANGE_LOG", change_log)
    vecs = _clustered(80, seed=2)
    m = VectorMatrix.from_arrays(range(70), vecs[:70])
    everyone = list(range(70))
    m.densities(everyone)
    rng = np.random.default_rng(3)
    changes = [("set", 70 + i) for i in range(10)] + [("remove", int(i)) for i in rng.choice(70, 8, False)]
    changes += [("replace", int(i)) for i in rng.choice(range(70, 80), 4, False)]
    for kind, item_id in changes:
        if kind == "set":
            m.set(item_id, vecs[item_id])
        elif kind == "remove":
            m.remove(item_id)
        else:  # move an existing article onto a loner's position: its old neighbours lose it
            m.set(item_id, vecs[0])
        current = m.ids
        memo = m.densities(current)
        fresh = VectorMatrix.from_arrays(current, np.array([m.get(i) for i in current])).densities(current)
        assert memo.keys() == fresh.keys()
        for i in current:
            assert memo[i] == pytest.approx(fresh[i], abs=2e-3), (kind, item_id, i)


def test_tiny_matrices():
    m = VectorMatrix(3)
    assert m.densities([]) == {}
    m.set("only", [1, 0, 0])
    assert m.densities(["only"]) == {"only": 0.0}  # no neighbour at all
    m.set("other", [0.6, 0.8, 0])
    assert m.densities(["only"]) == {"only": pytest.approx(0.6, abs=1e-3)}  # the new row was noticed
    m.remove("other")
    assert m.densities(["only"]) == {"only": 0.0}


def test_warming_computes_every_row_once():
    m = VectorMatrix.from_arrays(range(100), _clustered(100, seed=4))
    m.densities([5])
    assert m.warm_densities(batch=7) == 99  # row 5 was already known
    assert set(m.memoised_densities()) == set(range(100))
    assert m.warm_densities() == 0
    fresh = VectorMatrix.from_arrays(range(100), _clustered(100, seed=4)).densities(range(100))
    assert m.densities(range(100)) == pytest.approx(fresh)


def test_a_write_does_not_scan_the_memo():
    """A new vector is only logged: the other entries are checked when a search asks for them."""
    m = VectorMatrix.from_arrays(range(50), _clustered(50, seed=5))
    m.densities(range(50))
    m.set("new", _clustered(51, seed=5)[50])
    before = m.memoised_densities()
    assert len(before) == 50  # nothing dropped or recomputed at write time
    m.densities(range(50))
    after = m.memoised_densities()
    assert all(after[i][2] == m.density._change_seq for i in range(50))  # all checked, valid as of now
    unchanged = [i for i in range(50) if after[i][:2] == before[i][:2]]
    assert 25 <= len(unchanged) < 50  # only the new row's neighbourhood changed


def test_densities_are_computed_in_bounded_batches(monkeypatch):
    """A search asking for many unseen densities never builds one (asked x rows) score matrix for all of
    them: at 69,000 rows a batch of 128 made ~140 MB of temporaries that the worker's heap kept."""
    # One batch's float32 score matrix at 69,000 articles stays under 10 MB (with 128: 35 MB, and as much
    # again for its negation, twice that for argpartition's indices).
    assert density.DENSITY_BATCH * 69_000 * 4 < 10_000_000
    m = VectorMatrix.from_arrays(range(300), _clustered(300, seed=6), exact_below=100, coarse_dim=8)
    sizes = []
    compute = NeighbourDensity._compute_densities
    monkeypatch.setattr(
        NeighbourDensity,
        "_compute_densities",
        lambda self, rows: sizes.append(rows.size) or compute(self, rows),
    )
    got = m.densities(range(100))
    assert len(got) == 100 and sum(sizes) == 100
    assert max(sizes) <= density.DENSITY_BATCH and len(sizes) == -(-100 // density.DENSITY_BATCH)
    sizes.clear()
    assert m.warm_densities(batch=16) == 200  # the start-up warm-up: its own, smaller batches
    assert sum(sizes) == 200 and max(sizes) <= 16


def test_a_search_is_not_starved_by_the_start_up_computation():
    """The start-up computation releases the matrix between batches *and pauses*: Python's locks are not
    fair, and without the pause a search waited for the whole computation (45 s at 69,000 articles)."""
    m = VectorMatrix.from_arrays(range(1500), _clustered(1500, dim=16, seed=7))
    warming = threading.Thread(target=m.warm_densities, kwargs={"batch": 2})
    warming.start()
    while not m.memoised_densities():  # the computation is under way
        time.sleep(0.001)
    hits = m.top_k(_clustered(1, dim=16, seed=8)[0], 5)
    assert len(hits) == 5
    assert warming.is_alive()  # the search was answered while most of the computation was still to come
    warming.join()
    assert len(m.memoised_densities()) == 1500


def test_the_start_up_computation_pauses_only_when_a_search_waits(monkeypatch):
    """A pause after each of ~8,600 batches would add ~17 s to a worker's start-up at 69,000 articles."""
    m = VectorMatrix.from_arrays(range(300), _clustered(300, dim=16, seed=3))
    pauses = []
    monkeypatch.setattr(density.time, "sleep", pauses.append)
    assert m.warm_densities(batch=8) == 300
    assert pauses == []
