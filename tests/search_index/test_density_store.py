"""search_index.density_store: a restarted worker reuses the stored neighbour densities exactly where a
fresh computation would give them again, computes the rest, and survives any damaged or missing file."""

import logging
import threading
import time

import numpy as np
import pytest

from search_index.semantic import density, density_store
from search_index.semantic.density import NeighbourDensity
from search_index.semantic.density_store import (
    density_file,
    exclusive,
    load_densities,
)
from search_index.semantic.matrix import VectorMatrix, normalize_rows
from search_index.semantic.warmup import warm_with_stored_densities
from search_index.sync import npz_files

MODEL = "use-m3"


def _clustered(n: int, dim: int = 24, seed: int = 0) -> np.ndarray:
    """Tight clusters and some loners, so densities differ and neighbours matter."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, dim))
    rows = centres[rng.integers(0, 6, n)] + 0.3 * rng.normal(size=(n, dim))
    rows[: n // 5] = rng.normal(size=(n // 5, dim))
    return normalize_rows(rows)


def _matrix(ids, vecs, projected: bool) -> VectorMatrix:
    if projected:  # the two-stage regime of large bases (coarse candidates, exact re-scoring)
        return VectorMatrix.from_arrays(list(ids), vecs, exact_below=100, coarse_dim=12)
    return VectorMatrix.from_arrays(list(ids), vecs)


def _count_computed(monkeypatch) -> list[int]:
    computed: list[int] = []
    compute = NeighbourDensity._compute_densities
    monkeypatch.setattr(
        NeighbourDensity,
        "_compute_densities",
        lambda self, rows: computed.append(rows.size) or compute(self, rows),
    )
    return computed


def _fresh(matrix: VectorMatrix, projected: bool = False) -> dict:
    ids = matrix.ids
    return _matrix(ids, np.array([matrix.get(i) for i in ids]), projected).densities(ids)


def test_a_restart_on_unchanged_vectors_computes_nothing(tmp_path, monkeypatch):
    vecs = _clustered(300)
    first = _matrix(range(300), vecs, projected=False)
    assert warm_with_stored_densities(first, tmp_path, MODEL) == (0, 300)
    assert density_file(tmp_path, MODEL).exists()
    # The neighbours were only needed for the file: the worker does not keep them.
    assert first.density._dens_nbrs is None

    computed = _count_computed(monkeypatch)
    second = _matrix(range(300), vecs, projected=False)
    assert warm_with_stored_densities(second, tmp_path, MODEL) == (300, 0)
    assert computed == []
    assert second.densities(range(300)) == pytest.approx(first.densities(range(300)), abs=1e-6)


@pytest.mark.parametrize("projected", [False, True])
def test_reused_densities_equal_a_fresh_computation_after_edits(tmp_path, monkeypatch, projected):
    """Between two starts articles were edited (new vectors), deleted and added, some right beside
    existing ones: every density after the restart equals a fresh computation, and most were reused."""
    vecs = _clustered(400, seed=1)
    before = _matrix(range(400), vecs, projected)
    warm_with_stored_densities(before, tmp_path, MODEL)

    rng = np.random.default_rng(7)
    current = {i: vecs[i] for i in range(400)}
    edited = [100, 150, 200, 250, 399]  # clustered rows, moved far away
    for i in edited:
        current[i] = normalize_rows(rng.normal(size=24))
    for i in (120, 220, 320):
        del current[i]
    for n, near in enumerate((130, 230, 330, 5)):  # new near-duplicates: they become neighbours
        current[1000 + n] = normalize_rows(vecs[near] + 0.01 * rng.normal(size=24))
    computed = _count_computed(monkeypatch)
    after = _matrix(current, np.array(list(current.values())), projected)
    reused, warmed = warm_with_stored_densities(after, tmp_path, MODEL)

    assert reused + warmed == len(current)
    assert reused > len(current) // 2  # the point: most of the work is not done again
    # The edited and added rows themselves, and the neighbourhoods they touched, were recomputed.
    assert warmed >= len(edited) + 4 and sum(computed) == warmed
    assert after.densities(after.ids) == pytest.approx(_fresh(after, projected), abs=1e-5)


def test_entries_whose_neighbour_changed_are_recomputed(tmp_path):
    """An article's density depends on its neighbours' vectors: when one moves away, the density drops."""
    vecs = _clustered(200, seed=2)
    first = _matrix(range(200), vecs, projected=False)
    warm_with_stored_densities(first, tmp_path, MODEL)
    stored = load_densities(density_file(tmp_path, MODEL), MODEL, 24, (10, 256))
    assert stored is not None
    target = 150
    neighbours = [int(i) for i in stored.neighbours[target]]
    moved = vecs.copy()
    rng = np.random.default_rng(3)
    for i in neighbours:
        moved[i] = normalize_rows(rng.normal(size=24))
    second = _matrix(range(200), moved, projected=False)
    warm_with_stored_densities(second, tmp_path, MODEL)
    got = second.densities([target])[target]
    assert got < first.densities([target])[target] - 0.01
    assert got == pytest.approx(_fresh(second)[target], abs=1e-5)


def test_too_many_changes_recompute_everything(tmp_path):
    vecs = _clustered(200, seed=4)
    warm_with_stored_densities(_matrix(range(200), vecs, projected=False), tmp_path, MODEL)
    changed = vecs.copy()
    changed[:60] = _clustered(60, seed=5)  # 30 % of the rows: checking would cost what computing does
    assert warm_with_stored_densities(_matrix(range(200), changed, projected=False), tmp_path, MODEL) == (
        0,
        200,
    )


def _write_then(tmp_path, damage) -> VectorMatrix:
    vecs = _clustered(120, seed=6)
    warm_with_stored_densities(_matrix(range(120), vecs, projected=False), tmp_path, MODEL)
    damage(density_file(tmp_path, MODEL))
    return _matrix(range(120), vecs, projected=False)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:300])


def _rewrite(path, **changes):
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays.update(changes)
    npz_files.write_arrays(path, arrays)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(b"not a zip file at all"), id="garbage"),
        pytest.param(_truncate, id="truncated"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
        pytest.param(lambda p: _rewrite(p, model=np.frombuffer(b"e5-small", dtype=np.uint8)), id="model"),
        pytest.param(lambda p: _rewrite(p, meta=np.asarray([99, 24, 120, 10, 256])), id="format"),
        pytest.param(lambda p: _rewrite(p, meta=np.asarray([1, 32, 120, 10, 256])), id="dimension"),
        pytest.param(lambda p: _rewrite(p, mean=np.zeros(7, dtype=np.float32)), id="short-array"),
        pytest.param(lambda p: _rewrite(p, kth=np.zeros(120, dtype=np.float64)), id="dtype"),
        pytest.param(lambda p: _rewrite(p, ids=np.zeros(120, dtype=np.int64)), id="duplicate-ids"),
        pytest.param(lambda p: _rewrite(p, meta=np.asarray([1, 24, 120, 5, 256])), id="other-k"),
        pytest.param(lambda p: _rewrite(p, meta=np.asarray([1, 24, 120, 10, 64])), id="other-candidates"),
    ],
)
def test_a_damaged_or_foreign_file_is_ignored_and_rewritten(tmp_path, caplog, damage):
    matrix = _write_then(tmp_path, damage)
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.density_store"):
        assert warm_with_stored_densities(matrix, tmp_path, MODEL) == (0, 120)
    assert matrix.densities(matrix.ids) == pytest.approx(_fresh(matrix), abs=1e-5)
    assert "ignoring the stored neighbour densities" in caplog.text
    # Rewritten: the next start reuses everything.
    again = _matrix(range(120), _clustered(120, seed=6), projected=False)
    assert warm_with_stored_densities(again, tmp_path, MODEL) == (120, 0)


def test_a_file_of_another_density_setting_is_not_used(tmp_path, monkeypatch):
    vecs = _clustered(120, seed=8)
    warm_with_stored_densities(_matrix(range(120), vecs, projected=False), tmp_path, MODEL)
    matrix = VectorMatrix.from_arrays(list(range(120)), vecs, density_neighbours=5)
    assert warm_with_stored_densities(matrix, tmp_path, MODEL) == (0, 120)
    fresh = VectorMatrix.from_arrays(list(range(120)), vecs, density_neighbours=5).densities(range(120))
    assert matrix.densities(matrix.ids) == pytest.approx(fresh, abs=1e-5)


def test_a_failed_write_leaves_no_file_and_the_densities_stand(tmp_path, monkeypatch, caplog):
    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(npz_files.np, "savez", disk_full)
    matrix = _matrix(range(100), _clustered(100, seed=9), projected=False)
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.density_store"):
        assert warm_with_stored_densities(matrix, tmp_path, MODEL) == (0, 100)
    assert "No space left" in caplog.text
    assert [p.name for p in tmp_path.iterdir() if p.name != "densities.lock"] == []
    assert len(matrix.memoised_densities()) == 100


def test_string_ids_are_computed_but_not_stored(tmp_path):
    """The file holds integer article ids; a matrix of other ids still gets its densities."""
    matrix = VectorMatrix.from_arrays([f"a{i}" for i in range(50)], _clustered(50, seed=10))
    assert warm_with_stored_densities(matrix, tmp_path, MODEL) == (0, 50)
    assert not density_file(tmp_path, MODEL).exists()


def test_model_names_become_file_names_safely(tmp_path):
    assert density_file(tmp_path, "../../etc/passwd").parent == tmp_path
    assert density_file(tmp_path, "use-m3").name == "densities-use-m3.npz"


def test_a_second_worker_waits_for_the_first_and_reuses_its_densities(tmp_path, monkeypatch):
    """Two workers starting together: one computes, the other waits for the lock, then reuses it all."""
    vecs = _clustered(200, seed=11)
    first, second = (_matrix(range(200), vecs, projected=False) for _ in range(2))
    computing, release = threading.Event(), threading.Event()
    warm = first.warm_densities

    def slow_warm(*args, **kwargs):
        computing.set()
        release.wait(10)
        return warm(*args, **kwargs)

    monkeypatch.setattr(first, "warm_densities", slow_warm)
    results: dict[str, tuple[int, int]] = {}
    a = threading.Thread(target=lambda: results.update(a=warm_with_stored_densities(first, tmp_path, MODEL)))
    b = threading.Thread(target=lambda: results.update(b=warm_with_stored_densities(second, tmp_path, MODEL)))
    a.start()
    assert computing.wait(10)
    b.start()
    time.sleep(0.3)
    assert b.is_alive()  # waiting for the lock, not computing
    release.set()
    a.join(30)
    b.join(30)
    assert results == {"a": (0, 200), "b": (200, 0)}


def test_the_lock_is_given_up_after_the_wait(tmp_path):
    lock = tmp_path / "densities.lock"
    with exclusive(lock, wait=1) as held:
        assert held
        started = time.monotonic()
        with exclusive(lock, wait=0.2) as other:
            assert other is False
        assert time.monotonic() - started >= 0.2
    with exclusive(lock, wait=0) as held_again:
        assert held_again


def test_an_unwritable_folder_still_computes(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-folder"
    matrix = _matrix(range(60), _clustered(60, seed=12), projected=False)
    assert warm_with_stored_densities(matrix, missing, MODEL) == (0, 60)
    assert len(matrix.memoised_densities()) == 60


def test_rows_changed_while_checked_are_not_seeded_from_stale_digests(tmp_path, monkeypatch):
    """A draft saved while a worker checks the file outside the lock: the check starts again."""
    vecs = _clustered(150, seed=13)
    warm_with_stored_densities(_matrix(range(150), vecs, projected=False), tmp_path, MODEL)
    stored = load_densities(density_file(tmp_path, MODEL), MODEL, 24, (10, 256))
    matrix = _matrix(range(150), vecs, projected=False)
    check = density_store.reusable_entries
    calls = []

    def edit_during_check(*args):
        calls.append(1)
        if len(calls) == 1:
            matrix.set(7, normalize_rows(np.random.default_rng(1).normal(size=24)))
        return check(*args)

    monkeypatch.setattr(density, "reusable_entries", edit_during_check)
    reused = matrix.density.seed_densities(stored)
    assert len(calls) == 2 and 0 < reused < 150
    assert 7 not in matrix.memoised_densities()
    matrix.warm_densities()
    assert matrix.densities(matrix.ids) == pytest.approx(_fresh(matrix), abs=1e-5)


def test_a_writer_killed_mid_write_leaves_nothing_for_good(tmp_path):
    """The aside file of a worker killed while writing (kill -9) is removed by the next one."""
    leftover = tmp_path / f"{density_file(tmp_path, MODEL).name}.4242-1.tmp"
    leftover.write_bytes(b"half a file")
    unrelated = tmp_path / "MAIN_abc.ranking.npz.4242-1.tmp"  # another cache's: not this module's business
    unrelated.write_bytes(b"x")
    warm_with_stored_densities(_matrix(range(50), _clustered(50, seed=14), projected=False), tmp_path, MODEL)
    assert not leftover.exists() and unrelated.exists()
    assert load_densities(density_file(tmp_path, MODEL), MODEL, 24, (10, 256)) is not None


def test_a_non_integer_id_added_while_tracking_stops_the_tracking_not_the_densities(tmp_path):
    matrix = _matrix(range(40), _clustered(41, seed=15)[:40], projected=False)
    matrix.density.track_neighbours(True)
    matrix.set("draft-x", _clustered(41, seed=15)[40])
    assert len(matrix.densities(matrix.ids)) == 41
    assert matrix.density.density_snapshot() is None  # nothing storable, and nothing broke
