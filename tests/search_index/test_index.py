"""SearchIndex: writes, filters, snippets, did-you-mean, bad input, and several processes at once."""

import datetime as dt
import multiprocessing as mp
import time

import pytest

from search_index.lexical.documents import compute_content_hash
from search_index.lexical.index import SearchIndex

ARTICLES = [
    {
        "id": 1,
        "external_id": "KB-1",
        "title": "花呗怎么还款",
        "scenario": "客户询问花呗账单如何还款",
        "solution": "打开支付宝，进入花呗，点击<script>alert('x')</script>立即还款。",
        "category": "花呗",
        "tags": ["还款", "FAQ"],
        "status": "published",
        "audience": "public",
        "updated_at": dt.datetime(2024, 5, 1, 12, 0),
    },
    {
        "id": 2,
        "external_id": "KB-2",
        "title": "借呗提前还款有手续费吗",
        "solution": "借呗提前还款不收手续费。",
        "category": "借呗",
        "tags": ["还款"],
        "status": "published",
        "audience": "internal",
    },
    {
        "id": 3,
        "title": "花呗额度怎么提升",
        "solution": "保持良好的使用和还款记录。",
        "category": "花呗",
        "tags": ["额度"],
        "status": "draft",
    },
    {
        "id": 4,
        "title": "How do I delete my account?",
        "solution": "Open Settings and choose Delete account. Deleting cannot be undone.",
        "category": "Account",
        "tags": ["account"],
        "status": "in_review",
    },
    {
        "id": 5,
        "title": "Reset a forgotten password",
        "solution": "Use the Forgot password link on the login page.",
        "category": "Account",
        "status": "published",
    },
]


@pytest.fixture
def ix(tmp_path):
    index = SearchIndex(tmp_path / "index")
    index.upsert(ARTICLES)
    return index


def ids(res):
    return [h.id for h in res.hits]


def test_upsert_and_search_returns_hit_fields(ix):
    res = ix.search("花呗还款")
    assert ids(res)[0] == 1
    hit = res.hits[0]
    assert hit.external_id == "KB-1"
    assert hit.title == "花呗怎么还款"
    assert hit.category == "花呗"
    assert hit.tags == ["还款", "FAQ"]
    assert hit.score > 0
    assert hit.updated_at == dt.datetime(2024, 5, 1, 12, 0)
    assert ix.doc_count() == 5


def test_title_outranks_body(tmp_path):
    index = SearchIndex(tmp_path / "ix")
    index.upsert(
        [
            {"id": 1, "title": "运费说明", "solution": "退货时运费险如何理赔请看这里", "status": "published"},
            {"id": 2, "title": "运费险如何理赔", "solution": "说明", "status": "published"},
        ]
    )
    assert ids(index.search("运费险理赔")) == [2, 1]


def test_a_title_that_paraphrases_the_whole_query_outranks_one_that_only_contains_its_words(tmp_path):
    index = SearchIndex(tmp_path / "ix")
    index.upsert(
        [
            # Contains the query's words, and much more: a more specific question (BM25 prefers it).
            {"id": 1, "title": "借呗提前还款后还能再借吗，额度会降低吗", "status": "published"},
            # A paraphrase of the query in other words and order.
            {"id": 2, "title": "怎样提前还借呗", "status": "published"},
        ]
    )
    assert ids(index.search("借呗怎么提前还款")) == [2, 1]


def test_split_or_misspelt_english_words_still_find_the_article(tmp_path):
    index = SearchIndex(tmp_path / "ix")
    index.upsert(
        [
            {"id": 1, "title": "Any way to contact a user on GitHub?", "status": "published"},
            {"id": 2, "title": "Add a collaborator to a Google Sheet", "status": "published"},
            {"id": 3, "title": "Contact form for a website", "status": "published"},
        ]
    )
    assert ids(index.search("message someone on git hub"))[0] == 1
    assert ids(index.search("colaborator"))[0] == 2


def test_a_parallel_rebuild_ranks_exactly_like_a_serial_one(tmp_path):
    docs = [
        {"id": i, "title": f"{topic}第{i}条", "solution": "处理步骤 steps", "status": "published"}
        for i, topic in enumerate(["花呗还款", "借呗提额", "退款到账", "账号冻结"] * 300, start=1)
    ]
    serial, parallel = SearchIndex(tmp_path / "serial"), SearchIndex(tmp_path / "parallel")
    assert serial.rebuild(docs) == parallel.rebuild(docs, procs=2) == 1200
    assert parallel.doc_count() == 1200
    assert len(parallel._snapshot().ranker.segments) == 2  # one segment per process, read as one index
    for query in ("花呗怎么还款", "退款多久到账", "steps", "账号被冻结了"):
        expected = serial.search(query, limit=200)
        got = parallel.search(query, limit=200)
        assert got.total == expected.total > 0
        # The same scores (articles with equal scores may come in another order: document numbers differ).
        assert [h.score for h in got.hits] == [h.score for h in expected.hits]


