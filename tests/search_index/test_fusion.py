"""Fusion of lexical and semantic rankings on hand-made rankings."""

import pytest

from search_index.ranking import fusion
from search_index.ranking.config import DEFAULT_RANKING
from search_index.ranking.fusion import fuse, rrf, weighted_sum


def ids(ranking):
    return [i for i, _ in ranking]


def test_rrf_rewards_agreement():
    lexical = [("a", 12.0), ("b", 9.0), ("e", 1.0)]
    semantic = [("c", 0.9), ("b", 0.8), ("d", 0.7)]
    out = rrf(lexical, semantic, k=60, lexical_weight=1.0, semantic_weight=1.0)
    # b is second on both sides, so it beats a (first on one side only).
    assert ids(out)[0] == "b"
    assert set(ids(out)) == {"a", "b", "c", "d", "e"}
    assert out == sorted(out, key=lambda kv: -kv[1])


def test_rrf_ties_are_deterministic():
    # a is first on the lexical side and b first on the semantic side: equal RRF scores.
    out1 = rrf([("a", 1.0)], [("b", 0.5)], lexical_weight=1.0, semantic_weight=1.0)
    out2 = rrf([("a", 1.0)], [("b", 0.5)], lexical_weight=1.0, semantic_weight=1.0)
    assert out1 == out2
    assert out1[0][1] == pytest.approx(out1[1][1])
    assert ids(out1) == ["a", "b"]  # same best rank, then by id


def test_disjoint_lists_interleave():
    lexical = [("l1", 3.0), ("l2", 2.0), ("l3", 1.0)]
    semantic = [("s1", 0.9), ("s2", 0.8), ("s3", 0.7)]
    out = ids(rrf(lexical, semantic, lexical_weight=1.0, semantic_weight=1.0))
    assert out[:2] in (["l1", "s1"], ["s1", "l1"])
    assert out.index("l2") < out.index("l3")
    assert out.index("s2") < out.index("s3")
    assert len(out) == 6


@pytest.mark.parametrize("method", ["rrf", "weighted"])
def test_empty_sides(method):
    lexical = [("a", 5.0), ("b", 4.0)]
    semantic = [("c", 0.8), ("a", 0.3)]
    assert ids(fuse(lexical, [], method=method)) == ["a", "b"]
    assert ids(fuse([], semantic, method=method)) == ["c", "a"]
    assert ids(fuse(None, semantic, method=method)) == ["c", "a"]
    assert fuse([], [], method=method) == []
    assert fuse(None, None, method=method) == []


@pytest.mark.parametrize("method", ["rrf", "weighted"])
def test_filters_respected_on_both_sides(method):
    lexical = [("draft", 9.0), ("a", 5.0)]
    semantic = [("internal", 0.99), ("b", 0.5), ("a", 0.4)]
    out = ids(fuse(lexical, semantic, method=method, allowed_ids={"a", "b"}))
    assert set(out) == {"a", "b"}


def test_duplicates_within_a_side_count_once():
    out = rrf([("a", 3.0), ("a", 2.0), ("b", 1.0)], [])
    assert ids(out) == ["a", "b"]
    assert out[0][1] == pytest.approx(DEFAULT_RANKING.lexical_weight / (DEFAULT_RANKING.rrf_k + 1))


def test_limit_and_depth():
    lexical = [(f"l{i}", float(100 - i)) for i in range(50)]
    assert len(rrf(lexical, [], limit=10)) == 10
    assert len(rrf(lexical, [], lexical_depth=5)) == 5


def test_weighted_sum_alpha_extremes():
    lexical = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
    semantic = [("c", 0.9), ("b", 0.6), ("a", 0.1)]
    assert ids(weighted_sum(lexical, semantic, alpha=0.0)) == ["a", "b", "c"]
    assert ids(weighted_sum(lexical, semantic, alpha=1.0)) == ["c", "b", "a"]
    # Equal lexical scores normalise to 1 rather than dividing by zero.
    out = weighted_sum([("x", 2.0), ("y", 2.0)], [], alpha=0.5)
    assert [s for _, s in out] == [pytest.approx(0.5), pytest.approx(0.5)]


def test_unknown_method():
    with pytest.raises(ValueError):
        fuse([], [], method="bogus")


def test_thresholds_are_ordered():
    similar, duplicate = DEFAULT_RANKING.similar_thresholds["use-m3"]
    assert 0.0 < similar < duplicate < 1.0


def test_thresholds_for_models():
    assert fusion.thresholds_for("use-m3") == DEFAULT_RANKING.similar_thresholds["use-m3"]
    similar, duplicate = fusion.thresholds_for("e5-small-q4")
    assert similar < duplicate
    assert fusion.thresholds_for("unknown") == fusion.thresholds_for(None) == fusion.thresholds_for("use-m3")
