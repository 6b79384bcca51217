import sqlite3

from sqlmodel import Session, select

from portal import create_app
from portal.db import get_engine
from portal.models import ApiToken, User, UserRole


def test_create_user_prints_password_once_and_sets_roles(runner, db):
    result = runner.invoke(args=["create-user", "qa1", "--role", "qa", "--role", "lead"])
    assert result.exit_code == 0, result.output
    assert "Password (shown once):" in result.output
    user = db.exec(select(User).where(User.username == "qa1")).one()
    assert set(db.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all()) == {"qa", "lead"}


def test_create_user_password_stdin(runner, db):
    result = runner.invoke(
        args=["create-user", "a1", "--role", "agent", "--password-stdin"], input="s3cret-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output


def test_create_user_bad_role_and_short_password(runner, db):
    assert runner.invoke(args=["create-user", "x", "--role", "king"]).exit_code != 0
    result = runner.invoke(args=["create-user", "x", "--role", "agent", "--password-stdin"], input="short\n")
    assert result.exit_code != 0
    assert "at least 8" in result.output
    assert db.exec(select(User).where(User.username == "x")).first() is None


def test_create_token_prints_usable_token(app, runner, db):
    runner.invoke(args=["create-user", "bot", "--role", "agent"])
    result = runner.invoke(args=["create-token", "bot"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("pt_")
    assert db.exec(select(ApiToken)).one().token_hash != token
    assert runner.invoke(args=["create-token", "nobody"]).exit_code != 0


def test_init_demo_creates_one_user_per_role(tmp_path, empty_database_url):
    app = create_app(
        {
            "DATABASE_URL": empty_database_url,
            "INSTANCE_DIR": str(tmp_path / "i2"),
            "TESTING": True,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    with Session(get_engine(app)) as db:
        for name in ("agent", "lead", "qa", "admin"):
            assert db.exec(select(User).where(User.username == name)).first() is not None
            assert name in result.output
    again = runner.invoke(args=["init", "--demo"])
    assert again.exit_code == 0
    assert "already exist" in again.output
    get_engine(app).dispose()


def test_backup_writes_consistent_copy(app, runner, db, tmp_path):
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        result = runner.invoke(args=["backup", str(tmp_path / "b.dump")])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "b.dump").stat().st_size > 0
        return
    runner.invoke(args=["create-user", "keep", "--role", "agent"])
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    rows = sqlite3.connect(target).execute("SELECT username FROM users").fetchall()
    assert rows == [("keep",)]
    assert runner.invoke(args=["backup", str(target)]).exit_code != 0
