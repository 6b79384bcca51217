"""PORTAL_SEMANTIC=off (the test default): no model, no vectors, lexical search and the pages unchanged."""

from __future__ import annotations

from sqlmodel import select

from search_index import search_articles
from search_index.models import SearchVector
from tests.search.helpers import engine, people, published


def test_off_means_lexical_only_and_no_vectors(app, db, client, login, runner):
    agent, lead, admin = people(db)
    art = published(db, agent, lead, "如何为客户办理退款")
    store = engine(app).vectors
    assert store.status()["state"] == "off" and not store.enabled
    assert db.exec(select(SearchVector)).all() == []
    assert [h.id for h in search_articles(db, engine(app), "办理退款", actor_roles=("agent",)).hits] == [
        art.id
    ]
    login(agent)
    assert "semantic-panel" not in client.get(f"/articles/{art.id}").get_data(as_text=True)
    assert client.get("/search/duplicates?title=退款").get_json() == {"duplicates": []}
    login(admin)
    assert "PORTAL_SEMANTIC=off" in client.get("/admin/search/synonyms").get_data(as_text=True)
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0 and "vectors not checked" in result.output
