"""The ranking data stored beside each segment: later processes load it, and a bad copy is never trusted."""

import errno
import logging

import numpy as np
import pytest

import search_index.lexical.snapshot as snapshot_module
from search_index.lexical import segment_store
from search_index.lexical.index import SearchIndex
from search_index.lexical.ranker import FieldPostings
from search_index.lexical.segment_store import load_segment_file, save_segment

ARTICLES = [
    {"id": 1, "title": "花呗怎么还款", "solution": "打开支付宝，进入花呗，点击立即还款。", "status": "published",
     "category": "花呗", "tags": ["还款"]},
    {"id": 2, "title": "借呗提前还款有手续费吗", "solution": "借呗提前还款不收手续费。", "status": "published",
     "category": "借呗", "tags": ["还款"]},
    {"id": 3, "title": "Reset a forgotten password", "solution": "Use the Forgot password link.",
     "status": "published", "category": "Account"},
    {"id": "KB-9", "title": "花呗额度怎么提升", "solution": "保持良好的还款记录。", "status": "draft"},
]  # fmt: skip

QUERIES = ["花呗还款", "借呗手续费", "password reset", "额度", "花贝还钱"]


def answers(ix, **filters):
    """What a user sees of each query: ids, scores, and the did-you-mean suggestion."""
    out = []
    for q in QUERIES:
        res = ix.search(q, limit=10, statuses=None, **filters)
        out.append(([h.id for h in res.hits], [round(h.score, 5) for h in res.hits], res.suggestion))
    return out


def live_segments(index_dir):
    return {p.name.split(".")[0] for p in index_dir.glob("*.seg")}


def stored_files(index_dir):
    return {p.name.split(".")[0] for p in index_dir.glob(f"*{segment_store.SUFFIX}")}


@pytest.fixture(autouse=True)
def store_small_segments(monkeypatch):
    """The articles here make segments of a few documents: store them as the large ones are."""
    monkeypatch.setattr(segment_store, "STORE_MIN_DOCS", 1)


@pytest.fixture
def index_dir(tmp_path):
    path = tmp_path / "index"
    writer = SearchIndex(path)
    writer.upsert(ARTICLES[:2])
    writer.upsert(ARTICLES[2:])  # two segments
    writer.close()
    return path


def test_a_later_process_loads_the_stored_data_instead_of_reading_the_segments(index_dir, monkeypatch):
    first = SearchIndex(index_dir)
    expected = answers(first)
    assert expected[0][0][:2] == [1, 2] and expected[2][0] == [3]
    assert stored_files(index_dir) == live_segments(index_dir) and len(live_segments(index_dir)) == 2

    def no_segment_reads(*_args, **_kwargs):
        raise AssertionError("a stored segment was read from Whoosh again")

    monkeypatch.setattr(snapshot_module, "segment_postings", no_segment_reads)
    later = SearchIndex(index_dir)
    assert answers(later) == expected
    # The id mapping and the filters come from the stored data too.
    assert [h.id for h in later.search("还款", statuses=None, category="借呗").hits] == [2]
    assert [h.id for h in later.search("额度", statuses=["draft"]).hits] == ["KB-9"]


