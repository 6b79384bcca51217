"""The learned fusion of Chinese queries: features on hand-made candidates, the NumPy tree evaluator on
hand-made LightGBM dumps, and the shipped model's file."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import numpy as np
import pytest

from search_index.ranking import learned as lf
from search_index.ranking.config import DEFAULT_RANKING
from search_index.ranking.learned import FEATURES, IdfTable, TreeEnsemble, feature_matrix, learned_ranking

COL = {name: i for i, name in enumerate(FEATURES)}


def _leaf(value: float) -> dict:
    return {"leaf_index": 0, "leaf_value": value}


def _split(feature: int, threshold: float, left: dict, right: dict) -> dict:
    return {
        "split_index": 0,
        "split_feature": feature,
        "threshold": threshold,
        "decision_type": "<=",
        "left_child": left,
        "right_child": right,
    }


def _dump(*structures: dict, names=("a", "b")) -> dict:
    """A ``Booster.dump_model()``-shaped document (only the keys the converter reads, as LightGBM names them)."""
    return {"feature_names": list(names), "tree_info": [{"tree_structure": s} for s in structures]}


# --- the tree evaluator ----------------------------------------------------------------------------------


def test_trees_are_evaluated_like_lightgbm():
    # Tree 1: a <= 0.5 ? (b <= 2 ? 1 : 2) : 10.  Tree 2: a single leaf (LightGBM writes those too).
    model = TreeEnsemble.from_lightgbm(
        _dump(_split(0, 0.5, _split(1, 2.0, _leaf(1.0), _leaf(2.0)), _leaf(10.0)), _leaf(0.25))
    )
    X = np.array([[0.1, 1.0], [0.1, 3.0], [0.9, 0.0], [0.5, 2.0]], dtype=np.float32)
    # A value equal to the threshold goes left, as in LightGBM.
    assert model.predict(X).tolist() == [1.25, 2.25, 10.25, 1.25]
    assert model.depth == 2 and model.n_trees == 2


def test_a_model_survives_its_file(tmp_path, monkeypatch):
    monkeypatch.setattr(lf, "FEATURES", ("a", "b"))
    model = TreeEnsemble.from_lightgbm(
        _dump(_split(1, -1.0, _leaf(-3.0), _split(0, 4.0, _leaf(1.0), _leaf(2.0))))
    )
    path = tmp_path / "model.json"
    model.save(path)
    again = TreeEnsemble.load(path)
    X = np.array([[0.0, -2.0], [3.0, 0.0], [5.0, 0.0]])
    assert again.predict(X).tolist() == model.predict(X).tolist() == [-3.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(format=0), "format"),
        (lambda d: d.update(features=["a"]), "other features"),
        (lambda d: d["trees"][0]["feature"].__setitem__(0, 5), "feature the model does not list"),
        (lambda d: d["trees"][0]["leaf"].append(9.0), "one leaf more"),
        (lambda d: d["trees"][0]["left"].__setitem__(0, 7), "outside itself"),
        (lambda d: d.update(depth=0), "deeper than the model says"),
    ],
)
def test_a_damaged_model_file_is_refused(monkeypatch, change, message):
    monkeypatch.setattr(lf, "FEATURES", ("a", "b"))
    doc = TreeEnsemble.from_lightgbm(_dump(_split(0, 0.5, _leaf(1.0), _leaf(2.0)))).to_dict()
    change(doc)
    with pytest.raises(ValueError, match=message):
        TreeEnsemble.from_dict(doc).predict(np.zeros((1, 2)))


def test_only_numerical_splits_are_converted():
    categorical = dict(_split(0, 0.5, _leaf(1.0), _leaf(2.0)), decision_type="==")
    with pytest.raises(ValueError, match="numerical"):
        TreeEnsemble.from_lightgbm(_dump(categorical))


def test_rows_with_other_columns_are_refused():
    model = TreeEnsemble.from_lightgbm(_dump(_split(0, 0.5, _leaf(1.0), _leaf(2.0))))
    with pytest.raises(ValueError, match="feature columns"):
        model.predict(np.zeros((2, 3)))
    assert model.predict(np.zeros((0, 2))).tolist() == []


def test_a_missing_or_broken_model_file_leaves_the_weighted_sum(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="search_index.ranking.learned")
    assert lf.load_model(path=tmp_path / "absent.json") is None
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert lf.load_model(path=broken) is None
    assert "weighted sum" in caplog.text and "absent.json" in caplog.text


def test_the_shipped_model_loads_and_reads_the_current_features():
    model = lf.load_model()
    assert model is not None and model.features == FEATURES and model.serves("use-m3")
    doc = json.loads(lf.DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    assert doc["format"] == lf.MODEL_FORMAT and len(doc["trees"]) == model.n_trees > 0


def test_the_shipped_model_was_trained_with_the_current_ranking_config():
    """Changing a ranking weight or depth changes the candidates and features the model sees: retrain it
    (``python -m search_index.ranking.train ... --write``) instead of shipping a stale model."""
    doc = json.loads(lf.DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    record = doc["trained_with"]
    assert record["ranking"] == DEFAULT_RANKING.trained_values(), "the model is stale: retrain it"
    assert record["ranking_signature"] == DEFAULT_RANKING.signature()
    assert doc["features"] == list(FEATURES)
    assert record["data"]["documents"] > 0 and record["data"]["queries"] > 0
    assert len(record["data"]["queries_sha256"]) == 64


def test_a_model_trained_with_another_config_is_not_served(tmp_path, caplog):
    changed = replace(DEFAULT_RANKING, alpha=0.6)
    assert changed.signature() != DEFAULT_RANKING.signature()
    caplog.set_level(logging.WARNING, logger="search_index.ranking.learned")
    assert lf.load_model(changed) is None
    assert "retrain" in caplog.text
    assert lf.load_model(replace(DEFAULT_RANKING, suggest_below=5)) is not None  # not a model input


def test_switching_the_neighbour_density_off_needs_another_model():
    assert lf.load_model(replace(DEFAULT_RANKING, neighbour_density=False)) is None


# --- features --------------------------------------------------------------------------------------------


def _idf(ndocs: int = 100, df: dict | None = None) -> IdfTable:
    df = df or {}
    return IdfTable(lambda term: df.get(term, 0), ndocs)


def test_idf_is_normalised_to_the_size_of_the_base():
    small, large = _idf(100, {"花": 100}), _idf(100_000, {"花": 100_000})
    assert small("花") == pytest.approx(0.0, abs=0.01) and large("花") == pytest.approx(0.0, abs=0.01)
    assert small("呗") == large("呗") == pytest.approx(1.0)
    assert 0.0 < _idf(100, {"款": 10})("款") < 1.0


def test_features_describe_each_candidate():
    lexical = [("refund", 9.0), ("loan", 3.0)]
    semantic = [("loan", 0.8), ("other", 0.6)]
    titles = {"refund": "花呗怎么还款", "loan": "借呗没有到账", "other": "天气"}
    cosines = {"refund": 0.7, "loan": 0.8, "other": 0.6}
    densities = {"refund": 0.6, "loan": 0.2}  # "other" has no vector yet
    ids, X = feature_matrix("花呗如何还款", lexical, semantic, titles, cosines, _idf(), densities=densities)
    assert ids == ["refund", "loan", "other"]  # the union, lexical order first
    assert X.shape == (3, len(FEATURES))
    refund, loan, other = X
    assert (refund[COL["in_lexical"]], refund[COL["in_semantic"]]) == (1, 0)
    assert (other[COL["in_lexical"]], other[COL["in_semantic"]]) == (0, 1)
    assert refund[COL["lexical_score"]] == 1.0 and loan[COL["lexical_score"]] == 0.0
    assert loan[COL["semantic_score"]] == 1.0 and refund[COL["semantic_rr"]] == 0.0
    assert refund[COL["cosine"]] == pytest.approx(0.7)
    # The crowded article's cosine is corrected down by half its neighbour density.
    assert refund[COL["neighbour_density"]] == pytest.approx(0.6)
    assert refund[COL["csls_cosine"]] == pytest.approx(0.7 - 0.5 * 0.6)
    assert loan[COL["csls_cosine"]] == pytest.approx(0.8 - 0.5 * 0.2)
    assert other[COL["neighbour_density"]] == 0.0 and other[COL["csls_cosine"]] == pytest.approx(0.6)
    # 花呗如何还款 / 花呗怎么还款 share 花呗, 还款 of five bigrams each, and 4 of 6 characters in order.
    assert refund[COL["bigram_dice"]] == pytest.approx(2 * 2 / 10)
    assert refund[COL["char_title_cover"]] == pytest.approx(4 / 6)
    assert refund[COL["lcs_title"]] == pytest.approx(4 / 6)
    # "没有到账" carries a negation the query does not.
    assert loan[COL["negation_mismatch"]] == 1 and refund[COL["negation_mismatch"]] == 0
    # Nothing shared: every title character is "title only".
    assert other[COL["char_query_cover"]] == 0 and other[COL["title_only_chars_idf"]] == pytest.approx(2.0)


def test_empty_and_missing_inputs_give_zero_features():
    ids, X = feature_matrix("", [("a", 1.0)], [], {}, {}, _idf())
    assert ids == ["a"] and np.isfinite(X).all() and X[0, COL["cosine"]] == 0.0
    ids, X = feature_matrix("花呗", [], [], {}, {}, _idf())
    assert ids == [] and X.shape == (0, len(FEATURES))


def test_the_shipped_model_prefers_the_paraphrased_question():
    """Two candidates with the same scores on both sides: the one that asks what the customer asks wins."""
    model = lf.load_model()
    lexical = [("other", 5.0), ("same", 5.0)]
    semantic = [("other", 0.8), ("same", 0.8)]
    titles = {"same": "花呗怎么提前还款", "other": "借呗额度为什么降低了"}
    query = "我想提前还花呗的钱怎么操作"
    ids, X = feature_matrix(query, lexical, semantic, titles, {"same": 0.8, "other": 0.8}, _idf(8000))
    assert [i for i, _ in learned_ranking(ids, X, model)] == ["same", "other"]


def test_the_shipped_model_prefers_the_article_in_a_less_crowded_neighbourhood():
    """Same title overlap and cosine: the article with many near-duplicates around it is close to many
    questions that are not about it, so the one that stands alone comes first."""
    model = lf.load_model()
    lexical = [("crowded", 5.0), ("alone", 5.0)]
    semantic = [("crowded", 0.8), ("alone", 0.8)]
    titles = {"crowded": "花呗怎么提前还款", "alone": "花呗如何提前还款"}
    query = "花呗可以提前还款吗"
    cosines = {"crowded": 0.8, "alone": 0.8}
    ids, X = feature_matrix(
        query, lexical, semantic, titles, cosines, _idf(8000), densities={"crowded": 0.75, "alone": 0.45}
    )
    assert [i for i, _ in learned_ranking(ids, X, model)] == ["alone", "crowded"]


def test_ties_keep_the_candidate_order():
    model = TreeEnsemble.from_lightgbm(_dump(_leaf(1.0), names=FEATURES))
    ids = ["x", "y", "z"]
    assert [i for i, _ in learned_ranking(ids, np.zeros((3, len(FEATURES))), model)] == ids
