"""kill -9 of the gunicorn worker in the middle of an approval request.

The approval is one transaction (article, revision, audit entry, notification and search change row) that
the request commits once; the index is written after the commit.  The test stops the worker at the two
places where a crash could leave something half done and kills it there:

- before the commit: the database's write lock is held by the test, so the worker waits at its first write;
  after the kill the article is untouched and the approval can simply be made again;
- after the commit, before the index write: the node's index sync lock is held by the test; after the kill
  the approval stands with its one audit entry, the worker the master starts in its place replays the change
  at start-up (the article is found), and ``portal check-index`` reports no drift.
"""

import contextlib
import fcntl
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from search_index.sync.catchup import CURSOR_FILE, LOCK_FILE
from tests.factories import make_token, make_user
from tests.factories.articles import make_article
from tests.serving import PORTAL, call, healthy, serve, wait, worker_pids

TITLE = "花呗账单分期后怎么提前还款"


def _env(app, database_url, tmp_path):
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=str(tmp_path / "node"),
        PORTAL_INDEX_DIR=str(tmp_path / "node" / "index"),
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    return env


def _node(env, tmp_path):
    """``portal serve`` with one worker, so the test knows which process serves the approval."""
    return serve(env, tmp_path / "node.log", workers=1)


def _approve_in_background(port, token, article):
    """Send the approval from a thread; ``outcome`` gets the status, or the error when the worker dies."""
    outcome: list = []

    def run():
        try:
            outcome.append(
                call(
                    port,
                    "POST",
                    f"/api/v1/articles/{article.id}/approve",
                    token,
                    {"version": article.version},
                )
            )
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _kill_worker(proc) -> int:
    (worker,) = worker_pids(proc.pid)
    os.kill(worker, signal.SIGKILL)
    return worker


def _wait_for_successor(port, proc, dead: int) -> None:
    """gunicorn's master starts a new worker in place of the killed one; wait until it answers."""
    wait(lambda: (pids := worker_pids(proc.pid)) and dead not in pids and healthy(port), "a new worker")


def _state(database_url, article_id):
    """Article status, its revisions' statuses, approval audit entries and search change ids, read afresh."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            status, version = conn.execute(
                text("SELECT status, version FROM kb_articles WHERE id = :id"), {"id": article_id}
            ).one()
            revisions = sorted(
                conn.execute(
                    text("SELECT status FROM kb_article_revisions WHERE article_id = :id"), {"id": article_id}
                ).scalars()
            )
            approvals = conn.execute(
                text("SELECT count(*) FROM audit_log WHERE action = 'article.approve' AND object_id = :id"),
                {"id": str(article_id)},
            ).scalar()
            changes = list(
                conn.execute(
                    text("SELECT id FROM search_changes WHERE article_id = :id"), {"id": article_id}
                ).scalars()
            )
    finally:
        engine.dispose()
    return {"status": status, "version": version, "revisions": revisions, "approvals": approvals}, changes


def _found(port, token, article_id) -> bool:
    status, body = call(port, "GET", f"/api/v1/search?q={quote(TITLE)}", token)
    return status == 200 and any(hit["id"] == article_id for hit in body["results"])


def _check_index(env):
    check = subprocess.run([PORTAL, "check-index"], env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "missing: 0" in check.stdout and "stale: 0" in check.stdout


def _people(db):
    author = make_user(db, "author", ("agent",))
    lead = make_user(db, "lead1", ("lead",))
    article = make_article(db, author, title=TITLE, status="in_review")
    return article, make_token(db, author), make_token(db, lead)


@contextmanager
def _database_write_lock(database_url, article_id):
    """Make the approval's first write wait: SQLite's one write lock, or the article's row on PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None, timeout=30)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield lambda: time.sleep(1.0)  # no way to watch a SQLite writer wait; it waits up to 30 s
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(database_url)
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text("SELECT id FROM kb_articles WHERE id = :id FOR UPDATE"), {"id": article_id})

        def blocked():
            with engine.connect() as watcher:
                return watcher.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar()

        try:
            yield lambda: wait(blocked, "the approval to wait for the article's row lock")
        finally:
            transaction.rollback()
    engine.dispose()


def test_worker_killed_before_the_approval_commits_leaves_the_article_untouched(
    app, db, database_url, tmp_path
):
    article, agent_token, lead_token = _people(db)
    env = _env(app, database_url, tmp_path)
    before, _changes = _state(database_url, article.id)
    with _node(env, tmp_path) as (port, proc):
        # The lead's first request records the token's use (a write); make it before the lock is taken.
        assert call(port, "GET", f"/api/v1/articles/{article.id}", lead_token)[0] == 200
        with _database_write_lock(database_url, article.id) as wait_until_blocked:
            thread, outcome = _approve_in_background(port, lead_token, article)
            wait_until_blocked()
            assert thread.is_alive()  # the approval cannot finish while the test holds the lock
            dead = _kill_worker(proc)
        _wait_for_successor(port, proc, dead)
        thread.join(timeout=60)
        assert outcome and isinstance(outcome[0], Exception)  # the client never got an answer

        after, _changes = _state(database_url, article.id)
        assert after == before and after["status"] == "in_review" and after["approvals"] == 0
        assert not _found(port, agent_token, article.id)

        # Nothing half-done stands in the way: the same approval (same version) succeeds on the new worker.
        status, body = call(
            port, "POST", f"/api/v1/articles/{article.id}/approve", lead_token, {"version": article.version}
        )
        assert status == 200, body
        wait(lambda: _found(port, agent_token, article.id), "the approved article in search")
    assert _state(database_url, article.id)[0]["approvals"] == 1
    _check_index(env)


def test_worker_killed_between_commit_and_index_write_is_replayed_on_restart(app, db, database_url, tmp_path):
    article, agent_token, lead_token = _people(db)
    env = _env(app, database_url, tmp_path)
    with _node(env, tmp_path) as (port, proc):
        assert not _found(port, agent_token, article.id)
        lock_path = Path(env["PORTAL_INDEX_DIR"]) / LOCK_FILE
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # Taken only now: the worker's start-up replay needs it too.  After its commit the worker waits
            # here (up to 5 s) to write the index.
            fcntl.flock(fd, fcntl.LOCK_EX)
            thread, outcome = _approve_in_background(port, lead_token, article)
            wait(lambda: _state(database_url, article.id)[0]["status"] == "published", "the commit", 30)
            assert thread.is_alive()  # committed, not answered: the worker is between commit and index
            dead = _kill_worker(proc)
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        _wait_for_successor(port, proc, dead)
        thread.join(timeout=60)
        assert outcome and isinstance(outcome[0], Exception)

        state, change_ids = _state(database_url, article.id)
        assert state["status"] == "published" and state["approvals"] == 1
        assert "published" in state["revisions"] and "in_review" not in state["revisions"]
        # The change row committed with the approval was replayed by the new worker at start-up (no search
        # has run since), so the article is found.
        cursor = json.loads((Path(env["PORTAL_INDEX_DIR"]) / CURSOR_FILE).read_text())
        assert all(cid <= cursor["floor"] or cid in cursor["applied"] for cid in change_ids)
        assert _found(port, agent_token, article.id)
        # A second approval of the same version is refused: the first one stands, once.
        status, _body = call(
            port, "POST", f"/api/v1/articles/{article.id}/approve", lead_token, {"version": article.version}
        )
        assert status == 409
    assert _state(database_url, article.id)[0]["approvals"] == 1
    _check_index(env)
