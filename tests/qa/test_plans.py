"""Sampling plans through the database and the API: reproducibility, stratification, exclusions."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from qa.evaluations import services as ev
from qa.models import Evaluation, SampleItem, SamplingPlan
from qa.sampling import services as plans
from qa.sampling.draw import margin_of_error
from tests.factories import make_interaction, make_plan, make_scorecard, make_user
from tests.factories.qa import BASE_TIME

TZ = ZoneInfo("Asia/Shanghai")


def sample_ids(result):
    return [(i.interaction_id, i.grader) for i in result.items]


def population(db, agents, per_agent=6, channels=("chat", "chat", "phone")):
    out = []
    for agent in agents:
        for n in range(per_agent):
            out.append(make_interaction(db, agent, channel=channels[n % len(channels)], commit=False))
    db.commit()
    return out


def test_same_plan_seed_and_data_give_the_same_sample(db):
    qa = make_user(db, "qa1", ("qa",))
    agents = [make_user(db, "a1"), make_user(db, "a2")]
    population(db, agents, per_agent=10)
    first = make_plan(db, qa, seed=7, quota_per_agent=3)
    twin = make_plan(db, qa, seed=7, quota_per_agent=3)
    other = make_plan(db, qa, seed=8, quota_per_agent=3)
    preview = plans.preview_plan(db, first, TZ)
    assert sample_ids(preview) == sample_ids(plans.preview_plan(db, twin, TZ))
    assert sample_ids(preview) != sample_ids(plans.preview_plan(db, other, TZ))
    drawn = plans.draw_plan(db, qa, first, TZ, BASE_TIME.date())
    db.commit()
    assert sample_ids(drawn) == sample_ids(preview)
    assert len(drawn.items) == 6
    stored = db.exec(
        select(SampleItem).where(SampleItem.plan_id == first.id).order_by(SampleItem.position)
    ).all()
    assert [s.interaction_id for s in stored] == [i for i, _ in sample_ids(drawn)]
    assert {s.grader_id for s in stored} == {qa.id}
    assert all(s.due_on == BASE_TIME.date() + timedelta(days=7) for s in stored)
    # The twin plan now excludes what the first one sampled.
    again = plans.preview_plan(db, twin, TZ)
    assert not {i for i, _ in sample_ids(again)} & {i for i, _ in sample_ids(drawn)}


def test_stratified_by_channel_and_margin_of_error(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    population(db, [agent], per_agent=9)  # 6 chat, 3 phone
    plan = make_plan(db, qa, quota_per_agent=3)
    result = plans.draw_plan(db, qa, plan, TZ, BASE_TIME.date())
    channels = sorted(i.channel for i in result.items)
    assert channels == ["chat", "chat", "phone"]
    summary = result.per_agent[0]
    assert (summary.population, summary.sampled) == (9, 3)
    assert summary.margin_of_error == margin_of_error(9, 3)


def test_exclusions_period_filters_evaluated_and_calibration(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    _card, version = make_scorecard(db)
    inside = population(db, [agent], per_agent=4, channels=("chat",))
    make_interaction(db, agent, started_at=BASE_TIME + timedelta(days=30))  # outside the period
    make_interaction(db, agent, channel="email")  # filtered out by channel
    evaluated = inside[0]
    ev.save_evaluation(db, qa, evaluated, version, ev.EvaluationInput(), submit=False)
    calibration = Evaluation(
        interaction_id=inside[1].id,
        scorecard_version_id=version.id,
        grader_id=qa.id,
        agent_id=agent.id,
        ticket_id=inside[1].ticket_id,
        is_calibration=True,
    )
    db.add(calibration)
    db.commit()
    plan = make_plan(db, qa, quota_per_agent=10, channels=["chat"])
    result = plans.preview_plan(db, plan, TZ)
    assert sorted(i.interaction_id for i in result.items) == sorted(i.id for i in inside[1:])


def test_always_include_complaints_and_low_csat_with_cap(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    normal = population(db, [agent], per_agent=6, channels=("chat",))
    complaints = [make_interaction(db, agent, complaint=True) for _ in range(3)]
    low = make_interaction(db, agent, csat=1)
    plan = make_plan(db, qa, quota_per_agent=2, always_complaints=True, always_csat_at_most=2, always_cap=3)
    result = plans.draw_plan(db, qa, plan, TZ, BASE_TIME.date())
    reasons = [i.reason.value for i in result.items]
    assert reasons.count("complaint") == 3 and reasons.count("random") == 2
    assert {i.interaction_id for i in result.items if i.reason.value == "complaint"} == {
        c.id for c in complaints
    }
    assert low.id not in {
        i.interaction_id for i in result.items if i.reason.value != "random"
    }  # over the cap
    assert len({i.interaction_id for i in result.items} & {n.id for n in [*normal, low]}) == 2


def test_team_filter_and_even_assignment(db):
    qa1, qa2 = make_user(db, "qa1", ("qa",)), make_user(db, "qa2", ("qa",))
    blue = [make_user(db, "b1", team="blue"), make_user(db, "b2", team="blue")]
    red = make_user(db, "r1", team="red")
    population(db, [*blue, red], per_agent=5)
    plan = make_plan(db, qa1, team="blue", quota_per_agent=3, graders=["qa1", "qa2"])
    result = plans.draw_plan(db, qa1, plan, TZ, BASE_TIME.date())
    db.commit()
    assert {i.agent for i in result.items} == {"b1", "b2"}
    counts = db.exec(select(SampleItem.grader_id, func.count()).group_by(SampleItem.grader_id)).all()
    assert sorted(n for _, n in counts) == [3, 3] and {g for g, _ in counts} == {qa1.id, qa2.id}


def test_plan_validation_errors_store_nothing(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    for bad in (
        {"date_from": BASE_TIME.date(), "date_to": BASE_TIME.date() - timedelta(days=1)},
        {"graders": ["a1"]},
        {"agents": ["ghost"]},
        {"channels": ["fax"]},
        {"quota_per_agent": -1},
    ):
        try:
            make_plan(db, qa, **bad)
        except plans.PlanError:
            db.rollback()
        else:
            raise AssertionError(f"accepted {bad}")
    assert db.exec(select(func.count()).select_from(SamplingPlan)).one() == 0
    assert agent.id


def test_api_create_draw_and_redraw(api, db):
    qa = make_user(db, "qa1", ("qa",))
    agents = [make_user(db, "a1"), make_user(db, "a2")]
    items = population(db, agents, per_agent=4)
    body = {
        "name": "week 47",
        "period": "week",
        "from": BASE_TIME.date().isoformat(),
        "quota_per_agent": 2,
        "agents": ["a1", "a2"],
        "always_include": {"complaints": True, "csat_at_most": 2, "cap": 5},
        "graders": ["qa1"],
    }
    created = api(qa).post("/qa/sampling-plans", json=body)
    assert created.status_code == 201
    plan_id, seed = created.get_json()["id"], created.get_json()["seed"]
    plan = db.get(SamplingPlan, plan_id)
    assert plan.date_from.weekday() == 0 and (plan.date_to - plan.date_from).days == 6
    assert isinstance(seed, int) and plan.seed == seed  # random, but stored

    drawn = api(qa).post(f"/qa/sampling-plans/{plan_id}/draw")
    assert drawn.status_code == 200
    data = drawn.get_json()
    assert data["seed"] == seed and len(data["sample"]) == 4
    tickets = {i.id: i.ticket_id for i in items}
    for row in data["sample"]:
        assert row["ticket_id"] == tickets[row["interaction_id"]] and row["grader"] == "qa1"
    assert [(a["agent"], a["population"], a["sampled"]) for a in data["per_agent"]] == [
        ("a1", 4, 2),
        ("a2", 4, 2),
    ]
    assert data["per_agent"][0]["margin_of_error"] == margin_of_error(4, 2)

    again = api(qa).post(f"/qa/sampling-plans/{plan_id}/draw")
    assert again.status_code == 409
    db.expire_all()
    assert db.exec(select(func.count()).select_from(SampleItem)).one() == 4


def test_api_plan_that_matches_nothing_is_400_and_stays_undrawn(api, db):
    qa = make_user(db, "qa1", ("qa",))
    make_interaction(db, make_user(db, "a1"))
    created = api(qa).post(
        "/qa/sampling-plans", json={"name": "empty", "from": "2020-01-01", "to": "2020-01-31"}
    )
    plan_id = created.get_json()["id"]
    response = api(qa).post(f"/qa/sampling-plans/{plan_id}/draw")
    assert response.status_code == 400
    assert "no interactions match" in response.get_json()["error"]["message"]
    db.expire_all()
    assert db.get(SamplingPlan, plan_id).drawn_at is None
    assert db.exec(select(func.count()).select_from(SampleItem)).one() == 0


def test_api_plan_bad_input(api, db):
    qa = make_user(db, "qa1", ("qa",))
    for body in (
        {"name": "x", "from": "not a date"},
        {"name": "x", "from": "2024-11-01", "to": "2024-11-30", "graders": ["nobody"]},
        {"name": "x", "from": "2024-11-01", "to": "2024-11-30", "seed": "abc"},
        {"name": "", "from": "2024-11-01", "to": "2024-11-30"},
    ):
        response = api(qa).post("/qa/sampling-plans", json=body)
        assert response.status_code == 400, body
    db.expire_all()
    assert db.exec(select(func.count()).select_from(SamplingPlan)).one() == 0


def test_roles_for_plans(api, client, login, db):
    agent = make_user(db, "agent1")
    lead = make_user(db, "lead1", ("lead",))
    body = {"name": "x", "from": "2024-11-01", "to": "2024-11-30"}
    assert api(agent).post("/qa/sampling-plans", json=body).status_code == 403
    assert api(lead).post("/qa/sampling-plans", json=body).status_code == 403
    login(lead)
    assert client.get("/qa/plans").status_code == 403
    assert client.get("/qa/queue").status_code == 403


def test_plan_pages_weekly_plan_draw_and_queue(client, login, db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    population(db, [agent], per_agent=8)
    make_interaction(db, agent, complaint=True)
    login(qa)
    form = client.get("/qa/plans/new")
    assert form.status_code == 200
    response = client.post(
        "/qa/plans/new",
        data={
            "name": "本周抽样",
            "period": "week",
            "date_from": BASE_TIME.date().isoformat(),
            "quota_per_agent": "5",
            "always_complaints": "y",
            "always_cap": "5",
            "graders": ["qa1"],
            "due_days": "7",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    plan = db.exec(select(SamplingPlan)).one()
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "6 " in detail or "6" in detail
    drawn = client.post(f"/qa/plans/{plan.id}/draw")
    assert drawn.status_code == 302
    page = client.get(f"/qa/plans/{plan.id}").get_data(as_text=True)
    assert "±" in page
    db.expire_all()
    assert db.exec(select(func.count()).select_from(SampleItem)).one() == 6
    queue = client.get("/qa/queue").get_data(as_text=True)
    assert queue.count("/evaluate") == 6
