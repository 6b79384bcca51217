"""A server worker reads its search index at start-up, in a thread, instead of in its first search."""

from __future__ import annotations

import logging

from articles.search.runtime import warm_up_in_background
from tests.search.helpers import engine, people, published


def test_the_index_is_read_before_the_first_search(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "花呗逾期怎么办")
    index = engine(app).index
    index._snap = None  # as in a worker that has not searched yet
    warm_up_in_background(app).join(30)
    snapshot = index._snap
    assert snapshot is not None and snapshot.alive.sum() >= 1
    with app.app_context():
        found = index.search("花呗逾期")
    assert article.id in [hit.id for hit in found.hits]
    assert index._snap is snapshot  # the search used the snapshot read at start-up


def test_a_failed_read_is_logged_and_left_to_the_first_search(app, db, monkeypatch, caplog):
    index = engine(app).index
    monkeypatch.setattr(index, "refresh", lambda force=False: (_ for _ in ()).throw(OSError("disk gone")))
    with caplog.at_level(logging.ERROR, logger="articles.search.runtime"):
        warm_up_in_background(app).join(30)
    assert "the first search will retry" in caplog.text
