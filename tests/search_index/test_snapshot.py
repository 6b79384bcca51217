"""Snapshots: what a new index generation reads again, and what it takes over from the segments it keeps."""

import search_index.lexical.snapshot as snapshot_module
from search_index.lexical.index import SearchIndex


def article(i, status="published", category="花呗"):
    return {
        "id": i,
        "title": f"花呗还款问题 {i}",
        "solution": "立即还款",
        "status": status,
        "category": category,
    }


def test_a_new_generation_reads_filter_postings_of_its_new_segments_only(tmp_path, monkeypatch):
    ix = SearchIndex(tmp_path / "index")
    ix.upsert([article(i) for i in range(1, 41)])
    ix.upsert([article(i, category="借呗") for i in range(41, 61)])
    assert len(ix.search("花呗还款", limit=100).hits) == 60  # agents' filter: published only
    old_segments = {p.name.split(".")[0] for p in (tmp_path / "index").glob("*.seg")}

    reads = []
    real_read = snapshot_module.read_matcher
    monkeypatch.setattr(snapshot_module, "read_matcher", lambda m: reads.append(m) or real_read(m))
    ix.upsert([article(61, status="draft")])  # a saved draft: a new generation
    ix.delete([2])
    live = {p.name.split(".")[0] for p in (tmp_path / "index").glob("*.seg")}
    assert old_segments < live  # the draft went to a segment of its own

    published = ix.search("花呗还款", limit=100)
    assert sorted(h.id for h in published.hits) == [i for i in range(1, 61) if i != 2]
    # The old segments' published documents were kept, and the draft's segment has none: nothing read.
    assert reads == []
    drafts = ix.search("花呗还款", statuses=["draft"], limit=100)
    assert [h.id for h in drafts.hits] == [61]
    assert len(reads) == 1  # the draft's segment, the only one with a draft
    loans = ix.search("花呗还款", category="借呗", limit=100)
    assert sorted(h.id for h in loans.hits) == list(range(41, 61))


def leaf_readers(ix):
    return {r.segment().segment_id(): r for r, _offset in ix._snapshot().reader.leaf_readers()}


def test_a_new_generation_keeps_the_readers_of_unchanged_segments_only(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.upsert([article(i) for i in range(1, 41)])
    ix.upsert([article(i) for i in range(41, 61)])
    before = leaf_readers(ix)
    assert len(before) == 2

    ix.upsert([article(61, status="draft")])  # a new segment; the other two are untouched
    after_draft = leaf_readers(ix)
    assert len(after_draft) == 3
    kept = [segid for segid in before if after_draft.get(segid) is before[segid]]
    assert sorted(kept) == sorted(before)  # the same reader objects, not reopened

    # Replacing article 5 deletes its old copy inside the first segment: that segment keeps its id, but
    # its reader must not be reused, or the replaced copy would still count as live.
    ix.upsert([{**article(5, category="借呗"), "title": "借呗额度调整", "solution": "额度每月评估"}])
    after_edit = leaf_readers(ix)
    first = next(segid for segid, r in before.items() if r.doc_count_all() == 40)
    assert after_edit[first] is not before[first]
    assert after_edit[first].segment().deleted_count() == 1
    assert ix.doc_count() == 61
    hits = ix.search("花呗还款", limit=100).hits
    assert sorted(h.id for h in hits) == list(range(1, 61))  # one hit per article
    assert next(h.title for h in hits if h.id == 5) == "借呗额度调整"
    assert ix.search("借呗额度调整", limit=10).hits[0].id == 5
