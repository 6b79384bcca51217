"""Two worker processes writing articles and searching at the same time on one node."""

from __future__ import annotations

import multiprocessing
import traceback

# First: the portal package imports every package in the order they need (a spawned child imports
# this module before anything else).
import portal  # noqa: F401
from articles.search.runtime import get_search_engine
from tests.search.helpers import people

PER_PROCESS = 8


def _worker(config: dict, tag: str, agent_id: int, lead_id: int, start, results) -> None:
    """Runs in a fresh process (spawn): its own app, engine, index objects and after-commit hook."""
    try:
        from portal import create_app
        from portal.db import session_scope

        app = create_app(config)
        from articles import content, editing, lifecycle
        from portal.models import User
        from search_index.service import search_articles

        with app.app_context():
            start.wait(60)
            for i in range(PER_PROCESS):
                with session_scope() as session:
                    agent, lead = session.get(User, agent_id), session.get(User, lead_id)
                    article = editing.create_article(
                        session,
                        agent,
                        content.ArticleInput(title=f"并发写入{tag}第{i}篇 工单同步", tags=[tag]),
                    )
                    lifecycle.submit_article(session, agent, article.id)
                    lifecycle.approve_article(session, lead, article.id)
                with session_scope() as session:
                    search_articles(session, get_search_engine(), "并发写入", actor_roles={"agent"})
        results.put((tag, "ok"))
    except BaseException:
        results.put((tag, traceback.format_exc()))


def test_two_processes_write_and_search_at_once(app, db):
    agent, lead, _admin = people(db)
    config = {
        key: app.config[key]
        for key in (
            "TESTING",
            "DATABASE_URL",
            "INSTANCE_DIR",
            "INDEX_DIR",
            "SECRET_KEY",
            "PASSWORD_HASH_METHOD",
        )
    }
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(config, tag, agent.id, lead.id, start, results))
        for tag in ("甲", "乙")
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(240)
    outcomes = {}
    while not results.empty() or len(outcomes) < len(procs):
        try:
            tag, outcome = results.get(timeout=5)
        except Exception:
            break
        outcomes[tag] = outcome
    assert outcomes == {"甲": "ok", "乙": "ok"}, outcomes

    engine = get_search_engine(app)
    engine.sync.catch_up()
    report = engine.sync.check(db)
    assert report.clean, report
    assert report.checked == 2 * PER_PROCESS
    engine.index.refresh(force=True)
    assert engine.index.search("并发写入", limit=100).total == 2 * PER_PROCESS
    assert engine.sync.pending() == []
