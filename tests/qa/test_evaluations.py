"""Evaluations: API create/submit with validation, scoring with qa.scoring, the form, roles, and the
'done when' journey of the issue through the pages."""

from __future__ import annotations

import io
import math

import pytest
from sqlmodel import func, select

from portal.notifications import Notification
from qa.models import Evaluation, EvaluationRating, Interaction, SampleItem, SamplingPlan
from qa.scorecards import services as scorecards
from qa.seed import seed_default
from tests.factories import make_interaction, make_scorecard, make_user


@pytest.fixture
def setup(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    _card, version = make_scorecard(db)
    _sections, criteria = scorecards.sections_and_criteria(db, version.id)
    ids = {c.name: c.id for c in criteria}
    interaction = make_interaction(
        db, agent, turns=[("customer", "快递丢了"), ("agent", "您好，我马上帮您查询")]
    )
    return qa, agent, version, ids, interaction


def body(interaction, version, ids, greeting=1, empathy=4, privacy=3, submit=True, **extra):
    return {
        "interaction_id": interaction.id,
        "scorecard_version_id": version.id,
        "ratings": [
            {"criterion_id": ids["greeting"], "value": greeting},
            {"criterion_id": ids["empathy"], "value": empathy, "comment": "好", "evidence": "我马上帮您查询"},
            {"criterion_id": ids["privacy"], "value": privacy},
        ],
        "comment": "ok",
        "submit": submit,
        **extra,
    }


def count(db, model):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_submit_scores_with_full_precision_and_notifies(api, db, setup):
    qa, agent, version, ids, interaction = setup
    response = api(qa).post("/qa/evaluations", json=body(interaction, version, ids))
    assert response.status_code == 201
    data = response.get_json()
    # A = (100×1 + 75×2)/3 = 83.33…, B = 100; (83.33…×3 + 100×1)/4 = 87.5
    assert math.isclose(data["score"], 87.5) and data["status"] == "submitted" and not data["auto_fail"]
    detail = api(qa).get(f"/qa/evaluations/{data['id']}").get_json()
    assert detail["ticket_id"] == interaction.ticket_id and detail["agent"] == "a1"
    assert {r["criterion_id"]: r["value"] for r in detail["ratings"]}[ids["empathy"]] == 4
    assert count(db, Notification) == 1
    # N/A is left out: A = 100, B = 50 → (100×3 + 50×1)/4
    other = make_interaction(db, agent, turns=[("agent", "我马上帮您查询")])
    na = api(qa).post("/qa/evaluations", json=body(other, version, ids, empathy=None, privacy=2))
    assert math.isclose(na.get_json()["score"], (100 * 3 + 50) / 4)


def test_critical_failure_is_auto_fail_with_reason(api, db, setup):
    qa, _agent, version, ids, interaction = setup
    data = api(qa).post("/qa/evaluations", json=body(interaction, version, ids, privacy=1)).get_json()
    assert data["score"] == 0 and data["auto_fail"] and "privacy" in data["auto_fail_reasons"][0]
    stored = db.get(Evaluation, data["id"])
    assert math.isclose(stored.raw_score, (83.33333333333333 * 3 + 0) / 4)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"empathy": 6}, "outside the scale"),
        ({"greeting": None}, "does not allow N/A"),
        ({"privacy": 2.5}, "whole number"),
    ],
)
def test_invalid_ratings_are_400_and_save_nothing(api, db, setup, change, words):
    qa, _agent, version, ids, interaction = setup
    response = api(qa).post("/qa/evaluations", json=body(interaction, version, ids, **change))
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]
    assert count(db, Evaluation) == 0 and count(db, EvaluationRating) == 0


def test_incomplete_submit_fails_but_draft_saves_then_submits(api, db, setup):
    qa, _agent, version, ids, interaction = setup
    partial = body(interaction, version, ids)
    partial["ratings"] = partial["ratings"][:1]
    response = api(qa).post("/qa/evaluations", json=partial)
    assert response.status_code == 400 and "not rated" in response.get_json()["error"]["message"]
    assert count(db, Evaluation) == 0
    partial["submit"] = False
    draft = api(qa).post("/qa/evaluations", json=partial)
    assert (
        draft.status_code == 201
        and draft.get_json()["status"] == "draft"
        and draft.get_json()["score"] is None
    )
    final = api(qa).post("/qa/evaluations", json=body(interaction, version, ids))
    assert final.status_code == 200 and final.get_json()["id"] == draft.get_json()["id"]
    assert final.get_json()["status"] == "submitted"
    again = api(qa).post("/qa/evaluations", json=body(interaction, version, ids))
    assert again.status_code == 409
    assert count(db, Evaluation) == 1


def test_evidence_must_quote_the_transcript(api, db, setup):
    qa, _agent, version, ids, interaction = setup
    data = body(interaction, version, ids)
    data["ratings"][1]["evidence"] = "the agent said something else"
    response = api(qa).post("/qa/evaluations", json=data)
    assert response.status_code == 400 and "quote" in response.get_json()["error"]["message"]
    assert count(db, Evaluation) == 0


