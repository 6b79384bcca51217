"""Snapshots: what a new index generation reads again, and what it takes over from the segments it keeps."""

import search_index.snapshot as snapshot_module
from search_index.index import SearchIndex


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
    real_read = snapshot_module._read_matcher
    monkeypatch.setattr(snapshot_module, "_read_matcher", lambda m: reads.append(m) or real_read(m))
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
