"""Fixtures shared by every test: a fresh database and index per test, on SQLite or PostgreSQL.

``PORTAL_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://user@127.0.0.1:5433/postgres``) switches the
suite to PostgreSQL: each test gets its own database cloned from a template that holds the schema.
"""

from __future__ import annotations

import os
import secrets
import uuid

import pytest
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from portal import create_app
from portal.db import get_engine

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every form post, as a browser with our page would.
    Pass ``csrf=False`` to send the form exactly as given (for CSRF rejection tests)."""

    def _csrf_token(self) -> str:
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = secrets.token_hex(20)
                sess["csrf_token"] = raw
        return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, **kwargs):
        add_csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if add_csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and not kwargs.get("json"):
            path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
            if not str(path).startswith("/api/"):
                if data is None:
                    data = {}
                if isinstance(data, dict) and "csrf_token" not in data:
                    data = {**data, "csrf_token": self._csrf_token()}
                kwargs["data"] = data
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _pg_template():
    """Create, once per test process, a template database holding the full schema."""
    if not PG_URL:
        yield None
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_tmpl_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name)
    # Importing create_app imported every model, so the metadata is complete.
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path, _pg_template):
    """A URL of a brand-new database with the schema, dropped after the test."""
    if not PG_URL:
        url = f"sqlite:///{tmp_path / 'portal.db'}"
        engine = create_engine(url)
        SQLModel.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_database_url(tmp_path):
    """A URL of a database with no tables at all (for migration and `portal init` tests)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_e_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change configuration before the app is built."""
    return {}


@pytest.fixture
def app(tmp_path, database_url, app_overrides):
    overrides = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": secrets.token_hex(32),
        # Fast hashing keeps the suite quick; production uses scrypt (see config.py).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SEMANTIC": "off",
        **app_overrides,
    }
    app = create_app(overrides)
    app.test_client_class = CsrfClient
    yield app
    get_engine(app).dispose()


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session on the test database for arranging data and checking results; commit to make data visible."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def login(client):
    """``login(user)`` makes ``client`` act as ``user`` (without going through the password form)."""

    # Session protection is "strong": the session must carry the identifier of this client.
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()

    def _login(user, target=None):
        target = target or client
        with target.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
            sess["_id"] = identifier
        return target

    return _login


@pytest.fixture
def api(app, db):
    """``api(user)`` returns a helper that calls the JSON API with a fresh Bearer token of ``user``."""
    from tests.factories import make_token

    class ApiClient:
        def __init__(self, token: str):
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token}"}

        def __getattr__(self, method):
            def call(path, **kwargs):
                headers = {**self.headers, **kwargs.pop("headers", {})}
                return getattr(self.client, method)(f"/api/v1{path}", headers=headers, **kwargs)

            return call

    def _api(user):
        return ApiClient(make_token(db, user))

    return _api