def test_whoosh_removes_the_stored_data_with_the_segment(index_dir):
    ix = SearchIndex(index_dir)
    answers(ix)
    before = stored_files(index_dir)
    ix.rebuild(ARTICLES)  # one new segment replaces both
    assert live_segments(index_dir).isdisjoint(before)
    # The rebuild stored the new segment's data itself, and the retired segments' files are gone.
    assert stored_files(index_dir) == live_segments(index_dir)
    assert not list(index_dir.glob("*.tmp"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b"not a zip file"),
        lambda path: path.write_bytes(path.read_bytes()[:200]),  # cut short
        lambda path: path.write_bytes(b""),
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_a_damaged_file_is_ignored_and_rewritten(index_dir, damage, caplog):
    expected = answers(SearchIndex(index_dir))
    for path in index_dir.glob(f"*{segment_store.SUFFIX}"):
        damage(path)
    with caplog.at_level(logging.WARNING, logger="search_index.lexical.segment_store"):
        assert answers(SearchIndex(index_dir)) == expected
    assert "ignoring the stored ranking data" in caplog.text
    for path in index_dir.glob(f"*{segment_store.SUFFIX}"):
        assert load_segment_file(path, *_shape(index_dir, path)) is not None


def _shape(index_dir, path):
    """(ndocs, fieldnames) a stored file must match, as the snapshot asks."""
    with np.load(path) as stored:
        ndocs = int(stored["meta"][1])
    return ndocs, (*snapshot_module.RANKED_FIELDS, "id")


def test_a_file_with_other_fields_or_another_format_is_not_trusted(tmp_path):
    fields = {"title": _postings({"花呗": [0, 1], "还款": [1]}, ndocs=2)}
    path = tmp_path / f"MAIN_x{segment_store.SUFFIX}"
    assert save_segment(path, 2, fields, {"花呗": 2})
    assert load_segment_file(path, 2, ("title",)) is not None
    assert load_segment_file(path, 2, ("title", "solution")) is None  # fields were added since
    assert load_segment_file(path, 3, ("title",)) is None  # another segment's document count
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["meta"] = arrays["meta"].copy()
    arrays["meta"][0] = segment_store.FORMAT + 1
    with path.open("wb") as fh:
        np.savez(fh, **arrays)
    assert load_segment_file(path, 2, ("title",)) is None
    assert load_segment_file(tmp_path / "missing.ranking.npz", 2, ("title",)) is None


def test_every_term_and_array_survives_the_round_trip(tmp_path):
    vocab = {"花呗": [0, 2], "x y": [1], "é": [2], "password": [0, 1, 2], "１２３": [1]}
    fields = {"title": _postings(vocab, ndocs=3), "notes": _postings({}, ndocs=3)}
    spell = {"花呗": 2, "password": 3}
    path = tmp_path / f"MAIN_y{segment_store.SUFFIX}"
    assert save_segment(path, 3, fields, spell)
    loaded_fields, loaded_spell = load_segment_file(path, 3, ("notes", "title"))
    assert loaded_spell == spell
    for name, fp in fields.items():
        got = loaded_fields[name]
        assert got.vocab == fp.vocab
        for attr in ("ptr", "docs", "tfs", "doclen"):
            assert getattr(got, attr).dtype == getattr(fp, attr).dtype
            assert np.array_equal(getattr(got, attr), getattr(fp, attr))
        for term in fp.vocab:
            assert [a.tolist() for a in got.postings(term)] == [a.tolist() for a in fp.postings(term)]


def test_a_term_holding_the_separator_is_kept_in_memory_only(tmp_path):
    path = tmp_path / f"MAIN_z{segment_store.SUFFIX}"
    assert not save_segment(path, 1, {"title": _postings({"a\x00b": [0]}, ndocs=1)}, {})
    assert not path.exists()


def test_a_failed_write_leaves_nothing_behind_and_searches_still_answer(index_dir, monkeypatch, caplog):
    expected = answers(SearchIndex(index_dir))
    for path in index_dir.glob(f"*{segment_store.SUFFIX}"):
        path.unlink()

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(segment_store.os, "replace", disk_full)
    with caplog.at_level(logging.WARNING, logger="search_index.lexical.segment_store"):
        assert answers(SearchIndex(index_dir)) == expected
    assert "could not store the ranking data" in caplog.text
    assert not stored_files(index_dir)
    assert not list(index_dir.glob("*.tmp"))


def _postings(vocab: dict[str, list[int]], ndocs: int) -> FieldPostings:
    docs = [d for ds in vocab.values() for d in ds]
    ptr = np.cumsum([0, *(len(ds) for ds in vocab.values())]).astype(np.int64)
    return FieldPostings(
        vocab={t: i for i, t in enumerate(vocab)},
        ptr=ptr,
        docs=np.asarray(docs, dtype=np.int32),
        tfs=np.ones(len(docs), dtype=np.float16),
        doclen=np.bincount(np.asarray(docs, dtype=np.int64), minlength=ndocs).astype(np.float32),
    )


def test_small_segments_are_read_from_whoosh_and_not_stored(index_dir, monkeypatch):
    monkeypatch.setattr(segment_store, "STORE_MIN_DOCS", 3)  # the fixture's segments hold 2 and 2 documents
    ix = SearchIndex(index_dir)
    assert answers(ix)[0][0][:2] == [1, 2]
    assert not stored_files(index_dir)
    ix.rebuild(ARTICLES)  # one segment of 4: large enough
    assert stored_files(index_dir) == live_segments(index_dir)
