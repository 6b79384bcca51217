"""Two app nodes (separate gunicorn servers, separate index folders) on one shared database — PostgreSQL
in the CI's second pass, SQLite otherwise: an article approved through node A is findable through node B
within 2 seconds, and drawing one sampling plan on both nodes at once gives one sample, not two."""

import os
import threading
import time
from contextlib import contextmanager

from sqlmodel import func, select

from qa.models import SampleItem
from tests.factories import make_token, make_user
from tests.factories.articles import make_article
from tests.factories.qa import BASE_TIME, make_interaction
from tests.serving import call, serve


@contextmanager
def _node(app, database_url, tmp_path, name):
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=str(tmp_path / name),
        PORTAL_INDEX_DIR=str(tmp_path / name / "index"),
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    with serve(env, tmp_path / f"{name}.log") as (port, _proc):
        yield port


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
        status, _ = call(port_b, "GET", "/api/v1/search?q=%E5%BF%AB%E9%80%92%E7%AD%BE%E6%94%B6", agent_token)
        assert status == 200
        status, body = call(
            port_a, "POST", f"/api/v1/articles/{article.id}/approve", lead_token, {"version": article.version}
        )
        assert status == 200, body
        approved_at = time.monotonic()
        found_after = None
        while time.monotonic() - approved_at < 10:
            status, body = call(
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
        status, created = call(port_a, "POST", "/api/v1/qa/sampling-plans", qa_token, plan_body)
        assert status == 201, created
        results = {}
        barrier = threading.Barrier(2)

        def draw(port):
            barrier.wait(timeout=30)
            results[port] = call(port, "POST", f"/api/v1/qa/sampling-plans/{created['id']}/draw", qa_token)

        threads = [threading.Thread(target=draw, args=(p,)) for p in (port_a, port_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(status for status, _body in results.values()) == [200, 409]

    db.expire_all()
    assert db.exec(select(func.count()).select_from(SampleItem)).one() == 3
