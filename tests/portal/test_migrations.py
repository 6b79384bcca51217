"""Migrations create the same schema as the models, upgrade in place, and `portal init` uses them."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from portal import migrate


def test_upgrade_empty_database_matches_models(app, empty_database_url):
    engine = create_engine(empty_database_url)
    migrate.upgrade(engine)
    assert migrate.current_heads(engine) == migrate.script_heads()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
    engine.dispose()


def test_upgrade_from_previous_revision_of_each_branch(app, empty_database_url):
    """A database at the revision before each head upgrades in place without losing rows."""
    engine = create_engine(empty_database_url)
    script = ScriptDirectory.from_config(migrate.alembic_config())
    migrate.upgrade(engine)
    for head in script.get_heads():
        rev = script.get_revision(head)
        if rev.down_revision is None:
            continue
        cfg = migrate.alembic_config()
        from alembic import command

        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, f"{head}-1")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (username, display_name, password_hash, auth_version, is_active, created_at) "
                "VALUES ('keep', '', 'x', 1, true, CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(engine)
    assert migrate.current_heads(engine) == migrate.script_heads()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalar_one() == "keep"
    engine.dispose()


def test_upgrade_is_idempotent(app, empty_database_url):
    engine = create_engine(empty_database_url)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert "users" in inspect(engine).get_table_names()
    engine.dispose()


def test_upgrade_masks_personal_data_already_in_the_search_log(app, empty_database_url):
    """Rows logged before queries were masked (search_0002) are masked by the upgrade; clean rows stay as
    they are."""
    engine = create_engine(empty_database_url)
    migrate.upgrade(engine, "search_0002")
    insert = text(
        "INSERT INTO search_log (query, query_norm, source, result_count, created_at) "
        "VALUES (:q, :n, 'page', 1, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as conn:
        conn.execute(insert, {"q": "客户13812345678还款失败", "n": "客户13812345678还款失败"})
        conn.execute(insert, {"q": "花呗怎么还款", "n": "花呗怎么还款"})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT query, query_norm FROM search_log ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("客户138****5678还款失败", "客户138****5678还款失败"),
        ("花呗怎么还款", "花呗怎么还款"),
    ]
    engine.dispose()


def test_upgrade_binds_existing_tokens_to_their_users_credentials(app, empty_database_url):
    """Tokens made before portal_0003 keep working, except those whose owner is disabled now or changed
    password (or was disabled) after the token was made: under the new rule those are already dead."""
    from sqlmodel import Session

    from portal.accounts import hash_token, user_for_token

    engine = create_engine(empty_database_url)
    migrate.upgrade(engine, "portal_0002")
    users = text(
        "INSERT INTO users (id, username, display_name, password_hash, auth_version, is_active, created_at) "
        "VALUES (:id, :name, '', 'x', 3, :active, '2026-11-01 08:00:00.000000')"
    )
    tokens = text(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) "
        "VALUES (:user, :name, :hash, 'pt_xxxxxxx', :at)"
    )
    audit = text(
        "INSERT INTO audit_log (at, action, object_type, object_id) "
        "VALUES ('2026-11-10 08:00:00.000000', :action, 'user', :user)"
    )
    with engine.begin() as conn:
        conn.execute(
            users,
            [
                {"id": 1, "name": "steady", "active": True},
                {"id": 2, "name": "changed", "active": True},
                {"id": 3, "name": "gone", "active": False},
                {"id": 4, "name": "back", "active": True},
            ],
        )
        at_old, at_new = "2026-11-05 08:00:00.000000", "2026-11-12 08:00:00.000000"
        conn.execute(
            tokens,
            [
                {"user": 1, "name": "steady", "hash": hash_token("t-steady"), "at": at_old},
                {"user": 2, "name": "before", "hash": hash_token("t-before"), "at": at_old},
                {"user": 2, "name": "after", "hash": hash_token("t-after"), "at": at_new},
                {"user": 3, "name": "gone", "hash": hash_token("t-gone"), "at": at_old},
                {"user": 4, "name": "back", "hash": hash_token("t-back"), "at": at_old},
            ],
        )
        conn.execute(
            audit,
            [
                {"action": "user.password", "user": "2"},
                {"action": "user.disable", "user": "4"},
                {"action": "user.enable", "user": "4"},
                {"action": "user.password", "user": "1"},  # user 1's only token was made... before this:
            ],
        )
        # ...so make user 1's token younger than its password change: it must survive.
        conn.execute(text("UPDATE api_tokens SET created_at = :at WHERE user_id = 1"), {"at": at_new})
    migrate.upgrade(engine)
    assert migrate.current_heads(engine) == migrate.script_heads()
    with Session(engine) as session:
        alive = {
            t for t in ("t-steady", "t-before", "t-after", "t-gone", "t-back") if user_for_token(session, t)
        }
    assert alive == {"t-steady", "t-after"}
    engine.dispose()