def test_upsert_replaces_and_delete_removes(ix):
    ix.upsert([{**ARTICLES[0], "title": "花呗还款方式变更", "solution": "新的还款方式"}])
    assert ix.doc_count() == 5
    res = ix.search("变更")
    assert ids(res) == [1]
    assert ix.get(1)["title"] == "花呗还款方式变更"
    assert ix.delete([1, 999]) == 1
    assert ix.search("变更").total == 0
    assert ix.get(1) is None
    assert ix.get(2)["title"] == "借呗提前还款有手续费吗"
    assert ix.doc_count() == 4
    assert 1 not in ix.all_doc_hashes()


def test_english_stemming_in_search(ix):
    res = ix.search("deleting accounts", statuses=None)
    assert ids(res)[0] == 4


def test_status_filter_agents_see_published_only(ix):
    assert 3 not in ids(ix.search("花呗额度"))
    assert 3 in ids(ix.search("花呗额度", statuses=("published", "in_review", "draft")))
    assert 4 not in ids(ix.search("delete account"))
    assert 4 in ids(ix.search("delete account", statuses=["in_review"]))
    assert 3 in ids(ix.search("花呗额度", statuses=None))


def test_category_tag_and_audience_filters(ix):
    assert ids(ix.search("还款", category="借呗")) == [2]
    assert set(ids(ix.search("还款", tag="还款"))) == {1, 2}
    assert ids(ix.search("还款", tag="ＦＡＱ")) == [1]  # tags match in normal form
    assert ids(ix.search("还款", audience="public")) == [1]
    assert ix.search("还款", category="不存在").total == 0


def test_pagination(tmp_path):
    index = SearchIndex(tmp_path / "ix")
    index.upsert([{"id": i, "title": f"退款问题 第{i}条", "status": "published"} for i in range(1, 26)])
    first = index.search("退款", limit=10, offset=0)
    second = index.search("退款", limit=10, offset=10)
    third = index.search("退款", limit=10, offset=20)
    assert first.total == second.total == third.total == 25
    assert len(first.hits) == 10 and len(second.hits) == 10 and len(third.hits) == 5
    seen = ids(first) + ids(second) + ids(third)
    assert sorted(seen) == list(range(1, 26))
    assert index.search("退款", offset=100).hits == []


def test_snippet_escapes_html_then_marks_terms(ix):
    hit = ix.search("立即还款").hits[0]
    assert hit.id == 1
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "<mark>立即还款</mark>" in hit.snippet_html
    assert "<mark>" in hit.title_html


def test_snippet_marks_stemmed_variants(ix):
    hit = ix.search("delete", statuses=None).hits[0]
    assert "<mark>Delete</mark>" in hit.snippet_html
    assert "<mark>Deleting</mark>" in hit.snippet_html


def test_did_you_mean(ix):
    res = ix.search("forgoten pasword")
    assert res.suggestion == "forgotten password"
    assert ix.search("forgotten password").suggestion is None


def test_did_you_mean_never_suggests_a_word_only_unpublished_work_contains(ix):
    """Agents search published articles only; "delete" and "account" occur only in an article in review, so a
    correction must not reveal them to an agent, while a lead searching every status gets it."""
    assert ix.search("delette acount").suggestion is None
    assert ix.search("delette acount", statuses=None).suggestion == "delete account"
    assert ix.search("delette pasword").suggestion == "delette password"  # corrected from published text
    # A real word of an unpublished article is not "corrected" into a visible one ("提升" only in a draft).
    assert ix.search("额渡怎么提升").suggestion is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        None,
        "x" * 10_000,
        "花呗" * 5_000,
        "title:(",
        'unmatched "quote',
        "AND OR NOT (",
        "*?~^",
        "？？！！……",
        "😀🎉🙈",
        "'; DROP TABLE articles; --",
        "<script>alert(1)</script>",
        "\x00\x01\u200b",
    ],
)
def test_bad_queries_return_normally(ix, query):
    res = ix.search(query)
    assert res.total >= 0
    assert len(res.hits) <= 10
    for hit in res.hits:
        assert "<script>" not in hit.snippet_html


def test_bad_paging_arguments(ix):
    res = ix.search("还款", limit=-5, offset=-3)
    assert res.hits == [] and res.total >= 1
    assert len(ix.search("还款", limit="3").hits) <= 3


