"""The KCS dashboard: link rate, zero-result searches and QA knowledge gaps, each with a way to act."""

from __future__ import annotations

from datetime import timedelta

import pytest

from articles.feedback import link_ticket
from portal.config import DEFAULT_TICKET_ID_PATTERN
from portal.timeutil import utcnow
from qa.kcs.metrics import link_rate, reuse_share
from search_index.models import SearchLog
from tests.factories import make_article, make_evaluation, make_interaction


def test_link_rate_counts_only_tickets_with_conversations():
    assert link_rate({"A", "B", "C"}, {"A", "Z"}) == {"tickets": 3, "linked": 1, "rate": pytest.approx(1 / 3)}
    assert link_rate(set(), {"A"}) == {"tickets": 0, "linked": 0, "rate": None}
    assert reuse_share([{"reuse": 3, "creation": 1}, {"reuse": 0, "creation": 0}]) == 0.75
    assert reuse_share([]) is None


def test_dashboard_shows_the_figures_with_links_to_act(client, login, db, cast):
    recent = utcnow() - timedelta(days=1)
    day = f"{recent:%Y%m%d}"
    tickets = [f"{day}-K00{i}" for i in (1, 2, 3)]
    items = [
        make_interaction(db, cast.agent, ticket_id=t, started_at=recent + timedelta(minutes=i))
        for i, t in enumerate(tickets)
    ]
    article = make_article(
        db, cast.other_agent, title="电子发票开具步骤", status="published", reviewer=cast.lead
    )
    link_ticket(db, cast.agent, article.id, tickets[0], DEFAULT_TICKET_ID_PATTERN)
    link_ticket(db, cast.agent, article.id, f"{day}-Z999", DEFAULT_TICKET_ID_PATTERN)
    for count in (0, 0, 3):
        db.add(
            SearchLog(
                query="发票抬头修改", query_norm="发票抬头修改" if count == 0 else "退款", result_count=count
            )
        )
    db.commit()
    make_evaluation(db, cast.grader, items[1], cast.version, no_article=True, gap_note="发票抬头修改流程缺失")

    login(cast.lead)
    html = client.get("/kcs").get_data(as_text=True)
    assert "33.3%" in html  # link rate: 1 of the 3 tickets with conversations
    assert "66.7%" in html  # zero-result rate: 2 of 3 searches
    assert "电子发票开具步骤" in html
    assert "发票抬头修改流程缺失" in html
    assert "/articles/new?title=" in html  # write the missing article
    assert f"/tickets/{tickets[1]}" in html


def test_dashboard_without_data_and_rights(client, login, cast):
    login(cast.lead)
    r = client.get("/kcs?days=7")
    assert r.status_code == 200
    assert client.get("/kcs?days=abc").status_code == 200
    login(cast.agent)
    assert client.get("/kcs").status_code == 403
