"""VectorMatrix: cosine top-k (exact and projected), filters, removal, similar, float16 loading."""

import numpy as np
import pytest

from search_index.semantic.matrix import VectorMatrix, normalize_rows
from tests.search_index.unit_vectors import random_unit, unit


def test_top_k_orders_by_cosine():
    m = VectorMatrix(3)
    m.set("x", [1, 0, 0])
    m.set("y", [0.8, 0.6, 0])
    m.set("z", [0, 0, 1])
    out = m.top_k(unit([1, 0.1, 0]), k=2)
    assert [i for i, _ in out] == ["x", "y"]
    assert out[0][1] == pytest.approx(0.995, abs=1e-2)
    assert len(m.top_k([1, 0, 0], k=10)) == 3


def test_top_k_allowed_ids_and_remove():
    m = VectorMatrix(3)
    for name, vec in {"x": [1, 0, 0], "y": [0.8, 0.6, 0], "z": [0, 0, 1]}.items():
        m.set(name, vec)
    assert [i for i, _ in m.top_k([1, 0, 0], k=3, allowed_ids={"z", "y", "unknown"})] == ["y", "z"]
    assert m.top_k([1, 0, 0], k=3, allowed_ids=[]) == []
    assert m.remove("x") is True
    assert m.remove("x") is False
    assert "x" not in m and len(m) == 2
    assert [i for i, _ in m.top_k([1, 0, 0], k=3)] == ["y", "z"]
    # Replacing a vector moves the article.
    m.set("z", [1, 0, 0])
    assert m.top_k([1, 0, 0], k=1)[0][0] == "z"


def test_zero_query_and_empty_matrix():
    m = VectorMatrix(4)
    assert m.top_k(unit([1, 0, 0, 0]), k=5) == []
    m.set("a", [0, 1, 0, 0])
    assert m.top_k(np.zeros(4), k=5) == []
    assert m.top_k(unit([0, 1, 0, 0]), k=0) == []
    with pytest.raises(ValueError):
        m.set("b", [1, 0])


def test_similar_excludes_self_and_applies_threshold():
    m = VectorMatrix(3)
    m.set("a", [1, 0, 0])
    m.set("a2", [0.95, 0.31, 0])
    m.set("b", [0.5, 0.86, 0])
    m.set("c", [0, 0, 1])
    sims = m.similar("a", k=5, threshold=0.4)
    assert [i for i, _ in sims] == ["a2", "b"]
    assert [i for i, _ in m.similar("a", k=5, threshold=0.9)] == ["a2"]
    assert m.similar("missing", k=5) == []
    dups = m.similar_to_vector(unit([1, 0.05, 0]), k=3, threshold=0.9)
    assert [i for i, _ in dups] == ["a", "a2"]


def test_projected_regime_matches_exact():
    vecs = random_unit(3000, 64, seed=1)
    # Give the data some structure so PCA has directions to keep.
    vecs = normalize_rows(vecs + 2 * random_unit(30, 64, seed=2)[np.arange(3000) % 30])
    ids = [f"d{i}" for i in range(3000)]
    exact = VectorMatrix.from_arrays(ids, vecs, exact_below=10**9)
    approx = VectorMatrix.from_arrays(ids, vecs, exact_below=100, coarse_dim=32, candidates=300)
    queries = normalize_rows(vecs[:50] + 0.3 * random_unit(50, 64, seed=3))
    overlap = []
    for q in queries:
        a = [i for i, _ in exact.top_k(q, 10)]
        b = [i for i, _ in approx.top_k(q, 10)]
        assert b[0] == a[0]
        overlap.append(len(set(a) & set(b)) / 10)
    assert np.mean(overlap) > 0.9
    # Mutations keep working in the projected regime.
    approx.remove("d0")
    assert "d0" not in [i for i, _ in approx.top_k(vecs[0], 5)]
    approx.set("new", vecs[0])
    assert approx.top_k(vecs[0], 1)[0][0] == "new"
    allowed = {f"d{i}" for i in range(5000, 9000)} | {"d7"}
    assert [i for i, _ in approx.top_k(vecs[7], 3, allowed_ids=allowed)] == ["d7"]


def test_large_allowed_set_in_projected_regime():
    vecs = random_unit(6000, 32, seed=4)
    ids = list(range(6000))
    m = VectorMatrix.from_arrays(ids, vecs, exact_below=100, coarse_dim=16, candidates=200)
    allowed = set(range(0, 6000, 2))  # more than the small-filter shortcut handles
    hits = m.top_k(vecs[10], 5, allowed_ids=allowed)
    assert hits[0][0] == 10
    assert all(i in allowed for i, _ in hits)


def test_from_arrays_duplicates_last_wins():
    m = VectorMatrix.from_arrays(["a", "a"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    assert len(m) == 1
    assert np.allclose(m.get("a"), [0, 1])


def test_incremental_adds_keep_projection():
    vecs = random_unit(1200, 32, seed=5)
    m = VectorMatrix.from_arrays(
        list(range(1000)), vecs[:1000], exact_below=100, coarse_dim=16, candidates=100
    )
    m.top_k(vecs[0], 1)  # fits the projection
    basis = m._proj
    for i in range(1000, 1200):
        m.set(i, vecs[i])
        assert m.top_k(vecs[i], 1)[0][0] == i
    assert m._proj is basis  # grown in place, not refitted per insert
    assert len(m) == 1200


def test_matrix_from_float16_rows_normalises_and_grows_modestly():
    rows = np.array([[3, 4, 0], [0, 0, 2], [0, 0, 0]], dtype=np.float16)
    m = VectorMatrix.from_float16_rows(["a", "b", "z"], rows)
    assert m.get("a") == pytest.approx([0.6, 0.8, 0.0], abs=1e-3)
    scores = dict(m.top_k([0, 0, 1], k=5))
    assert scores["b"] == pytest.approx(1.0, abs=1e-3) and scores["z"] == 0.0  # a zero row matches nothing
    big = VectorMatrix.from_float16_rows(list(range(800)), random_unit(800, 3).astype(np.float16))
    big.set("new", [1, 0, 0])
    # One more article adds an eighth of headroom, not a second copy of every row.
    assert 801 <= big._vecs.shape[0] <= 800 + 800 // 8 + 64
    assert big.top_k([1, 0, 0], k=1) == [("new", pytest.approx(1.0, abs=1e-3))]
    dup = VectorMatrix.from_float16_rows(["x", "x"], np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float16))
    assert len(dup) == 1 and dup.get("x") == pytest.approx([0, 1, 0], abs=1e-3)


def test_prepare_fits_the_projection_so_no_search_pays_for_it(monkeypatch):
    rng = np.random.default_rng(5)
    vecs = normalize_rows(rng.normal(size=(300, 32)))
    m = VectorMatrix.from_arrays(range(300), vecs, exact_below=100, coarse_dim=8)
    fits = []
    eigh = np.linalg.eigh
    monkeypatch.setattr(np.linalg, "eigh", lambda a: fits.append(a.shape) or eigh(a))
    m.prepare()
    assert fits == [(32, 32)]
    hits = m.top_k(vecs[7], 5)
    assert fits == [(32, 32)]  # the search used the fitted projection
    assert hits[0][0] == 7
