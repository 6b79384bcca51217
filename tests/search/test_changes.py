"""Old rows of the change queue are pruned without losing a change for any node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from articles.search.runtime import iter_documents, load_documents
from portal.db import get_engine
from search_index.lexical.index import SearchIndex
from search_index.models import SearchChange
from search_index.sync import changes
from search_index.sync.catchup import IndexSync
from search_index.sync.changes import CHANGE_RETENTION, prune_changes
from tests.search.helpers import change_rows, engine, people, published


def _age_rows(db, ids, days):
    """Pretend the change rows ``ids`` were written ``days`` ago."""
    db.execute(
        update(SearchChange)
        .where(SearchChange.id.in_(ids))
        .values(created_at=datetime.now(UTC) - timedelta(days=days))
    )
    db.commit()


def _second_node(app, tmp_path) -> IndexSync:
    """Another node on the same database: its own index folder and cursor."""
    index = SearchIndex(tmp_path / "node-b-index")
    node = IndexSync(index, get_engine(app), load_documents, iter_documents)
    node.start()
    return node


def _found(node: IndexSync, query: str) -> list[int]:
    node.index.refresh(force=True)
    return [h.id for h in node.index.search(query).hits]


def test_rows_older_than_the_retention_go_and_recent_ones_stay(app, db):
    agent, lead, _admin = people(db)
    old = [published(db, agent, lead, f"旧的变更{i}") for i in range(3)]
    recent = published(db, agent, lead, "最近的变更")
    old_ids = [r.id for r in change_rows(db) if r.article_id in {a.id for a in old}]
    _age_rows(db, old_ids, CHANGE_RETENTION.days + 1)

    assert prune_changes(db) == len(old_ids)
    db.commit()
    assert [r.article_id for r in change_rows(db)] == [recent.id]
    assert prune_changes(db) == 0  # nothing left that is old enough


def test_the_newest_row_is_kept_so_ids_keep_growing(app, db):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "第一篇")
    published(db, agent, lead, "第二篇")
    rows = change_rows(db)
    newest = rows[-1].id
    _age_rows(db, [r.id for r in rows], 365)

    assert prune_changes(db) == len(rows) - 1
    db.commit()
    assert [r.id for r in change_rows(db)] == [newest]
    # SQLite numbers a new row max(id) + 1: had the table been emptied, this change would have reused an
    # id that every node's cursor already counts as applied, and no node would ever index it.
    later = published(db, agent, lead, "清理之后发布的文章")
    assert change_rows(db)[-1].id > newest
    assert _found(engine(app).sync, "清理之后发布") == [later.id]


@pytest.mark.parametrize("bad", [timedelta(0), timedelta(hours=23), timedelta(days=-30)])
def test_a_retention_under_a_day_is_refused_and_deletes_nothing(app, db, bad):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "保留期太短")
    before = [r.id for r in change_rows(db)]
    with pytest.raises(ValueError, match="at least"):
        prune_changes(db, older_than=bad)
    db.rollback()
    assert [r.id for r in change_rows(db)] == before


def test_a_node_that_was_down_past_the_retention_rebuilds_and_misses_nothing(app, db, tmp_path):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "节点停机之前")
    node_b = _second_node(app, tmp_path)  # up to date, then "switched off"
    assert not node_b.missed_pruned_changes()

    while_down = published(db, agent, lead, "停机期间发布的退款说明")
    last = published(db, agent, lead, "停机期间最后一篇")
    ids = [r.id for r in change_rows(db)]
    _age_rows(db, ids, CHANGE_RETENTION.days + 5)
    assert prune_changes(db) == len(ids) - 1  # the row of while_down is gone, only the newest stays
    db.commit()

    # Node B comes back: replaying the rows left would miss the refund article; it rebuilds instead.
    assert node_b.missed_pruned_changes()
    node_b.catch_up()
    assert _found(node_b, "退款说明") == [while_down.id]
    assert _found(node_b, "最后一篇") == [last.id]
    assert not node_b.missed_pruned_changes()
    with node_b._session(None) as session:
        assert node_b.check(session).clean


def test_a_node_that_kept_up_does_not_rebuild_after_a_prune(app, db, tmp_path, monkeypatch):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "一直在线的节点")
    published(db, agent, lead, "又一篇")
    node_b = _second_node(app, tmp_path)
    _age_rows(db, [r.id for r in change_rows(db)], CHANGE_RETENTION.days + 1)
    prune_changes(db)
    db.commit()
    rebuilt = []
    monkeypatch.setattr(node_b, "_rebuild_locked", lambda *a, **k: rebuilt.append(1) or 0)

    assert not node_b.missed_pruned_changes()
    changes.article_changed(db, published(db, agent, lead, "之后的变更").id)
    db.commit()
    node_b.catch_up()
    assert rebuilt == []
    assert _found(node_b, "之后的变更") != []


def test_pruning_runs_after_a_commit_at_most_once_per_interval(app, db):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "定期清理一")
    published(db, agent, lead, "定期清理二")
    sync = engine(app).sync
    _age_rows(db, [r.id for r in change_rows(db)], CHANGE_RETENTION.days + 1)
    sync._pruned_at = None  # as in a freshly started worker

    published(db, agent, lead, "定期清理三")  # its commit runs the catch-up, then the prune
    assert len(change_rows(db)) == 1
    # Within the interval the next commit leaves even old rows alone (one DELETE per worker per interval).
    published(db, agent, lead, "定期清理四")
    _age_rows(db, [r.id for r in change_rows(db)], CHANGE_RETENTION.days + 1)
    published(db, agent, lead, "定期清理五")
    assert len(change_rows(db)) == 3


def test_the_catch_up_before_a_search_never_prunes(app, db):
    """It runs inside a request that may hold SQLite's only write lock: a DELETE from a second connection
    would wait for that very request."""
    agent, lead, _admin = people(db)
    published(db, agent, lead, "搜索前不清理")
    sync = engine(app).sync
    _age_rows(db, [r.id for r in change_rows(db)], CHANGE_RETENTION.days + 1)
    changes.unregister(get_engine(app))  # nobody applies the next change right after its commit
    published(db, agent, lead, "另一个节点发布的文章")
    sync._polled_at = 0.0  # the next search looks at the database
    sync._pruned_at = None  # and a prune would be due
    statements = []

    def watch(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(get_engine(app), "before_cursor_execute", watch)
    try:
        assert sync.catch_up_if_due(db) == 1  # the change is applied ...
    finally:
        event.remove(get_engine(app), "before_cursor_execute", watch)
    assert "DELETE" not in statements and "INSERT" not in statements  # ... with reads only
    assert len(change_rows(db)) == 2
