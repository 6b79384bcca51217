"""Import/export of JSON lines: good lines land, bad lines are reported by number, upsert, --publish rules."""

from __future__ import annotations

import json

from sqlmodel import func, select

from articles.categories import seed_default_categories
from articles.importing import import_articles
from articles.models import Article, ArticleRevision, Category, TicketLink
from articles.search_documents import iter_search_documents, search_document
from portal.models import AuditLog
from tests.factories import make_user


def _line(**kw):
    return json.dumps(kw, ensure_ascii=False)


def _count(db, model):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


GOOD_AND_BAD = [
    _line(
        external_id="faq-1",
        title="花呗怎么还款",
        solution="在支付宝 App 中还款",
        category="咨询 › 产品功能咨询",
        tags=["花呗"],
        tickets=["20240312-A001"],
    ),
    "{not json",
    _line(external_id="faq-2", title=""),
    "",
    _line(external_id="faq-3", title="ok", tickets=["20241399-A001"]),
    _line(external_id="faq-1", title="重复"),
    json.dumps(["a", "list"]),
    _line(external_id="faq-4", title="物流问题", category="物流异常"),
    _line(external_id="faq-5", title="x" * 201),
    _line(external_id="faq-6", title="新分类", category="花呗借呗"),
    _line(external_id="faq-7", title="三级", category="a › b › c"),
    _line(title="无外部 ID", tags="a,b"),
]


def test_good_lines_land_and_bad_lines_are_reported_by_number(db):
    seed_default_categories(db)
    db.commit()
    report = import_articles(db, GOOD_AND_BAD, actor=None, publish=False)
    db.commit()
    assert report.created == 4
    assert [n for n, _ in report.errors] == [2, 3, 5, 6, 7, 9, 11]
    reasons = dict(report.errors)
    assert "JSON" in reasons[2] and "title" in reasons[3] and "real date" in reasons[5]
    assert "line 1" in reasons[6] and "two levels" in reasons[11]
    assert report.categories_created == ["花呗借呗"]
    assert _count(db, Article) == 4 and _count(db, ArticleRevision) == 4
    doc = search_document(db, db.exec(select(Article).where(Article.external_id == "faq-1")).one().id)
    assert doc["category"] == "咨询 › 产品功能咨询" and doc["tags"] == ["花呗"] and doc["status"] == "draft"
    doc4 = search_document(db, db.exec(select(Article).where(Article.external_id == "faq-4")).one().id)
    assert doc4["category"] == "问题/故障 › 物流异常"  # a bare sub-category name is found
    assert _count(db, TicketLink) == 1
    audits = db.exec(select(AuditLog).where(AuditLog.action == "article.import")).all()
    assert len(audits) == 1 and '"created": 4' in audits[0].details


def test_upsert_by_external_id_and_unchanged_lines(db):
    report = import_articles(
        db, [_line(external_id="a", title="标题", solution="一")], actor=None, publish=True
    )
    db.commit()
    assert report.created == 1
    again = import_articles(
        db, [_line(external_id="a", title="标题", solution="一")], actor=None, publish=True
    )
    db.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    changed = import_articles(
        db, [_line(external_id="a", title="标题", solution="二")], actor=None, publish=True
    )
    db.commit()
    assert changed.updated == 1
    article = db.exec(select(Article).where(Article.external_id == "a")).one()
    assert article.status == "published"
    assert db.get(ArticleRevision, article.live_revision_id).solution == "二"
    # Without --publish an update of a live article becomes a pending draft; the live text stays.
    import_articles(db, [_line(external_id="a", title="标题", solution="三")], actor=None, publish=False)
    db.commit()
    db.expire_all()
    article = db.get(Article, article.id)
    assert db.get(ArticleRevision, article.live_revision_id).solution == "二"
    assert db.get(ArticleRevision, article.current_revision_id).solution == "三"
    assert _count(db, Article) == 1


def test_publish_requires_an_admin_and_strict_categories_reject(db):
    agent = make_user(db, "agent_x", ("agent",))
    import pytest

    from articles.import_lines import ImportNotAllowed

    with pytest.raises(ImportNotAllowed):
        import_articles(db, [_line(title="x")], actor=agent, publish=True)
    report = import_articles(
        db, [_line(title="x", category="不存在")], actor=agent, publish=False, create_categories=False
    )
    assert report.created == 0 and "unknown category" in report.errors[0][1]
    assert _count(db, Category) == 0


