"""`portal reindex`, `portal check-index` and `portal search`."""

from __future__ import annotations

import json

from tests.search.helpers import engine, indexed_ids, people, published


def test_reindex_rebuilds_from_the_database_with_progress(app, db, runner):
    agent, lead, _admin = people(db)
    articles = [published(db, agent, lead, f"退款申请第{i}步") for i in range(3)]
    engine(app).index.rebuild([])  # the index is lost
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 article(s)" in result.output
    assert indexed_ids(app) == {a.id for a in articles}


def test_reindex_in_parallel_processes_indexes_every_article_once(app, db, runner):
    agent, lead, _admin = people(db)
    articles = [published(db, agent, lead, f"发票开具问题{i}") for i in range(5)]
    engine(app).index.rebuild([])
    result = runner.invoke(args=["reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 article(s)" in result.output
    assert indexed_ids(app) == {a.id for a in articles}
    assert engine(app).index.search("发票开具", limit=20).total == 5
    assert runner.invoke(args=["check-index"]).exit_code == 0
    assert runner.invoke(args=["reindex", "--procs", "0"]).exit_code == 2  # a clear usage error


def test_check_index_is_clean_then_reports_drift_and_exits_1(app, db, runner):
    agent, lead, _admin = people(db)
    a1 = published(db, agent, lead, "修改绑定手机号")
    a2 = published(db, agent, lead, "注销账号流程")
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0, result.output
    assert "Index OK: 2" in result.output

    index = engine(app).index
    index.delete([a1.id])  # missing
    stored = index.get(a2.id)
    index.upsert([{"id": a2.id, "title": "改过的标题", "status": "published"}])  # stale
    index.upsert([{"id": 987654, "title": "数据库里没有", "status": "published"}])  # extra
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 1
    assert f"missing: 1 ({a1.id})" in result.output
    assert f"stale: 1 ({a2.id})" in result.output
    assert "extra: 1 (987654)" in result.output
    assert stored is not None

    assert runner.invoke(args=["reindex"]).exit_code == 0
    result = runner.invoke(args=["check-index"])
    assert result.exit_code == 0, result.output


def test_search_json_single_query(app, db, runner):
    agent, lead, _admin = people(db)
    article = published(db, agent, lead, "花呗怎么还款", external_id="KB-1")
    result = runner.invoke(args=["search", "花呗还款", "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip())
    assert line["query"] == "花呗还款"
    assert line["results"][0]["id"] == article.id
    assert line["results"][0]["external_id"] == "KB-1"
    assert line["results"][0]["title"] == "花呗怎么还款"
    assert isinstance(line["results"][0]["score"], float)


def test_search_batch_writes_one_json_line_per_query(app, db, runner, tmp_path):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "花呗怎么还款")
    make_draft = __import__("tests.factories", fromlist=["make_article"]).make_article
    make_draft(db, agent, title="花呗草稿不可见")
    queries = tmp_path / "queries.txt"
    queries.write_text('花呗\n\ntitle:(\n"unmatched\n😀\n' + "长" * 10_000 + "\n", encoding="utf-8")
    result = runner.invoke(args=["search", "--batch", str(queries), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [x["query"][:5] for x in lines] == ["花呗", "", "title", '"unma', "😀", "长长长长长"]
    assert [r["title"] for r in lines[0]["results"]] == ["花呗怎么还款"]


def test_search_needs_a_query_or_a_batch(runner):
    assert runner.invoke(args=["search"]).exit_code == 2


def test_search_plain_output(app, db, runner):
    agent, lead, _admin = people(db)
    published(db, agent, lead, "快递丢件怎么理赔")
    result = runner.invoke(args=["search", "快递理赔"])
    assert result.exit_code == 0
    assert "快递丢件怎么理赔" in result.output
    assert "No results" in runner.invoke(args=["search", "量子纠缠"]).output
