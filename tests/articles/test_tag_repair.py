"""The upgrade that tidies tags stored with surrounding spaces by the old article form (" 退货" beside
"退货"): merged into the clean tag, each revision keeping one link, the articles queued for re-indexing."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from portal import migrate


def test_upgrade_merges_tags_stored_with_spaces_into_the_clean_tag(app, empty_database_url):
    engine = create_engine(empty_database_url)
    for target in ("portal_0001", "search_0001", "articles_0001"):
        migrate.upgrade(engine, target)
    with engine.begin() as conn:
        for aid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO kb_articles (id, status, version, created_at, updated_at) "
                    "VALUES (:id, 'published', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": aid},
            )
        for rid, aid, number in ((1, 1, 1), (2, 1, 2), (3, 2, 1)):
            conn.execute(
                text(
                    "INSERT INTO kb_article_revisions (id, article_id, number, title, scenario, solution, "
                    "notes, audience, status, created_at, updated_at) VALUES (:id, :a, :n, 't', '', '', '', "
                    "'internal', 'published', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": rid, "a": aid, "n": number},
            )
        # No explicit tag ids: the upgrade creates a tag, which must get a fresh id on PostgreSQL too.
        for name in ("退货", " 退货", "换货 ", "  ", " 运费"):
            conn.execute(
                text("INSERT INTO kb_tags (name, created_at) VALUES (:name, CURRENT_TIMESTAMP)"),
                {"name": name},
            )
        ids = dict(conn.execute(text("SELECT name, id FROM kb_tags")).all())
        for rid, name in (
            (1, "退货"),
            (1, " 退货"),
            (2, " 退货"),
            (2, "换货 "),
            (2, "  "),
            (2, " 运费"),
            (3, "退货"),
        ):
            conn.execute(
                text("INSERT INTO kb_revision_tags (revision_id, tag_id) VALUES (:r, :t)"),
                {"r": rid, "t": ids[name]},
            )
    migrate.upgrade(engine, "articles_0002")
    with engine.connect() as conn:
        names = sorted(conn.execute(text("SELECT name FROM kb_tags")).scalars())
        links = conn.execute(
            text(
                "SELECT l.revision_id, t.name FROM kb_revision_tags l JOIN kb_tags t ON t.id = l.tag_id "
                "ORDER BY l.revision_id, t.name"
            )
        ).all()
        queued = sorted(conn.execute(text("SELECT article_id FROM search_changes")).scalars())
    assert names == sorted(["退货", "换货", "运费"])
    assert [tuple(r) for r in links] == [
        (1, "退货"),
        *sorted([(2, "换货"), (2, "运费"), (2, "退货")]),
        (3, "退货"),
    ]
    assert queued == [1]  # article 2 only had the clean tag
    migrate.upgrade(engine, "articles_0002")  # nothing left to do the second time
    engine.dispose()
