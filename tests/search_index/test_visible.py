"""SearchIndex.visible: rankings made outside the index (semantic side, similar articles) are filtered
exactly like a search, follow edits and deletions, and the per-segment caches never serve stale titles."""

import pytest

from search_index.lexical.index import SearchIndex


def article(i, title, status="published", category="账户", **extra):
    return {
        "id": i,
        "title": title,
        "status": status,
        "category": category,
        "solution": "按步骤操作。",
        **extra,
    }


@pytest.fixture
def ix(tmp_path):
    index = SearchIndex(tmp_path / "index", refresh_interval=0)
    index.upsert(
        [
            article(1, "花呗怎么还款"),
            article(2, "借呗提前还款有手续费吗", category="借呗"),
            article(3, "花呗额度怎么提升", status="draft"),
            article(4, "忘记登录密码怎么办"),
        ]
    )
    # A second segment: searches must read ids and titles across segments.
    index.upsert([article(5, "如何注销账户")])
    return index


def test_visible_keeps_order_and_applies_the_search_filters(ix):
    assert list(ix.visible([4, 3, 2, 1, 5]).docnums) == [4, 2, 1, 5]  # the draft is not visible to agents
    assert list(ix.visible([3, 1], statuses=("published", "draft")).docnums) == [3, 1]
    assert list(ix.visible([1, 2, 4], category="借呗").docnums) == [2]
    assert list(ix.visible([5, 4, 2, 1], want=2).docnums) == [5, 4]


def test_visible_ignores_unknown_ids_and_accepts_ids_as_text(ix):
    visible = ix.visible([99, "1", "abc", 5])
    assert list(visible.docnums) == ["1", 5]
    assert visible.stored("1")["title"] == "花呗怎么还款"
    assert visible.stored(5)["title"] == "如何注销账户"


def test_visible_follows_an_edit_and_a_deletion(ix):
    ix.upsert([article(1, "花呗账单如何分期")])  # the old copy stays in its segment, deleted
    ix.delete([4])
    visible = ix.visible([1, 4])
    assert list(visible.docnums) == [1]
    assert visible.stored(1)["title"] == "花呗账单如何分期"
    ix.upsert([article(2, "借呗提前还款有手续费吗", status="archived", category="借呗")])
    assert list(ix.visible([2, 1]).docnums) == [1]


def test_ranking_ids_and_title_reranking_follow_edits(ix):
    assert ix.search("花呗还款").hits[0].id == 1
    ix.upsert([article(1, "信用卡年费说明"), article(6, "花呗还款的方法")])
    hits = ix.search("花呗还款").hits
    # The edited article's old title (cached for the re-ranking) must not keep it on top.
    assert hits[0].id == 6
    assert all(h.title != "花呗怎么还款" for h in hits)


def test_hits_for_semantic_only_documents_use_the_ranking_generation(ix):
    ranking = ix.rank("注销", limit=10)
    assert [d[0] for d in ranking.docs] == [5]
    # A document the lexical side did not find (the semantic side's) gets its hit from the same generation.
    visible = ix.visible([4], ranking=ranking)
    hit = ix.hit(ranking, visible.docnums[4], 0.5)
    assert (hit.id, hit.title) == (4, "忘记登录密码怎么办")


def test_a_query_without_searchable_text_still_fuses_into_a_generation(ix):
    ranking = ix.rank("？！……", limit=10)
    assert ranking.docs == [] and ranking.snap is not None
    visible = ix.visible([1], ranking=ranking)
    assert ix.hit(ranking, visible.docnums[1], 0.9).title == "花呗怎么还款"


def test_visible_on_an_empty_index(tmp_path):
    index = SearchIndex(tmp_path / "empty")
    assert index.visible([1, 2]).docnums == {}
