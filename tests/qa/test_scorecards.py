"""Scorecards: API tree with ids, validation, frozen versions, the default scorecard and the builder page."""

from __future__ import annotations

from sqlmodel import func, select

from qa.evaluations import services as ev
from qa.models import Evaluation, Scorecard, ScorecardCriterion, ScorecardVersion
from qa.scorecards import services as scorecards
from qa.seed import seed_default
from tests.factories import make_interaction, make_scorecard, make_user
from tests.factories.qa import scorecard_input

BODY = {
    "name": "电话质检",
    "mode": "points",
    "sections": [
        {"name": "服务态度", "weight": 1, "criteria": [{"name": "礼貌", "scale": "binary"}]},
        {"name": "规范", "weight": 2, "criteria": [
            {"name": "隐私", "scale": "3", "points": 2, "allow_na": False, "critical": True,
             "guidance": {"1": "泄露", "3": "未泄露"}},
        ]},
    ],
}  # fmt: skip


def count(db, model):
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_api_create_and_read_scorecard(api, db):
    qa = make_user(db, "qa1", ("qa",))
    response = api(qa).post("/qa/scorecards", json=BODY)
    assert response.status_code == 201
    tree = response.get_json()
    assert tree["id"] and tree["version_id"] and tree["version"] == 1 and tree["mode"] == "points"
    assert [s["name"] for s in tree["sections"]] == ["服务态度", "规范"]
    assert all(s["id"] and all(c["id"] for c in s["criteria"]) for s in tree["sections"])
    privacy = tree["sections"][1]["criteria"][0]
    assert (
        privacy["critical"] and privacy["points"] == 2 and privacy["guidance"] == {"1": "泄露", "3": "未泄露"}
    )
    assert api(qa).get(f"/qa/scorecards/{tree['id']}").get_json() == tree


def test_api_rejects_invalid_scorecards_and_saves_nothing(api, db):
    qa = make_user(db, "qa1", ("qa",))
    zero = {**BODY, "mode": "weighted_sections", "sections": [{**s, "weight": 0} for s in BODY["sections"]]}
    bad_scale = {**BODY, "sections": [{"name": "x", "criteria": [{"name": "y", "scale": "7"}]}]}
    empty = {**BODY, "sections": []}
    no_name = {**BODY, "name": "  "}
    bad_points = {**BODY, "sections": [{"name": "x", "criteria": [{"name": "y", "points": 0}]}]}
    for body, words in ((zero, "add up to 0"), (bad_scale, "scale"), (empty, "no"), (no_name, "name"),
                        (bad_points, "points")):  # fmt: skip
        response = api(qa).post("/qa/scorecards", json=body)
        assert response.status_code == 400, body
        assert words in response.get_json()["error"]["message"]
    assert api(qa).post("/qa/scorecards", json=BODY).status_code == 201
    assert api(qa).post("/qa/scorecards", json=BODY).status_code == 409  # a name taken: a conflict
    assert count(db, Scorecard) == 1 and count(db, ScorecardVersion) == 1


def test_used_version_is_frozen_and_edit_makes_a_new_version(db):
    qa = make_user(db, "qa1", ("qa",))
    agent = make_user(db, "a1")
    card, v1 = make_scorecard(db)
    # Unused: edited in place.
    changed = scorecard_input()
    changed.sections[0].criteria[0].name = "greeting (renamed)"
    assert scorecards.edit_scorecard(db, qa, card, changed).id == v1.id
    db.commit()
    crit = db.exec(select(ScorecardCriterion).where(ScorecardCriterion.version_id == v1.id)).all()
    evaluation = ev.save_evaluation(
        db,
        qa,
        make_interaction(db, agent),
        v1,
        ev.EvaluationInput(ratings=[ev.RatingInput(crit[0].id, 1)]),
        submit=False,
    )
    db.commit()
    assert db.get(ScorecardVersion, v1.id).is_frozen
    again = scorecard_input()
    again.sections[1].weight = 5
    v2 = scorecards.edit_scorecard(db, qa, card, again)
    db.commit()
    assert v2.id != v1.id and v2.number == 2
    db.expire_all()
    assert db.get(Evaluation, evaluation.id).scorecard_version_id == v1.id
    old_names = {
        c.name for c in db.exec(select(ScorecardCriterion).where(ScorecardCriterion.version_id == v1.id))
    }
    assert "greeting (renamed)" in old_names
    assert scorecards.latest_version(db, card.id).id == v2.id


def test_default_scorecard_seeded_once_with_privacy_critical(db):
    seed_default(db)
    seed_default(db)
    db.commit()
    cards = db.exec(select(Scorecard)).all()
    assert len(cards) == 1 and cards[0].is_default
    version = scorecards.latest_version(db, cards[0].id)
    sections, criteria = scorecards.sections_and_criteria(db, version.id)
    assert [s.name for s in sections] == ["服务态度", "沟通技巧", "问题解决能力", "规范遵守", "响应时效"]
    critical = [c for c in criteria if c.critical]
    assert len(critical) == 1 and "隐私" in critical[0].name


def test_builder_page_creates_and_rejects(client, login, db):
    login(make_user(db, "qa1", ("qa",)))
    assert client.get("/qa/scorecards/new").status_code == 200
    data = {
        "name": "在线质检", "mode": "weighted_sections",
        "sections-0-name": "态度", "sections-0-weight": "2",
        "sections-1-name": "", "sections-1-weight": "1",
        "criteria-0-section": "1", "criteria-0-name": "礼貌", "criteria-0-scale": "3", "criteria-0-points": "1",
        "criteria-0-guidance": "差\n一般\n好",
        "criteria-1-section": "1", "criteria-1-name": "隐私", "criteria-1-scale": "binary", "criteria-1-points": "1",
        "criteria-1-critical": "y",
    }  # fmt: skip
    bad = client.post("/qa/scorecards/new", data={**data, "sections-0-weight": "0"})
    assert bad.status_code == 400 and count(db, Scorecard) == 0
    response = client.post("/qa/scorecards/new", data=data)
    assert response.status_code == 302
    card = db.exec(select(Scorecard)).one()
    page = client.get(f"/qa/scorecards/{card.id}").get_data(as_text=True)
    assert "礼貌" in page and "一般" in page
    criteria = db.exec(select(ScorecardCriterion)).all()
    assert {c.name: c.guidance_map() for c in criteria}["礼貌"] == {1: "差", 2: "一般", 3: "好"}
    assert client.get(f"/qa/scorecards/{card.id}/edit").status_code == 200


def test_roles_for_scorecards(api, client, login, db):
    agent = make_user(db, "agent1")
    assert api(agent).post("/qa/scorecards", json=BODY).status_code == 403
    login(agent)
    assert client.get("/qa/scorecards").status_code == 403
    assert count(db, Scorecard) == 0
