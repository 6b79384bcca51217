"""The index follows the database after each commit and loses nothing when the index write fails."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session

from articles import lifecycle, revisions
from articles.search.runtime import get_search_engine, iter_documents, load_documents
from portal import create_app
from portal.db import get_engine
from search_index import SearchEngine, search_articles
from search_index.lexical.analyzer import word_tokens
from search_index.lexical.index import SearchIndex
from search_index.models import SearchChange
from search_index.sync import catchup as sync_module
from search_index.sync import changes
from search_index.sync.catchup import IndexSync, SyncBusy
from search_index.sync.changes import LOOKBACK, Cursor
from tests.factories import make_article
from tests.search.helpers import change_rows, engine, indexed_ids, people, published


def _titles(app, db, query, roles=("agent",), **kwargs):
    outcome = search_articles(db, engine(app), query, actor_roles=roles, **kwargs)
    return [h.title for h in outcome.hits]


def test_published_article_is_findable_within_a_second_through_the_api(app, db, api):
    agent, lead, _admin = people(db)
    client = api(agent)
    word_tokens("预热分词词典")  # jieba loads its dictionary once per process (about a second)
    started = time.monotonic()
    article = published(db, agent, lead, "花呗逾期了怎么办")  # create, submit, approve, commit
    found = False
    while time.monotonic() - started < 1.0 and not found:
        body = client.get("/search?q=花呗逾期").get_json()
        found = article.id in [r["id"] for r in body["results"]]
    assert found, "a published article must be found within one second of its commit"


def test_another_worker_sees_the_change_within_a_second(app, db):
    agent, lead, _admin = people(db)
    # A second worker of the same node: own SearchIndex object on the same directory, own poll.
    other_index = SearchIndex(app.config["INDEX_DIR"])
    other = SearchEngine(other_index, IndexSync(other_index, get_engine(app), load_documents, iter_documents))
    assert search_articles(db, other, "退款到账时间", actor_roles={"agent"}).total == 0
    # This commit is applied by nobody right away (as if its worker died after committing).
    changes.unregister(get_engine(app))
    published(db, agent, lead, "退款到账时间说明")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if search_articles(db, other, "退款到账时间", actor_roles={"agent"}).total == 1:
            break
        time.sleep(0.05)
    assert search_articles(db, other, "退款到账时间", actor_roles={"agent"}).total == 1


def test_archived_article_disappears(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "优惠券无法使用")
    assert _titles(app, db, "优惠券") == ["优惠券无法使用"]
    lifecycle.archive_article(db, lead, article.id)
    db.commit()
    assert _titles(app, db, "优惠券") == []
    assert _titles(app, db, "优惠券", roles=("lead",), include_unpublished=True) == []


def test_drafts_and_reviews_are_hidden_from_agents_but_not_from_leads(app, db):
    agent, lead, _admin = people(db)
    make_article(db, agent, title="发票开具草稿", status="draft")
    make_article(db, agent, title="发票开具审核中", status="in_review")
    published(db, agent, lead, "发票开具流程")
    assert _titles(app, db, "发票开具") == ["发票开具流程"]
    # An agent asking for unpublished articles still gets published ones only.
    assert _titles(app, db, "发票开具", include_unpublished=True) == ["发票开具流程"]
    assert sorted(_titles(app, db, "发票开具", roles=("lead",), include_unpublished=True)) == [
        "发票开具审核中",
        "发票开具流程",
        "发票开具草稿",
    ]
    assert _titles(app, db, "发票开具", roles=("qa",), include_unpublished=True) == ["发票开具流程"]


def test_a_change_writes_one_row_per_article_and_rollback_writes_none(app, db):
    agent, _lead, _admin = people(db)
    article = make_article(db, agent, title="修改收货地址")
    before = len(change_rows(db))
    changes.article_changed(db, article.id)
    changes.article_changed(db, article.id)
    db.rollback()
    assert len(change_rows(db)) == before
    changes.article_changed(db, article.id)
    changes.article_changed(db, article.id)
    db.commit()
    assert len(change_rows(db)) == before + 1


def test_crash_between_commit_and_index_write_loses_nothing(
    app, db, monkeypatch, caplog, database_url, tmp_path
):
    agent, lead, _admin = people(db)

    def disk_full(self, docs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SearchIndex, "upsert", disk_full)
    article = published(db, agent, lead, "物流停滞不更新")  # the commit must succeed anyway
    assert "search index update failed" in caplog.text
    db.expire_all()
    assert revisions.get_article(db, article.id).status == "published"
    assert article.id not in indexed_ids(app)
    assert [aid for _cid, aid in engine(app).sync.pending()] == [article.id]

    # The process dies here. On the next start the pending change is replayed.
    monkeypatch.undo()
    get_engine(app).dispose()
    restarted = create_app({**app.config, "SECRET_KEY": app.config["SECRET_KEY"]})
    try:
        eng = get_search_engine(restarted)
        assert eng.sync.pending() == []
        with Session(get_engine(restarted)) as session:
            assert [h.id for h in search_articles(session, eng, "物流停滞", actor_roles={"agent"}).hits] == [
                article.id
            ]
            assert eng.sync.check(session).clean
    finally:
        get_engine(restarted).dispose()


def test_failed_index_write_is_retried_before_the_next_search(app, db, monkeypatch):
    agent, lead, _admin = people(db)

    def busy(self, *, timeout=60.0):
        raise SyncBusy("held by a rebuild")

    monkeypatch.setattr(IndexSync, "catch_up", busy)
    published(db, agent, lead, "账号被冻结如何解冻")
    monkeypatch.undo()
    eng = engine(app)
    eng.sync._polled_at = 0.0
    assert _titles(app, db, "账号冻结") == ["账号被冻结如何解冻"]


def test_late_commit_with_a_lower_id_is_applied(app, db):
    """PostgreSQL sequences can commit out of order: id 5 may become visible after id 6 was applied."""
    agent, lead, _admin = people(db)
    first = published(db, agent, lead, "积分兑换规则")
    second = published(db, agent, lead, "积分过期时间")
    changes.unregister(get_engine(app))
    eng = engine(app)
    newest = change_rows(db)[-1].id
    # Remove the first article from the index behind the cursor's back, then let a "late" change with
    # an id below the newest applied one commit.
    eng.index.delete([first.id])
    db.add(SearchChange(id=newest + 5, article_id=second.id))
    db.commit()
    eng.sync.catch_up()
    db.add(SearchChange(id=newest + 2, article_id=first.id))
    db.commit()
    eng.sync._polled_at = 0.0
    assert eng.sync.catch_up_if_due(db) == 1
    assert first.id in indexed_ids(app)
    cursor = eng.sync.read_cursor()
    assert cursor.is_applied(newest + 2) and cursor.is_applied(newest + 5)


def test_a_change_committed_while_changes_are_applied_is_applied_too(app, db):
    """catch_up reads the queue once; what another worker commits meanwhile is found by the check after it."""
    agent, lead, _admin = people(db)
    first = published(db, agent, lead, "发票抬头填错怎么办")
    changes.unregister(get_engine(app))
    later = published(db, agent, lead, "发票重开需要几天")  # committed, not applied yet
    eng = engine(app)
    eng.index.delete([first.id, later.id])
    db.add(SearchChange(article_id=first.id))
    db.commit()
    real_load = eng.sync.load_docs
    committed = []

    def load_and_commit_another(session, ids):
        docs = real_load(session, ids)
        if not committed:  # another worker's commit lands while this batch is being applied
            with Session(get_engine(app)) as other:
                other.add(SearchChange(article_id=later.id))
                other.commit()
            committed.append(True)
        return docs

    eng.sync.load_docs = load_and_commit_another
    try:
        applied = eng.sync.catch_up()
    finally:
        eng.sync.load_docs = real_load
    assert committed and applied == 3  # later's own change, first's, and the one committed meanwhile
    assert {first.id, later.id} <= indexed_ids(app)
    assert eng.sync.pending() == []


def test_cursor_keeps_a_bounded_window():
    cursor = Cursor()
    cursor.add(range(1, LOOKBACK + 51))
    assert cursor.floor == 50
    assert len(cursor.applied) == LOOKBACK
    assert cursor.is_applied(1) and cursor.is_applied(LOOKBACK + 50) and not cursor.is_applied(LOOKBACK + 51)
    assert Cursor.from_json(cursor.to_json()) == cursor


def test_damaged_cursor_replays_everything(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "快递丢件理赔")
    eng = engine(app)
    eng.sync.cursor_path.write_text("{not json", encoding="utf-8")
    eng.index.delete([article.id])
    eng.sync.catch_up()
    assert article.id in indexed_ids(app)


def test_node_without_an_index_builds_it_at_start(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "会员自动续费取消")
    eng = engine(app)
    eng.sync.cursor_path.unlink()
    eng.index.rebuild([])
    eng.sync.start()
    assert indexed_ids(app) == {article.id}


def test_deleted_article_leaves_the_index(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "旧版App下载地址")
    eng = engine(app)
    eng.sync.load_docs = lambda session, ids: dict.fromkeys(ids)  # as if the row were gone
    changes.article_changed(db, article.id)
    db.commit()
    assert article.id not in indexed_ids(app)


@pytest.mark.parametrize("statuses", [("published",)])
def test_rebuild_marks_earlier_changes_applied(app, db, statuses):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "退货运费谁出")
    eng = engine(app)
    n = eng.sync.rebuild()
    assert n == 1
    assert eng.sync.pending() == []
    assert eng.sync.check().clean


def test_bulk_changes_are_applied_by_a_rebuild(app, db, monkeypatch):
    agent, lead, _admin = people(db)
    articles = [published(db, agent, lead, f"批量导入文章{i}") for i in range(4)]
    eng = engine(app)
    eng.index.rebuild([])
    eng.sync._write_cursor(Cursor())  # forget everything: every change row is pending again
    monkeypatch.setattr(sync_module, "REBUILD_ABOVE", 2)
    rebuilt = []
    original = IndexSync._rebuild_locked
    monkeypatch.setattr(IndexSync, "_rebuild_locked", lambda self, p: rebuilt.append(1) or original(self, p))
    changes.articles_changed(db, [a.id for a in articles])
    db.commit()
    assert rebuilt == [1]
    assert indexed_ids(app) == {a.id for a in articles}
    assert eng.sync.pending() == []


def test_an_index_of_an_older_schema_is_rebuilt_from_the_database_at_start(app, db):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "电子发票下载 invoice download")
    index_dir = engine(app).index.index_dir
    (index_dir / "schema-version").write_text("1\n", encoding="ascii")  # as written by an older release
    # The next worker to start finds it, starts the index afresh and builds it from the database.
    fresh = SearchIndex(index_dir)
    assert fresh.recreated
    assert fresh.doc_count() == 0
    assert (index_dir / "portal-write.lock").exists()  # lock files other processes may hold stay
    IndexSync(fresh, get_engine(app), load_documents, iter_documents).start()
    assert [h.id for h in fresh.search("发票下载").hits] == [article.id]
    assert not SearchIndex(index_dir).recreated  # once is enough