def test_cli_import_exit_status_and_export_round_trip(app, runner, db, tmp_path):
    make_user(db, "boss", ("admin",))
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join([_line(external_id="e1", title="第一", solution="**粗体**", tags=["t"]), "{bad"]) + "\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-articles", str(src), "--publish", "--as", "boss"])
    assert result.exit_code == 1
    assert "line 2" in result.output and "1 created" in result.output
    out = tmp_path / "out.jsonl"
    result = runner.invoke(args=["export-articles", str(out)])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["external_id"] == "e1" and rows[0]["solution"] == "**粗体**" and rows[0]["tags"] == ["t"]
    src.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(args=["import-articles", str(src), "--publish", "--as", "boss"])
    assert result.exit_code == 0 and "1 unchanged" in result.output
    agent_only = runner.invoke(args=["import-articles", str(src), "--publish", "--as", "nobody"])
    assert agent_only.exit_code != 0


def test_iter_search_documents_covers_every_article_in_batches(db):
    lines = [_line(external_id=f"x{i}", title=f"问题 {i}") for i in range(25)]
    import_articles(db, lines, actor=None, publish=True)
    db.commit()
    docs = list(iter_search_documents(db, batch=10))
    assert len(docs) == 25 and len({d["id"] for d in docs}) == 25
    assert all(d["status"] == "published" and d["content_hash"] for d in docs)


def test_batch_search_documents_match_single_ones(db):
    from articles.search_documents import search_documents

    import_articles(
        db,
        [_line(external_id=f"b{i}", title=f"标题 {i}", tags=["t"]) for i in range(5)],
        actor=None,
        publish=True,
    )
    db.commit()
    ids = [a.id for a in db.exec(select(Article)).all()]
    batch = search_documents(db, [*ids, 99999])
    assert set(batch) == set(ids)
    assert all(batch[i] == search_document(db, i) for i in ids)


def test_export_of_articles_without_external_id_reimports_onto_them(db):
    from articles import content, editing
    from articles.exporting import export_lines

    agent = make_user(db, "writer", ("agent",))
    article = editing.create_article(db, agent, content.ArticleInput(title="无外部编号", solution="旧"))
    db.commit()
    line = json.loads(next(export_lines(db)))
    assert line["external_id"] == f"kb-{article.id}"
    line["solution"] = "新"
    report = import_articles(db, [json.dumps(line, ensure_ascii=False)], actor=None, publish=False)
    db.commit()
    assert (report.created, report.updated) == (0, 1)
    assert _count(db, Article) == 1


def test_cli_import_reports_every_bad_line_and_lands_the_good_ones(app, runner, db, tmp_path):
    """One line with an impossible ticket date or with bytes that are not UTF-8 must not abort the import."""
    make_user(db, "boss", ("admin",))
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b"\n".join(
            [
                _line(external_id="g1", title="第一").encode(),
                _line(external_id="b1", title="坏日期", tickets=["20241399-A001"]).encode(),
                b'{"external_id": "b2", "title": "\xff\xfe broken"}',
                _line(external_id="g2", title="第二").encode(),
            ]
        )
        + b"\n"
    )
    result = runner.invoke(args=["import-articles", str(src), "--as", "boss"])
    assert result.exit_code == 1, result.output
    assert "line 2: tickets: “20241399-A001”" in result.output  # said in the instance language
    assert "line 3" in result.output and "UTF-8" in result.output
    assert "2 created" in result.output
    db.expire_all()
    assert sorted(db.exec(select(Article.external_id)).all()) == ["g1", "g2"]


def test_import_as_an_agent_never_overwrites_another_users_pending_draft(db):
    """The API refuses this change with 403; the import must refuse the line the same way."""
    writer = make_user(db, "writer_a", ("agent",))
    other = make_user(db, "writer_b", ("agent",))
    import_articles(
        db, [_line(external_id="d1", title="草稿", solution="A 的文字")], actor=writer, publish=False
    )
    db.commit()
    report = import_articles(
        db, [_line(external_id="d1", title="草稿", solution="B 的文字")], actor=other, publish=False
    )
    db.commit()
    assert (report.created, report.updated) == (0, 0)
    assert [n for n, _ in report.errors] == [1] and "d1" in report.errors[0][1]
    db.expire_all()
    article = db.exec(select(Article).where(Article.external_id == "d1")).one()
    assert db.get(ArticleRevision, article.current_revision_id).solution == "A 的文字"
    # Its author may still update it.
    again = import_articles(
        db, [_line(external_id="d1", title="草稿", solution="A 改过")], actor=writer, publish=False
    )
    db.commit()
    assert again.updated == 1 and not again.errors