def test_who_may_create_and_read(api, db, setup):
    qa, agent, version, ids, interaction = setup
    other_agent = make_user(db, "a2")
    lead = make_user(db, "lead1", ("lead",))
    assert api(agent).post("/qa/evaluations", json=body(interaction, version, ids)).status_code == 403
    assert api(lead).post("/qa/evaluations", json=body(interaction, version, ids)).status_code == 403
    assert count(db, Evaluation) == 0
    evaluation_id = api(qa).post("/qa/evaluations", json=body(interaction, version, ids)).get_json()["id"]
    assert api(agent).get(f"/qa/evaluations/{evaluation_id}").status_code == 200
    assert api(lead).get(f"/qa/evaluations/{evaluation_id}").status_code == 200
    assert api(other_agent).get(f"/qa/evaluations/{evaluation_id}").status_code == 404  # like a missing one


def test_form_shows_errors_and_saves_nothing_then_submits(client, login, db, setup):
    qa, _agent, _version, ids, interaction = setup
    login(qa)
    page = client.get(f"/qa/interactions/{interaction.id}/evaluate")
    assert page.status_code == 200 and "evaluation.js" in page.get_data(as_text=True)
    form = {f"rating_{ids['greeting']}": "1", f"rating_{ids['empathy']}": "na", "submit_evaluation": "1"}
    bad = client.post(f"/qa/interactions/{interaction.id}/evaluate", data=form)
    assert bad.status_code == 400 and "not rated" in bad.get_data(as_text=True)
    assert count(db, Evaluation) == 0
    form[f"rating_{ids['privacy']}"] = "3"
    form[f"evidence_{ids['greeting']}"] = "您好，我马上帮您查询"
    response = client.post(f"/qa/interactions/{interaction.id}/evaluate", data=form)
    assert response.status_code == 302
    evaluation = db.exec(select(Evaluation)).one()
    assert evaluation.score == 100.0 and evaluation.status == "submitted"
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "100.0" in shown and "qa-formula" in shown


def test_done_when_journey(client, login, db):
    """A QA specialist uploads a CSV, sees it masked, creates a weekly plan of 5 per agent with complaints
    always included, draws it, scores one conversation with the default scorecard and sees the score."""
    seed_default(db)
    db.commit()
    qa = make_user(db, "qa1", ("qa",))
    make_user(db, "agent1")
    make_user(db, "agent2")
    login(qa)
    rows = ["工单号,渠道,客服,开始时间,结束时间,满意度,投诉,发言人,时间,内容"]
    for n in range(16):
        agent = "agent1" if n % 2 else "agent2"
        channel = "在线客服" if n % 3 else "电话"
        complaint = "是" if n in (3, 4) else "否"
        start = f"2024-11-{19 + n % 3} {9 + n % 8:02d}:00:00"
        rows.append(
            f"20241119-A{100 + n},{channel},{agent},{start},,{(n % 5) + 1},{complaint},客户,,手机13812345678，帮我查下"
        )
        rows.append(
            f"20241119-A{100 + n},{channel},{agent},{start},,{(n % 5) + 1},{complaint},客服,,您好，马上为您处理"
        )
    upload = ("\n".join(rows) + "\n").encode("gbk")
    response = client.post(
        "/qa/interactions/import",
        data={"file": (io.BytesIO(upload), "会话.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and count(db, Interaction) == 16
    first = db.exec(select(Interaction).order_by(Interaction.id)).first()
    viewer = client.get(f"/qa/interactions/{first.id}").get_data(as_text=True)
    assert "138****5678" in viewer and "13812345678" not in viewer

    response = client.post(
        "/qa/plans/new",
        data={"name": "第47周", "period": "week", "date_from": "2024-11-20", "quota_per_agent": "5",
              "always_complaints": "y", "always_csat_at_most": "", "always_cap": "5", "due_days": "7"},
    )  # fmt: skip
    assert response.status_code == 302
    plan = db.exec(select(SamplingPlan)).one()
    assert (str(plan.date_from), str(plan.date_to)) == ("2024-11-18", "2024-11-24")
    assert client.post(f"/qa/plans/{plan.id}/draw").status_code == 302
    db.expire_all()
    items = db.exec(select(SampleItem)).all()
    complaints = {i.id for i in db.exec(select(Interaction).where(Interaction.complaint))}
    assert complaints <= {s.interaction_id for s in items}
    assert len(items) == 12  # 5 random per agent + the 2 complaints on top
    assert all(s.grader_id == qa.id for s in items)

    target = items[0].interaction_id
    card = scorecards.default_scorecard(db)
    version = scorecards.latest_version(db, card.id)
    _sections, criteria = scorecards.sections_and_criteria(db, version.id)
    form = {"submit_evaluation": "1", "comment": "整体不错"}
    for c in criteria:
        form[f"rating_{c.id}"] = str(c.scale_enum.max)
    slow = next(c for c in criteria if c.name.startswith("首次响应"))
    form[f"rating_{slow.id}"] = "2"  # 50 in 响应时效 (weight 10): section = (50 + 100) / 2 = 75
    response = client.post(f"/qa/interactions/{target}/evaluate", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    evaluation = db.exec(select(Evaluation)).one()
    assert math.isclose(evaluation.score, (100 * 90 + 75 * 10) / 100)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "97.5" in page and "× 10" in page
