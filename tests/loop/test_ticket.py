"""The ticket page and API join the right interactions, evaluations and articles, and respect visibility."""

from __future__ import annotations

from articles.feedback import link_ticket
from portal.config import DEFAULT_TICKET_ID_PATTERN
from tests.factories import make_article, make_evaluation, make_interaction, make_user


def _arrange(db, cast):
    mine = make_interaction(db, cast.agent, ticket_id="20241120-A001", csat=5)
    theirs = make_interaction(db, cast.other_agent, ticket_id="20241120-A001", channel="phone")
    unrelated = make_interaction(db, cast.agent, ticket_id="20241121-B002")
    e_mine = make_evaluation(db, cast.grader, mine, cast.version)
    e_theirs = make_evaluation(db, cast.grader, theirs, cast.version)
    e_unrelated = make_evaluation(db, cast.grader, unrelated, cast.version)
    author = make_user(db, "author", ("agent",))
    article = make_article(db, author, title="快递未到的处理", status="published", reviewer=cast.lead)
    other_article = make_article(db, author, title="无关文章", status="published", reviewer=cast.lead)
    link_ticket(db, author, article.id, "20241120-A001", DEFAULT_TICKET_ID_PATTERN)
    link_ticket(db, author, other_article.id, "20241121-B002", DEFAULT_TICKET_ID_PATTERN)
    db.commit()
    return mine, theirs, e_mine, e_theirs, e_unrelated, article


def test_api_joins_the_rows_of_one_ticket(api, db, cast):
    mine, theirs, e_mine, e_theirs, _e_unrelated, article = _arrange(db, cast)
    body = api(cast.lead).get("/tickets/20241120-A001").get_json()
    assert body["ticket_id"] == "20241120-A001"
    assert sorted(i["id"] for i in body["interactions"]) == sorted([mine.id, theirs.id])
    assert sorted(e["id"] for e in body["evaluations"]) == sorted([e_mine.id, e_theirs.id])
    assert [a["id"] for a in body["articles"]] == [article.id]
    assert body["articles"][0]["title"] == "快递未到的处理"


def test_agent_sees_only_own_evaluations_on_the_ticket(api, client, login, db, cast):
    _mine, _theirs, e_mine, e_theirs, _u, _a = _arrange(db, cast)
    body = api(cast.agent).get("/tickets/20241120-A001").get_json()
    assert [e["id"] for e in body["evaluations"]] == [e_mine.id]
    assert len(body["interactions"]) == 2
    login(cast.agent)
    page = client.get("/tickets/20241120-A001").get_data(as_text=True)
    assert f"/qa/feedback/{e_mine.id}" in page and f"/qa/feedback/{e_theirs.id}" not in page
    assert "快递未到的处理" in page and "无关文章" not in page


def test_unknown_ticket_is_empty_not_404(api, client, login, cast):
    assert api(cast.agent).get("/tickets/20241122-C003").get_json() == {
        "ticket_id": "20241122-C003",
        "interactions": [],
        "evaluations": [],
        "articles": [],
    }
    login(cast.agent)
    assert client.get("/tickets/20241122-C003").status_code == 200


def test_invalid_ticket_id_is_400(api, client, login, cast):
    for bad in ("20241332-A001", "hello", "20241120-a001"):
        r = api(cast.agent).get(f"/tickets/{bad}")
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    login(cast.agent)
    assert client.get("/tickets/20241332-A001").status_code == 400
    assert client.get("/tickets?ticket_id=20241120-A001").status_code == 302


def test_a_bad_ticket_id_in_the_lookup_is_an_error_next_to_the_field(client, login, cast):
    """No redirect to a dead-end path: the lookup answers itself, keeps (masked) what was typed in the box,
    and a mobile number typed by mistake never becomes a URL path (which would reach the access log)."""
    login(cast.agent)
    for typed in ("abc", "2024/0101-A001", "13812345678"):
        response = client.get("/tickets", query_string={"ticket_id": typed})
        assert response.status_code == 400, typed
        page = response.get_data(as_text=True)
        assert 'aria-invalid="true"' in page and 'id="ticket-id-error"' in page
    assert "13812345678" not in page  # echoed masked, never raw
