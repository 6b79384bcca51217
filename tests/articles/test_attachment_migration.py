"""The upgrade that gives images to revisions (articles_0003): an image stored for an article before it is
given to the article's live revision and to its pending one, or to its only revision when nothing is live,
so that no page shows anything other than before."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlmodel import Session

from portal import migrate

_ARTICLE = text(
    "INSERT INTO kb_articles (id, status, version, live_revision_id, current_revision_id, created_at, "
    "updated_at) VALUES (:id, :status, 1, :live, :current, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
_REVISION = text(
    "INSERT INTO kb_article_revisions (id, article_id, number, title, scenario, solution, notes, audience, "
    "status, created_at, updated_at) VALUES (:id, :a, :n, 't', '', '', '', 'internal', :status, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
_ATTACHMENT = text(
    "INSERT INTO kb_attachments (id, article_id, filename, stored_name, content_type, size, sha256, "
    "created_at) VALUES (:id, :a, :name, :stored, 'image/png', 10, 'x', CURRENT_TIMESTAMP)"
)


def test_upgrade_gives_each_image_to_the_revisions_that_showed_it(app, empty_database_url):
    engine = create_engine(empty_database_url)
    for target in ("portal_0001", "search_0001", "articles_0002"):  # users first: PostgreSQL checks the keys
        migrate.upgrade(engine, target)
    with engine.begin() as conn:
        # 1: published, nothing pending; 2: published with a pending edit (rev 3); 3: a draft (rev 5 of 4, 5).
        conn.execute(
            _ARTICLE,
            [
                {"id": 1, "status": "published", "live": 1, "current": 1},
                {"id": 2, "status": "published", "live": 2, "current": 3},
                {"id": 3, "status": "draft", "live": None, "current": 5},
            ],
        )
        conn.execute(
            _REVISION,
            [
                {"id": 1, "a": 1, "n": 1, "status": "published"},
                {"id": 2, "a": 2, "n": 1, "status": "published"},
                {"id": 3, "a": 2, "n": 2, "status": "draft"},
                {"id": 4, "a": 3, "n": 1, "status": "superseded"},
                {"id": 5, "a": 3, "n": 2, "status": "draft"},
            ],
        )
        conn.execute(
            _ATTACHMENT,
            [
                {"id": 10, "a": 1, "name": "live.png", "stored": "a.png"},
                {"id": 11, "a": 2, "name": "both.png", "stored": "b.png"},
                {"id": 12, "a": 3, "name": "draft.png", "stored": "c.png"},
            ],
        )
    migrate.upgrade(engine)
    assert migrate.current_heads(engine) == migrate.script_heads()
    with engine.connect() as conn:
        links = conn.execute(
            text("SELECT attachment_id, revision_id FROM kb_revision_attachments ORDER BY 1, 2")
        ).all()
    assert [tuple(r) for r in links] == [(10, 1), (11, 2), (11, 3), (12, 5)]

    # The pages read them through the new table: the live revision of 2 and its pending edit show it.
    from articles.attachments import revision_attachments

    with Session(engine) as session:
        assert [a.filename for a in revision_attachments(session, 2)] == ["both.png"]
        assert [a.filename for a in revision_attachments(session, 3)] == ["both.png"]
        assert revision_attachments(session, 4) == []
    engine.dispose()


def test_downgrade_drops_the_links_and_keeps_the_images(app, empty_database_url):
    from alembic import command

    engine = create_engine(empty_database_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(_ARTICLE, {"id": 1, "status": "draft", "live": None, "current": 1})
        conn.execute(_REVISION, {"id": 1, "a": 1, "n": 1, "status": "draft"})
        conn.execute(_ATTACHMENT, {"id": 10, "a": 1, "name": "a.png", "stored": "a.png"})
        conn.execute(text("INSERT INTO kb_revision_attachments (revision_id, attachment_id) VALUES (1, 10)"))
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "articles_0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT filename FROM kb_attachments")).scalar_one() == "a.png"
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT revision_id FROM kb_revision_attachments")).scalar_one() == 1
    engine.dispose()
