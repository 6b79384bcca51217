"""Semantic search off or broken: lexical search keeps working and the admin page says why."""

from __future__ import annotations

import numpy as np
import pytest

from search_index import search_articles
from search_index.semantic import model as semantic
from search_index.semantic.matrix import VectorMatrix
from tests.search.helpers import engine, people, published

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class _Broken:
    name = "broken"
    dim = 4

    def __init__(self):
        raise RuntimeError("model file is corrupt")


@pytest.fixture
def app_overrides():
    return {"SEMANTIC": "use"}


@pytest.fixture(autouse=True)
def broken_model(monkeypatch):
    """The `use` package fails to load (a corrupt wheel, a missing dependency)."""
    monkeypatch.setitem(semantic._FACTORIES, "use", _Broken)
    monkeypatch.setattr(semantic, "_models", {})


def test_search_falls_back_to_lexical_and_admin_page_says_so(app, db, client, login):
    agent, lead, admin = people(db)
    art = published(db, agent, lead, "如何为客户办理退款")
    status = engine(app).vectors.status()
    assert status["state"] == "failed" and "corrupt" in status["reason"]
    hits = search_articles(db, engine(app), "办理退款", actor_roles=("agent",)).hits
    assert [h.id for h in hits] == [art.id]
    login(agent)
    assert client.get(f"/articles/{art.id}").status_code == 200
    assert client.get("/articles/new?title=如何为客户办理退款").status_code == 200
    assert client.get("/search/duplicates?title=退款").get_json() == {"duplicates": []}
    login(admin)
    html = client.get("/admin/search/synonyms").get_data(as_text=True)
    assert 'id="semantic-status"' in html and "corrupt" in html


def test_a_model_failing_per_query_gives_lexical_results(app, db, monkeypatch):
    agent, lead, _admin = people(db)
    art = published(db, agent, lead, "如何为客户办理退款")
    store = engine(app).vectors

    class Flaky:
        name, dim = "use-m3", 4

        def embed_texts(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32)

        def embed_query(self, text):
            raise RuntimeError("boom")

    monkeypatch.setattr(store, "embedder", Flaky())
    store.matrix = VectorMatrix(4)
    store.matrix.set(art.id, np.ones(4))
    hits = search_articles(db, engine(app), "办理退款", actor_roles=("agent",)).hits
    assert [h.id for h in hits] == [art.id]


def test_loader_exceptions_never_escape():
    def explode(_name):
        raise MemoryError("no room")

    embedder, reason = semantic.load_model("use", loader=explode)
    assert embedder is None and "no room" in reason
    assert semantic.load_model("off") == (None, "")
