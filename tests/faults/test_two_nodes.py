"""Two app nodes (separate gunicorn servers, separate index folders) on one shared database — PostgreSQL
in the CI's second pass, SQLite otherwise: an article approved through node A is findable through node B
within 2 seconds, and drawing one sampling plan on both nodes at once gives one sample, not two."""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import func, select

from qa.models import SampleItem
from tests.factories import make_token, make_user
from tests.factories.articles import make_article
from tests.factories.qa import BASE_TIME, make_interaction

PORTAL = str(Path(sys.executable).with_name("portal"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(port, method, path, token, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else None)


@contextmanager
def _node(app, database_url, tmp_path, name):
    port = _free_port()
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=str(tmp_path / name),
        PORTAL_INDEX_DIR=str(tmp_path / name / "index"),
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    log = (tmp_path / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [PORTAL, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()
            assert time.monotonic() < deadline, "node did not start"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_two_nodes_share_changes_and_one_sample(app, db, database_url, tmp_path):
    author = make_user(db, "author", ("agent",))
    lead = make_user(db, "lead1", ("lead",))
    qa = make_user(db, "qa1", ("qa",))
    agent_token, lead_token, qa_token = (make_token(db, u) for u in (author, lead, qa))
    article = make_article(db, author, title="快递显示已签收但没收到", status="in_review")
    for n in range(8):
        make_interaction(db, author, channel="chat" if n % 2 else "phone", commit=False)
    db.commit()

    with _node(app, database_url, tmp_path, "a") as port_a, _node(app, database_url, tmp_path, "b") as port_b:
        status, _ = _call(port_b, "GET", "/api/v1/search?q=%E5%BF%AB%E9%80%92%E7%AD%BE%E6%94%B6", agent_token)
        assert status == 200
        status, body = _call(
            port_a, "POST", f"/api/v1/articles/{article.id}/approve", lead_token, {"version": article.version}
        )
        assert status == 200, body
        approved_at = time.monotonic()
        found_after = None
        while time.monotonic() - approved_at < 10:
            status, body = _call(
                port_b, "GET", "/api/v1/search?q=%E5%BF%AB%E9%80%92%E7%AD%BE%E6%94%B6", agent_token
            )
            if status == 200 and any(r["id"] == article.id for r in body["results"]):
                found_after = time.monotonic() - approved_at
                break
            time.sleep(0.1)
        assert found_after is not None and found_after < 2.0, found_after

        plan_body = {
            "name": "both nodes",
            "from": BASE_TIME.date().isoformat(),
            "to": BASE_TIME.date().isoformat(),
            "quota_per_agent": 3,
            "graders": ["qa1"],
            "seed": 11,
        }
        status, created = _call(port_a, "POST", "/api/v1/qa/sampling-plans", qa_token, plan_body)
        assert status == 201, created
        results = {}
        barrier = threading.Barrier(2)

        def draw(port):
            barrier.wait(timeout=30)
            results[port] = _call(port, "POST", f"/api/v1/qa/sampling-plans/{created['id']}/draw", qa_token)

        threads = [threading.Thread(target=draw, args=(p,)) for p in (port_a, port_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(status for status, _body in results.values()) == [200, 409]

    db.expire_all()
    assert db.exec(select(func.count()).select_from(SampleItem)).one() == 3