def test_empty_index(tmp_path):
    index = SearchIndex(tmp_path / "empty")
    assert index.search("花呗").total == 0
    assert index.doc_count() == 0
    assert index.all_doc_hashes() == {}


def test_content_hashes(ix):
    hashes = ix.all_doc_hashes()
    assert set(hashes) == {1, 2, 3, 4, 5}
    assert hashes[1] == compute_content_hash(ARTICLES[0])
    changed = {**ARTICLES[0], "title": "别的标题"}
    assert compute_content_hash(changed) != hashes[1]
    # touching the timestamp is no drift
    assert compute_content_hash({**ARTICLES[0], "updated_at": dt.datetime(2030, 1, 1)}) == hashes[1]


def test_rebuild_replaces_everything(ix):
    seen = []
    n = ix.rebuild(
        ({"id": i, "title": f"新文章{i}", "status": "published"} for i in range(10, 13)), progress=seen.append
    )
    assert n == 3
    assert seen[-1] == 3
    assert set(ix.all_doc_hashes()) == {10, 11, 12}
    assert ix.search("花呗").total == 0


def test_rebuild_failure_keeps_old_index(ix):
    def broken():
        yield {"id": 100, "title": "一半", "status": "published"}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        ix.rebuild(broken())
    assert ix.doc_count() == 5


def test_document_without_id_is_rejected(ix):
    with pytest.raises(ValueError):
        ix.upsert([{"title": "no id"}])


def _writer(index_dir, start, count, barrier):
    index = SearchIndex(index_dir)
    barrier.wait()
    for i in range(start, start + count):
        index.upsert([{"id": i, "title": f"并发写入 文章{i}", "status": "published"}])


def test_two_processes_writing_at_once(tmp_path):
    index_dir = tmp_path / "shared"
    SearchIndex(index_dir)  # create it first, like `portal init`
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(index_dir, start, 15, barrier)) for start in (1, 101)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    reader = SearchIndex(index_dir)
    assert reader.doc_count() == 30
    assert set(reader.all_doc_hashes()) == set(range(1, 16)) | set(range(101, 116))


def _write_one(index_dir):
    SearchIndex(index_dir).upsert([{"id": 42, "title": "跨进程可见的新文章", "status": "published"}])


def test_write_in_other_process_visible_within_one_second(tmp_path):
    index_dir = tmp_path / "shared"
    reader = SearchIndex(index_dir)
    assert reader.search("跨进程").total == 0
    ctx = mp.get_context("fork")
    p = ctx.Process(target=_write_one, args=(index_dir,))
    p.start()
    p.join(60)
    assert p.exitcode == 0
    committed = time.monotonic()
    deadline = committed + 1.0
    found = False
    while time.monotonic() < deadline:
        if reader.search("跨进程").total == 1:
            found = True
            break
        time.sleep(0.02)
    assert found, "a committed write must be visible to another process within one second"


def test_traditional_full_width_and_mixed_queries_find_simplified_articles(ix):
    assert ids(ix.search("花唄還款"))[0] == 1
    assert ids(ix.search("ＲＥＳＥＴ ＰＡＳＳＷＯＲＤ"))[0] == 5
    assert ids(ix.search("忘记了 password 怎么 reset"))[0] == 5


def test_analyze_exposes_terms_for_the_search_log(ix):
    aq = ix.analyze("请问花呗怎么还款")
    assert "花呗" in aq.words and "还款" in aq.words
    assert "请问" not in aq.words
    assert ix.analyze("？？").empty


def test_an_index_written_before_the_analyzers_moved_still_opens(tmp_path, monkeypatch):
    """Whoosh pickles the analyzers by module path into the index; an index written when they lived in
    search_index.analyzer must open after an upgrade, with its documents, and no rebuild."""
    import sys

    from search_index.lexical import analyzer

    monkeypatch.setattr(analyzer._FunctionTokenizer, "__module__", "search_index.analyzer")
    monkeypatch.setitem(sys.modules, "search_index.analyzer", analyzer)
    old = SearchIndex(tmp_path)
    old.upsert([{"id": 1, "title": "花呗怎么还款", "status": "published"}])
    old.close()
    assert b"search_index.analyzer" in next(tmp_path.glob("_MAIN_*.toc")).read_bytes()

    monkeypatch.undo()
    sys.modules.pop("search_index.analyzer", None)  # a fresh process after the upgrade
    upgraded = SearchIndex(tmp_path)
    assert not upgraded.recreated
    assert [h.id for h in upgraded.search("花呗还款").hits] == [1]
