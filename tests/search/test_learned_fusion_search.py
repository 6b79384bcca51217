"""The learned fusion inside a real search (`use` model, real index): which queries it ranks, that the
filters still hold, and that a failing model only costs its own stage."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

import pytest

from search_index import search_articles
from search_index.ranking import pipeline as hybrid
from search_index.ranking.learned import FEATURES, TreeEnsemble
from tests.factories import make_article
from tests.search.helpers import engine, people, published

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def app_overrides():
    return {"SEMANTIC": "use"}


def _longest_title_first(embedder: str = "use-m3") -> TreeEnsemble:
    """A hand-made model that ranks by title length alone, longest first: the opposite of what the
    weighted sum does for a short query, so the tests can tell which fusion ranked a page."""
    column = FEATURES.index("log_title_length")
    leaf = lambda v: {"leaf_value": v}  # noqa: E731
    tree = {"split_feature": column, "split_index": 0, "threshold": 2.5, "decision_type": "<="}
    inner = dict(tree, threshold=3.0, left_child=leaf(1.0), right_child=leaf(2.0))
    structure = dict(tree, left_child=leaf(0.0), right_child=inner)
    dump = {"feature_names": list(FEATURES), "tree_info": [{"tree_structure": structure}]}
    return TreeEnsemble.from_lightgbm(dump, embedder=embedder)


def _titles(app, db, query, roles=("agent",), **kwargs):
    return [h.title for h in search_articles(db, engine(app), query, actor_roles=roles, **kwargs).hits]


def _corpus(db):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "退款", scenario="", solution="在订单页点退款")
    published(db, agent, lead, "客户申请退款以后多久能够收到退回的钱", scenario="", solution="三个工作日")
    published(db, agent, lead, "Refund", scenario="", solution="Open the order page and press refund")
    published(db, agent, lead, "How long until a refund reaches the customer", scenario="", solution="3 days")
    return agent, lead


def test_the_portal_serves_the_shipped_model(app):
    model = engine(app).fusion_model
    assert model is not None and model.features == FEATURES and model.n_trees > 0


def test_chinese_queries_are_ranked_by_the_learned_model(app, db, monkeypatch):
    _corpus(db)
    monkeypatch.setattr(engine(app), "fusion_model", None)
    assert _titles(app, db, "退款")[0] == "退款"
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first())
    assert _titles(app, db, "退款")[0] == "客户申请退款以后多久能够收到退回的钱"


def test_queries_without_chinese_keep_the_weighted_sum(app, db, monkeypatch):
    _corpus(db)
    monkeypatch.setattr(engine(app), "fusion_model", None)
    weighted = _titles(app, db, "refund")
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first())
    assert _titles(app, db, "refund") == weighted and weighted[0] == "Refund"


def test_a_model_trained_for_another_embedder_is_not_used(app, db, monkeypatch):
    _corpus(db)
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first(embedder="e5-small-q4"))
    # e5's cosines sit near 0.9: a model trained on `use` cosines would misread them.
    assert _titles(app, db, "退款")[0] == "退款"


def test_filters_hold_for_the_learned_ranking(app, db, monkeypatch):
    agent, _lead = _corpus(db)
    make_article(db, agent, title="退款草稿：内部流程尚未审核的超长标题文章以及更多说明文字", status="draft")
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first())
    titles = _titles(app, db, "退款")
    assert titles and not any("草稿" in t for t in titles)
    # A lead who widens the search sees the draft, ranked by the model (longest title first).
    assert _titles(app, db, "退款", roles=("lead",), include_unpublished=True)[0].startswith("退款草稿")


def test_a_failing_model_falls_back_to_the_weighted_sum(app, db, monkeypatch, caplog):
    _corpus(db)
    monkeypatch.setattr(engine(app), "fusion_model", None)
    weighted = _titles(app, db, "退款")
    broken = _longest_title_first()

    def fail(_X):
        raise RuntimeError("corrupt model")

    monkeypatch.setattr(broken, "predict", fail)
    monkeypatch.setattr(engine(app), "fusion_model", broken)
    monkeypatch.setattr(hybrid, "_failed_once", threading.Event())
    caplog.set_level(logging.ERROR, logger="search_index.ranking.pipeline")
    assert _titles(app, db, "退款") == weighted
    assert "learned fusion failed" in caplog.text
    assert engine(app).vectors.enabled  # the semantic side stays on


def test_the_admin_page_says_which_fusion_ranks_chinese_queries(app, db, client, login, monkeypatch):
    _agent, _lead, admin = people(db)
    login(admin)
    html = client.get("/admin/search/synonyms").get_data(as_text=True)
    trees = engine(app).fusion_model.n_trees
    # The UI is Chinese by default.
    assert 'id="fusion-status"' in html and f"学习融合模型（{trees} 棵树）" in html
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first(embedder="e5-small-q4"))
    html = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert "用嵌入模型 e5-small-q4 训练的" in html
    monkeypatch.setattr(engine(app), "fusion_model", None)
    html = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert "学习融合模型无法加载" in html


def test_the_model_reorders_only_the_top_of_the_weighted_sum(app, db, monkeypatch):
    _corpus(db)
    monkeypatch.setattr(engine(app), "fusion_model", None)
    weighted = _titles(app, db, "退款")
    monkeypatch.setattr(engine(app), "ranking", replace(engine(app).ranking, learned_depth=1))
    monkeypatch.setattr(engine(app), "fusion_model", _longest_title_first())
    outcome = search_articles(db, engine(app), "退款", actor_roles=("agent",))
    # One candidate re-ordered is no re-ordering: below it the weighted order stands, scores still fall.
    assert [h.title for h in outcome.hits] == weighted
    scores = [h.score for h in outcome.hits]
    assert scores == sorted(scores, reverse=True)
