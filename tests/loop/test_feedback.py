"""Agent feedback: visibility (IDOR), acknowledge, the dispute state machine and arbitration with history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal.models import AuditLog
from portal.notifications import Notification
from portal.timeutil import utcnow
from qa.models import Dispute, Evaluation, ScoreHistory
from tests.factories import criteria_by_name, make_evaluation, make_interaction


def _state(db, evaluation_id):
    db.expire_all()
    e = db.get(Evaluation, evaluation_id)
    return e.status, e.score


def _kinds(db, user):
    return [n.kind for n in db.exec(select(Notification).where(Notification.user_id == user.id))]


@pytest.fixture
def evaluation(db, cast, interaction):
    # A = (100×1 + 50×2)/3 = 66.67 (weight 3), B = 100 (weight 1) → (200 + 100) / 4 = 75
    return make_evaluation(
        db, cast.grader, interaction, cast.version, {"greeting": 1, "empathy": 3, "privacy": 3}
    )


# --- visibility ------------------------------------------------------------------------------------------


def test_agent_sees_own_released_evaluation_only(client, login, db, cast, evaluation):
    other = make_evaluation(db, cast.grader, make_interaction(db, cast.other_agent), cast.version)
    login(cast.agent)
    page = client.get("/qa/my").get_data(as_text=True)
    assert f"/qa/feedback/{evaluation.id}" in page and f"/qa/feedback/{other.id}" not in page
    assert client.get(f"/qa/feedback/{evaluation.id}").status_code == 200
    assert client.get(f"/qa/feedback/{other.id}").status_code == 404


def test_agent_cannot_act_on_another_agents_evaluation_by_url_or_api(
    client, login, api, db, cast, evaluation
):
    login(cast.other_agent)
    crit = criteria_by_name(db, cast.version)["empathy"]
    assert client.post(f"/qa/feedback/{evaluation.id}/acknowledge").status_code == 404
    assert (
        client.post(
            f"/qa/feedback/{evaluation.id}/dispute", data={"reason": "x", "criteria": [crit]}
        ).status_code
        == 404
    )
    other_api = api(cast.other_agent)
    assert other_api.post(f"/qa/evaluations/{evaluation.id}/acknowledge").status_code == 404
    r = other_api.post(f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "x", "criteria": [crit]})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    assert other_api.get(f"/qa/evaluations/{evaluation.id}").status_code in (403, 404)
    assert other_api.get("/tickets/20241120-A001").get_json()["evaluations"] == []
    assert _state(db, evaluation.id) == ("submitted", 75.0)
    assert db.exec(select(Dispute)).all() == []


def test_drafts_are_invisible_to_the_agent(client, login, db, cast, interaction):
    draft = make_evaluation(db, cast.grader, interaction, cast.version, submit=False)
    login(cast.agent)
    assert client.get(f"/qa/feedback/{draft.id}").status_code == 404
    assert f"/qa/feedback/{draft.id}" not in client.get("/qa/my").get_data(as_text=True)


def test_agent_cannot_open_dispute_queue_or_resolve(client, login, api, db, cast, evaluation):
    login(cast.agent)
    assert client.get("/qa/disputes").status_code == 403
    r = api(cast.agent).post(f"/qa/evaluations/{evaluation.id}/resolve", json={"outcome": "upheld"})
    assert r.status_code == 403


# --- acknowledge -----------------------------------------------------------------------------------------


def test_acknowledge_once(api, db, cast, evaluation):
    client = api(cast.agent)
    r = client.post(f"/qa/evaluations/{evaluation.id}/acknowledge")
    assert r.status_code == 200 and r.get_json()["status"] == "acknowledged"
    again = client.post(f"/qa/evaluations/{evaluation.id}/acknowledge")
    assert again.status_code == 409
    crit = criteria_by_name(db, cast.version)["empathy"]
    late = client.post(f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "x", "criteria": [crit]})
    assert late.status_code == 409
    assert _state(db, evaluation.id)[0] == "acknowledged"
    assert db.exec(select(AuditLog).where(AuditLog.action == "evaluation.acknowledge")).one()


def test_acknowledge_from_the_page(client, login, db, cast, evaluation):
    login(cast.agent)
    r = client.post(f"/qa/feedback/{evaluation.id}/acknowledge")
    assert r.status_code == 302
    assert _state(db, evaluation.id)[0] == "acknowledged"


def test_acknowledge_without_csrf_changes_nothing(client, login, db, cast, evaluation):
    login(cast.agent)
    r = client.post(f"/qa/feedback/{evaluation.id}/acknowledge", data={}, csrf=False)
    assert r.status_code == 400
    assert _state(db, evaluation.id)[0] == "submitted"


# --- dispute ---------------------------------------------------------------------------------------------


def test_dispute_notifies_leads_and_grader(api, db, cast, evaluation):
    crit = criteria_by_name(db, cast.version)["empathy"]
    r = api(cast.agent).post(
        f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "我已表达歉意", "criteria": [crit]}
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "disputed" and body["dispute"]["criteria"] == [crit]
    assert "dispute_opened" in _kinds(db, cast.lead)  # same team
    assert "dispute_opened" in _kinds(db, cast.grader)
    assert "dispute_opened" not in _kinds(db, cast.lead2)  # another team's lead
    assert (
        db.exec(select(AuditLog).where(AuditLog.action == "evaluation.dispute")).one().comment
        == "我已表达歉意"
    )


def test_dispute_twice_is_409(api, db, cast, evaluation):
    crit = criteria_by_name(db, cast.version)["empathy"]
    client = api(cast.agent)
    assert (
        client.post(
            f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "a", "criteria": [crit]}
        ).status_code
        == 201
    )
    again = client.post(f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "b", "criteria": [crit]})
    assert again.status_code == 409
    assert [d.reason for d in db.exec(select(Dispute))] == ["a"]


def test_dispute_after_the_window_is_refused(api, db, cast, interaction):
    old = make_evaluation(
        db, cast.grader, interaction, cast.version, submitted_at=utcnow() - timedelta(days=7, minutes=1)
    )
    crit = criteria_by_name(db, cast.version)["greeting"]
    r = api(cast.agent).post(f"/qa/evaluations/{old.id}/dispute", json={"reason": "late", "criteria": [crit]})
    assert r.status_code == 409 and "window" in r.get_json()["error"]["message"]
    assert _state(db, old.id)[0] == "submitted"
    assert db.exec(select(Dispute)).all() == []


@pytest.mark.parametrize("app_overrides", [{"DISPUTE_WINDOW_DAYS": 30}])
def test_dispute_window_is_configurable(api, db, cast, interaction):
    old = make_evaluation(
        db, cast.grader, interaction, cast.version, submitted_at=utcnow() - timedelta(days=20)
    )
    crit = criteria_by_name(db, cast.version)["greeting"]
    r = api(cast.agent).post(f"/qa/evaluations/{old.id}/dispute", json={"reason": "ok", "criteria": [crit]})
    assert r.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "", "criteria": "GREETING"},
        {"reason": "   ", "criteria": "GREETING"},
        {"reason": "x" * 2001, "criteria": "GREETING"},
        {"reason": "ok", "criteria": []},
        {"reason": "ok", "criteria": "1"},
        {"reason": "ok", "criteria": [True]},
        {"reason": "ok", "criteria": [999999]},
        {"reason": 5, "criteria": "GREETING"},
    ],
)
def test_bad_dispute_bodies_are_400(api, db, cast, evaluation, body):
    if body["criteria"] == "GREETING":
        body = {**body, "criteria": [criteria_by_name(db, cast.version)["greeting"]]}
    r = api(cast.agent).post(f"/qa/evaluations/{evaluation.id}/dispute", json=body)
    assert r.status_code == 400, r.get_json()
    assert _state(db, evaluation.id)[0] == "submitted"


def test_dispute_from_the_page_needs_a_reason(client, login, db, cast, evaluation):
    login(cast.agent)
    crit = criteria_by_name(db, cast.version)["empathy"]
    r = client.post(f"/qa/feedback/{evaluation.id}/dispute", data={"reason": "", "criteria": [crit]})
    assert r.status_code == 400
    assert _state(db, evaluation.id)[0] == "submitted"
    r = client.post(f"/qa/feedback/{evaluation.id}/dispute", data={"reason": "我道歉了", "criteria": [crit]})
    assert r.status_code == 302
    assert _state(db, evaluation.id)[0] == "disputed"
    page = client.get(f"/qa/feedback/{evaluation.id}").get_data(as_text=True)
    assert "我道歉了" in page


# --- resolve ---------------------------------------------------------------------------------------------


@pytest.fixture
def disputed(api, db, cast, evaluation):
    crit = criteria_by_name(db, cast.version)["empathy"]
    r = api(cast.agent).post(
        f"/qa/evaluations/{evaluation.id}/dispute", json={"reason": "不同意", "criteria": [crit]}
    )
    assert r.status_code == 201
    return evaluation


def test_uphold_keeps_the_score(api, db, cast, disputed):
    r = api(cast.lead).post(
        f"/qa/evaluations/{disputed.id}/resolve", json={"outcome": "upheld", "comment": "评分合理"}
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "upheld" and r.get_json()["score"] == 75.0
    assert r.get_json()["history"] == []
    assert "dispute_resolved" in _kinds(db, cast.agent) and "dispute_resolved" in _kinds(db, cast.grader)
    again = api(cast.lead).post(f"/qa/evaluations/{disputed.id}/resolve", json={"outcome": "upheld"})
    assert again.status_code == 409


def test_adjust_rescores_and_keeps_the_original_in_history(api, client, login, db, cast, disputed):
    ids = criteria_by_name(db, cast.version)
    r = api(cast.lead).post(
        f"/qa/evaluations/{disputed.id}/resolve",
        json={
            "outcome": "adjusted",
            "comment": "已道歉，改为5分",
            "ratings": [{"criterion_id": ids["empathy"], "value": 5}],
        },
    )
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "adjusted" and body["score"] == 100.0
    assert [(h["kind"], h["score"]) for h in body["history"]] == [("original", 75.0), ("adjusted", 100.0)]
    original = {x["criterion_id"]: x["value"] for x in body["history"][0]["ratings"]}
    assert original[ids["empathy"]] == 3
    assert _state(db, disputed.id) == ("adjusted", 100.0)
    assert db.exec(select(Dispute)).one().status == "adjusted"
    # the agent and the grader both see the outcome and the history
    for who in (cast.agent, cast.grader):
        login(who)
        page = client.get(f"/qa/feedback/{disputed.id}").get_data(as_text=True)
        assert "已道歉，改为5分" in page and "75.0" in page and "100.0" in page


def test_adjust_to_a_critical_failure_auto_fails(api, db, cast, disputed):
    ids = criteria_by_name(db, cast.version)
    r = api(cast.lead).post(
        f"/qa/evaluations/{disputed.id}/resolve",
        json={
            "outcome": "adjusted",
            "comment": "泄露隐私",
            "ratings": [{"criterion_id": ids["privacy"], "value": 1}],
        },
    )
    assert r.status_code == 200
    assert r.get_json()["score"] == 0.0 and r.get_json()["auto_fail"] is True


def test_grader_who_is_a_lead_cannot_arbitrate_own_evaluation(api, db, cast, interaction):
    own = make_evaluation(db, cast.lead2, interaction, cast.version)
    crit = criteria_by_name(db, cast.version)["greeting"]
    assert (
        api(cast.agent)
        .post(f"/qa/evaluations/{own.id}/dispute", json={"reason": "x", "criteria": [crit]})
        .status_code
        == 201
    )
    r = api(cast.lead2).post(f"/qa/evaluations/{own.id}/resolve", json={"outcome": "upheld"})
    assert r.status_code == 403
    assert _state(db, own.id)[0] == "disputed"


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "maybe"},
        {"outcome": "adjusted", "ratings": [{"criterion_id": "EMPATHY", "value": 5}], "comment": "x"},
        {"outcome": "adjusted", "comment": "", "ratings": "EMPATHY5"},
        {"outcome": "adjusted", "comment": "no change", "ratings": "SAME"},
        {"outcome": "adjusted", "comment": "bad value", "ratings": "EMPATHY9"},
        {"outcome": "adjusted", "comment": "no ratings"},
        {"outcome": "upheld", "comment": 7},
    ],
)
def test_bad_resolutions_are_400_and_change_nothing(api, db, cast, disputed, body):
    ids = criteria_by_name(db, cast.version)
    ratings = {
        "EMPATHY5": [{"criterion_id": ids["empathy"], "value": 5}],
        "SAME": [{"criterion_id": ids["empathy"], "value": 3}],
        "EMPATHY9": [{"criterion_id": ids["empathy"], "value": 9}],
    }
    if isinstance(body.get("ratings"), str):
        body = {**body, "ratings": ratings[body["ratings"]]}
    r = api(cast.lead).post(f"/qa/evaluations/{disputed.id}/resolve", json=body)
    assert r.status_code == 400, r.get_json()
    assert _state(db, disputed.id) == ("disputed", 75.0)
    assert db.exec(select(ScoreHistory)).all() == []


def test_resolve_without_dispute_is_409(api, db, cast, evaluation):
    r = api(cast.lead).post(f"/qa/evaluations/{evaluation.id}/resolve", json={"outcome": "upheld"})
    assert r.status_code == 409
    assert _state(db, evaluation.id)[0] == "submitted"


def test_resolve_from_the_page(client, login, db, cast, disputed):
    ids = criteria_by_name(db, cast.version)
    login(cast.lead)
    queue = client.get("/qa/disputes").get_data(as_text=True)
    assert "20241120-A001" in queue
    page = client.get(f"/qa/feedback/{disputed.id}").get_data(as_text=True)
    assert 'name="outcome"' in page
    data = {
        "outcome": "adjusted",
        "comment": "同意申诉",
        f"rating_{ids['greeting']}": "1",
        f"rating_{ids['empathy']}": "5",
        f"rating_{ids['privacy']}": "3",
    }
    r = client.post(f"/qa/feedback/{disputed.id}/resolve", data=data)
    assert r.status_code == 302
    assert _state(db, disputed.id) == ("adjusted", 100.0)


def test_someone_elses_evaluation_answers_like_a_missing_one(api, db, cast, interaction):
    """An agent must not learn that a colleague's evaluation exists: the same 404 as for no evaluation."""
    from tests.factories import make_evaluation

    evaluation = make_evaluation(db, cast.grader, interaction, cast.version)
    theirs = api(cast.other_agent).get(f"/qa/evaluations/{evaluation.id}")
    missing = api(cast.other_agent).get(f"/qa/evaluations/{evaluation.id + 1000}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["message"] == missing.get_json()["error"]["message"].replace(
        str(evaluation.id + 1000), str(evaluation.id)
    )
