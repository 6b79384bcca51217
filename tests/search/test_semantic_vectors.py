"""Semantic search with the real `use` model: paraphrases, vectors following the articles, lazy vectors."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import select

from articles import lifecycle
from search_index import search_articles
from search_index.models import SearchVector
from tests.factories import make_article
from tests.search.helpers import engine, people, published

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def app_overrides():
    return {"SEMANTIC": "use"}


def _rows(db) -> dict[int, SearchVector]:
    db.expire_all()
    return {row.article_id: row for row in db.exec(select(SearchVector)).all()}


def _ids(app, db, query, roles=("agent",), **kwargs):
    return [h.id for h in search_articles(db, engine(app), query, actor_roles=roles, **kwargs).hits]


def _corpus(db):
    agent, lead, admin = people(db)
    articles = {
        "refund": published(
            db, agent, lead, "如何为客户办理退款", scenario="客户要求退钱", solution="在订单页点退款"
        ),
        "password": published(
            db, agent, lead, "忘记密码后怎样重置", scenario="用户无法登录", solution="发送重置链接"
        ),
        "delivery": published(
            db, agent, lead, "快递迟迟没有送到", scenario="包裹物流停滞", solution="联系物流公司催件"
        ),
        "invoice": published(
            db, agent, lead, "开具电子发票的步骤", scenario="客户需要发票", solution="在发票页申请"
        ),
    }
    return agent, lead, admin, articles


def test_model_is_active(app):
    status = engine(app).vectors.status()
    assert status["state"] == "active" and status["model"] == "use-m3"


def test_paraphrase_without_shared_words_is_found(app, db):
    _agent, _lead, _admin, articles = _corpus(db)
    # No word of this query occurs in the refund article: only the semantic side can find it.
    ids = _ids(app, db, "顾客想把钱拿回来")
    assert ids and ids[0] == articles["refund"].id
    ids = _ids(app, db, "package has not arrived yet")
    assert articles["delivery"].id in ids[:2]


def test_vectors_follow_publish_edit_and_archive(app, db):
    agent, lead, _admin, articles = _corpus(db)
    art = articles["password"]
    rows = _rows(db)
    assert set(rows) == {a.id for a in articles.values()}
    assert rows[art.id].model == "use-m3" and rows[art.id].dim == 512 and len(rows[art.id].vector) == 1024
    vectors = engine(app).vectors
    assert art.id in vectors.matrix
    before = rows[art.id].content_hash

    lifecycle.archive_article(db, lead, art.id)
    db.commit()
    assert art.id not in _rows(db)
    assert art.id not in vectors.matrix
    assert art.id not in _ids(app, db, "忘记密码后怎样重置")

    draft = make_article(db, agent, title="会员积分如何兑换礼品")
    assert draft.id in _rows(db) and draft.id in vectors.matrix
    # Agents never get the draft through the semantic side either.
    assert draft.id not in _ids(app, db, "积分换礼物")
    assert draft.id in _ids(app, db, "积分换礼物", roles=("lead",), include_unpublished=True)
    assert before  # the archived article's hash existed


def test_unchanged_text_is_not_re_embedded(app, db):
    _agent, _lead, _admin, articles = _corpus(db)
    vectors = engine(app).vectors
    calls = []
    real = vectors.embedder.embed_texts

    def counting(texts):
        calls.append(len(texts))
        return real(texts)

    vectors.embedder.embed_texts = counting
    try:
        vectors.apply([a.id for a in articles.values()])
    finally:
        del vectors.embedder.embed_texts
    assert calls == []


def test_missing_vectors_are_computed_lazily(app, db):
    _agent, _lead, _admin, articles = _corpus(db)
    art = articles["invoice"]
    db.exec(SearchVector.__table__.delete())
    db.commit()
    vectors = engine(app).vectors
    vectors.load()  # as a fresh worker would: nothing stored
    assert len(vectors.matrix) == 0
    # Searching still works (lexically) and schedules the hits without vectors.
    assert art.id in _ids(app, db, "电子发票")
    assert art.id in vectors.pending
    vectors.drain()
    assert art.id in vectors.matrix and art.id in _rows(db)


def test_other_workers_read_stored_vectors(app, db):
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    other = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False)
    other.load()
    assert set(other.matrix.ids) == {a.id for a in articles.values()}
    author, lead = _person(db, "agent1"), _person(db, "lead1")
    new = published(db, author, lead, "修改收货地址的方法")
    assert other.catch_up() == 1 and new.id in other.matrix


def test_a_worker_loads_stored_vectors_and_skips_damaged_rows(app, db):
    import numpy as np

    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    rows = _rows(db)
    damaged = rows[articles["invoice"].id]
    damaged.vector = damaged.vector[:-2]  # a truncated row (or another model's length)
    db.add(damaged)
    db.commit()
    other = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False)
    assert other.load() == 3
    assert set(other.matrix.ids) == {articles[k].id for k in ("refund", "password", "delivery")}
    # Loaded rows are the stored ones, scaled to unit length.
    refund = other.matrix.get(articles["refund"].id)
    stored = np.frombuffer(rows[articles["refund"].id].vector, dtype="<f2").astype(np.float32)
    assert np.linalg.norm(refund) == pytest.approx(1.0, abs=1e-3)
    assert float(refund @ (stored / np.linalg.norm(stored))) == pytest.approx(1.0, abs=1e-3)
    # The damaged one is embedded again when the worker catches up, and found by meaning.
    other.apply([articles["invoice"].id])
    assert articles["invoice"].id in other.matrix


def test_catch_up_before_a_search_only_reads_the_database(app, db):
    """The catch-up before a search runs inside a request that may already hold the database's write
    lock (SQLite: one writer): writing vectors from there through a second connection would wait for that
    same request.  It reads the stored rows and leaves embedding and writing to the background."""
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    agent, lead, _admin, articles = _corpus(db)
    other = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False)
    other.load()
    stored = published(db, agent, lead, "修改收货地址的方法")
    unstored = published(db, agent, lead, "会员积分如何兑换礼品")
    lifecycle.archive_article(db, lead, articles["refund"].id)
    db.commit()
    # As if the worker that committed ``unstored`` died before embedding it.
    db.exec(SearchVector.__table__.delete().where(SearchVector.article_id == unstored.id))
    db.commit()
    writes, embeds = [], []
    real_embed = other.embedder.embed_texts

    def watch(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(get_engine(app), "before_cursor_execute", watch)
    other.embedder.embed_texts = lambda texts: (embeds.append(texts), real_embed(texts))[1]
    try:
        other._polled_at = 0.0
        other.catch_up_if_due()
        event.remove(get_engine(app), "before_cursor_execute", watch)
        assert writes == [] and embeds == []
        assert stored.id in other.matrix  # read from the row its author's worker stored
        assert articles["refund"].id not in other.matrix
        assert unstored.id not in other.matrix and unstored.id in other.pending
        other.drain()  # the background thread's work
        assert unstored.id in other.matrix and unstored.id in _rows(db)
        assert len(embeds) == 1
    finally:
        del other.embedder.embed_texts
        if event.contains(get_engine(app), "before_cursor_execute", watch):
            event.remove(get_engine(app), "before_cursor_execute", watch)


def test_start_up_finds_the_articles_without_a_vector_from_the_database(app, db):
    from articles.search.runtime import vector_candidates
    from portal.db import get_engine

    agent, lead, _admin, articles = _corpus(db)
    draft = make_article(db, agent, title="会员积分如何兑换礼品")
    lifecycle.archive_article(db, lead, articles["refund"].id)
    db.commit()
    wanted = set(vector_candidates(get_engine(app)))
    assert draft.id in wanted and articles["password"].id in wanted
    assert articles["refund"].id not in wanted


def _person(db, username):
    from portal.models import User

    return db.exec(select(User).where(User.username == username)).one()


def test_reindex_and_check_index_cover_vectors(app, db, runner):
    _agent, _lead, _admin, articles = _corpus(db)
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0, result.output
    assert "Vectors OK: 4" in result.output
    db.exec(SearchVector.__table__.delete())
    db.commit()
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 1 and "vectors missing: 4" in result.output
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Computed 4 article vector(s)" in result.output
    assert set(_rows(db)) == {a.id for a in articles.values()}


def test_filters_apply_to_the_semantic_side(app, db):
    from tests.factories import make_category

    agent, lead, _admin = people(db)
    billing, other = make_category(db, "账单"), make_category(db, "物流")
    refund = published(db, agent, lead, "如何为客户办理退款", scenario="客户要求退钱", category=billing)
    # The paraphrase shares no word with the article: only the semantic side finds it ...
    assert _ids(app, db, "顾客想把钱拿回来", category="账单")[:1] == [refund.id]
    # ... and never outside the chosen category, status or tag.
    assert refund.id not in _ids(app, db, "顾客想把钱拿回来", category="物流")
    assert refund.id not in _ids(app, db, "顾客想把钱拿回来", tag="不存在")
    assert other.id  # the other category exists and is empty


def test_a_search_during_the_start_up_load_does_not_wait_for_it(app, db):
    """While the start-up thread loads the stored vectors (holding the store's lock), a search's hits
    without a vector are not scheduled: the search would wait for the whole load, and start-up schedules
    every missing vector itself once loaded."""
    import threading

    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    unstored = articles["invoice"].id
    db.exec(SearchVector.__table__.delete().where(SearchVector.article_id == unstored))
    db.commit()
    store = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False)
    ids = [a.id for a in articles.values()]
    loading, done = threading.Event(), threading.Event()

    def start_up_load():
        with store._lock:  # what the start-up thread holds while it reads 69,000 rows
            loading.set()
            done.wait(10)

    holder = threading.Thread(target=start_up_load)
    holder.start()
    assert loading.wait(10)
    asked = threading.Thread(target=store.note_missing, args=(ids,))
    asked.start()
    asked.join(2)
    finished_while_loading = not asked.is_alive()
    done.set()
    holder.join(10)
    asked.join(10)
    assert finished_while_loading and store.pending == set()
    store.load()
    store.note_missing(ids)  # once loaded, a hit without a vector is scheduled again
    assert store.pending == {unstored}


def test_a_worker_loads_the_model_in_the_background(app, db):
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    store = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False, eager=False)
    assert not store.enabled and store.status()["state"] == "loading"
    store.start_in_background(lambda: [a.id for a in articles.values()]).join(60)
    assert store.enabled and set(store.matrix.ids) == {a.id for a in articles.values()}
    assert store.matrix.memoised_densities() == {}  # nothing asked for densities: none were computed
    assert store.matrix._coarse is not None  # fitted by the loading thread, not by the first search


def test_start_up_computes_the_neighbour_densities_when_asked(app, db):
    """A worker serving the learned fusion computes every density at start-up, so its first searches
    do not pay for their candidates' densities."""
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    store = VectorStore(get_engine(app), load_documents, iter_documents, "use", background=False, eager=False)
    store.start_in_background(lambda: [a.id for a in articles.values()], warm_densities=True).join(60)
    ids = {a.id for a in articles.values()}
    assert set(store.matrix.memoised_densities()) == ids
    fresh = store.matrix.densities(ids)  # the memo answers, and it matches a fresh matrix
    rebuilt = type(store.matrix).from_arrays(list(ids), [store.matrix.get(i) for i in ids]).densities(ids)
    assert fresh == pytest.approx(rebuilt, abs=2e-3)


def test_a_restarted_worker_reuses_the_stored_densities(app, db, tmp_path, caplog):
    """After a restart the densities come from the index folder's file, not from computing them again
    (edits in between: tests/search_index/test_density_store.py)."""
    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.semantic.density_store import density_file
    from search_index.semantic.vectors import VectorStore

    _agent, _lead, _admin, articles = _corpus(db)
    ids = {a.id for a in articles.values()}

    def start() -> VectorStore:
        store = VectorStore(
            get_engine(app), load_documents, iter_documents, "use", background=False, eager=False
        )
        store.start_in_background(lambda: list(ids), warm_densities=True, density_dir=tmp_path).join(60)
        return store

    with caplog.at_level("INFO", logger="search_index.semantic"):
        first = start()
    assert density_file(tmp_path, first.model_name).exists()
    assert f"densities of {len(ids)} article(s) computed, 0 reused" in caplog.text
    caplog.clear()
    with caplog.at_level("INFO", logger="search_index.semantic"):
        second = start()
    assert f"densities of 0 article(s) computed, {len(ids)} reused" in caplog.text
    assert second.matrix.densities(ids) == pytest.approx(first.matrix.densities(ids), abs=1e-6)


def test_a_meaningless_query_still_finds_nothing(app, db):
    _corpus(db)
    assert _ids(app, db, "asdfgh qwerty") == []
    assert _ids(app, db, "哈哈哈哈") == []


def test_e5_floors_differ_for_chinese_and_other_queries(app):
    """e5's cosines are compressed: nonsense reaches 0.89 in Chinese, answers in English sit near 0.87."""
    import math

    import numpy as np

    from articles.search.runtime import iter_documents, load_documents
    from portal.db import get_engine
    from search_index.ranking.fusion import min_cosine
    from search_index.semantic.matrix import VectorMatrix
    from search_index.semantic.vectors import VectorStore

    class FakeE5:
        name, dim = "e5-small-q4", 2

        def embed_texts(self, texts):
            return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))

        def embed_query(self, text):
            return np.array([1.0, 0.0], dtype=np.float32)

    store = VectorStore(
        get_engine(app), load_documents, iter_documents, "e5", loader=lambda _n: FakeE5(), background=False
    )
    store.matrix = VectorMatrix(2)
    for article_id, cosine in ((1, 0.95), (2, 0.88), (3, 0.80)):
        store.matrix.set(article_id, [cosine, math.sqrt(1 - cosine**2)])
    assert [i for i, _c in store.queries.search("花呗怎么还款", 10)] == [1]
    assert [i for i, _c in store.queries.search("how do I repay", 10)] == [1, 2]
    assert min_cosine("use-m3", "你好") == min_cosine("use-m3", "hello") == 0.35
    assert min_cosine("some-new-model", "你好") == 0.0  # no measured floor: nothing is cut
