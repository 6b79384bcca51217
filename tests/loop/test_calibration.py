"""Calibration: blind grading, closing rules, and alpha / deviations against a hand-computed example."""

from __future__ import annotations

import pytest
from sqlmodel import select

from qa.models import CalibrationRating, CalibrationSession
from tests.factories import criteria_by_name, make_interaction, make_user


@pytest.fixture
def graders(db):
    return [make_user(db, f"qa{i}", ("qa",)) for i in (1, 2, 3)]


def _ratings(ids, greeting, empathy, privacy):
    return [
        {"criterion_id": ids["greeting"], "value": greeting},
        {"criterion_id": ids["empathy"], "value": empathy},
        {"criterion_id": ids["privacy"], "value": privacy},
    ]


def _create(api, creator, interactions, version, graders, expert=None):
    r = api(creator).post(
        "/qa/calibrations",
        json={
            "name": "十一月校准",
            "interaction_ids": [i.id for i in interactions],
            "scorecard_version_id": version.id,
            "graders": [g.username for g in graders],
            "expert": expert.username if expert else None,
        },
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _hand_example(api, db, cast, graders, expert=None):
    """One conversation, three graders. Criterion scores c (0–100):
    greeting 100 / 0 / 100, empathy 100 / 75 / N/A, privacy 100 / 100 / 50."""
    item = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    cid = _create(api, graders[0], [item], cast.version, graders, expert)
    for g, values in zip(graders, [(1, 5, 3), (0, 4, 3), (1, None, 2)], strict=True):
        r = api(g).post(
            f"/qa/calibrations/{cid}/ratings",
            json={"interaction_id": item.id, "ratings": _ratings(ids, *values)},
        )
        assert r.status_code == 200, r.get_json()
    return cid, ids


def test_alpha_and_deviations_match_the_hand_computation(api, db, cast, graders):
    cid, ids = _hand_example(api, db, cast, graders)
    r = api(graders[0]).post(f"/qa/calibrations/{cid}/close")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    # Pairable values: 100,0,100 | 100,75 | 100,100,50 (n = 8).
    # D_o = (20000 + 1250 + 5000) / 8 = 3281.25;  D_e = 148750 / (8 × 7) = 2656.25
    # alpha = 1 − D_o / D_e = 1 − 21/17 = −4/17
    assert body["alpha"] == pytest.approx(-4 / 17)
    consensus = {c["criterion_id"]: c["consensus"] for c in body["criteria"]}
    assert consensus[ids["greeting"]] == pytest.approx(200 / 3)
    assert consensus[ids["empathy"]] == pytest.approx(87.5)
    assert consensus[ids["privacy"]] == pytest.approx(250 / 3)
    graders_out = {g["grader"]: g for g in body["graders"]}
    # qa1: |100−66.67| + |100−87.5| + |100−83.33| = 62.5 → /3
    assert graders_out["qa1"]["deviation"] == pytest.approx(62.5 / 3)
    assert graders_out["qa2"]["deviation"] == pytest.approx((200 / 3 + 12.5 + 50 / 3) / 3)
    assert graders_out["qa3"]["deviation"] == pytest.approx(100 / 3)
    assert all(g["flagged"] for g in body["graders"])
    per = {c["criterion_id"]: c["deviation"] for c in graders_out["qa3"]["criteria"]}
    assert per == {ids["greeting"]: pytest.approx(100 / 3), ids["privacy"]: pytest.approx(100 / 3)}
    stored = db.get(CalibrationSession, cid)
    db.refresh(stored)
    assert stored.status == "closed" and stored.alpha == pytest.approx(-4 / 17)


def test_named_expert_is_the_consensus(api, db, cast, graders):
    cid, ids = _hand_example(api, db, cast, graders, expert=graders[0])
    body = api(graders[0]).post(f"/qa/calibrations/{cid}/close").get_json()
    assert {c["criterion_id"]: c["consensus"] for c in body["criteria"]} == {
        ids["greeting"]: 100.0,
        ids["empathy"]: 100.0,
        ids["privacy"]: 100.0,
    }
    out = {g["grader"]: g["deviation"] for g in body["graders"]}
    assert out == {"qa2": pytest.approx(125 / 3), "qa3": pytest.approx(25.0)}  # the expert is not listed


def test_grading_is_blind_until_the_session_closes(api, client, login, db, cast, graders):
    item = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    cid = _create(api, graders[0], [item], cast.version, graders)
    api(graders[0]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 0, 2, 1)}
    )
    seen = api(graders[1]).get(f"/qa/calibrations/{cid}").get_json()
    assert seen["ratings"] is None and seen["results"] is None and seen["my_ratings"] == []
    assert {p["grader"]: p["rated"] for p in seen["progress"]}["qa1"] == [item.id]
    creator_view = api(graders[0]).get(f"/qa/calibrations/{cid}").get_json()
    assert creator_view["ratings"] is None  # not even the creator sees others' values
    login(graders[1])
    form = client.get(f"/qa/calibrations/{cid}/rate/{item.id}").get_data(as_text=True)
    assert "checked" not in form  # nothing pre-filled from another grader
    api(graders[1]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 1, 5, 3)}
    )
    assert api(graders[0]).post(f"/qa/calibrations/{cid}/close").status_code == 200
    after = api(graders[1]).get(f"/qa/calibrations/{cid}").get_json()
    assert len(after["ratings"]) == 6 and after["results"]["alpha"] is not None
    page = client.get(f"/qa/calibrations/{cid}").get_data(as_text=True)
    assert "Krippendorff" in page and "qa1" in page


def test_only_the_creator_closes_and_needs_two_graders_rated(api, db, cast, graders):
    item = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    cid = _create(api, graders[0], [item], cast.version, graders)
    api(graders[0]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 1, 5, 3)}
    )
    assert api(graders[1]).post(f"/qa/calibrations/{cid}/close").status_code == 403
    r = api(graders[0]).post(f"/qa/calibrations/{cid}/close")
    assert r.status_code == 409 and "two graders" in r.get_json()["error"]["message"]
    db.expire_all()
    assert db.get(CalibrationSession, cid).status == "open"


def test_ratings_after_close_and_by_outsiders_are_refused(api, db, cast, graders):
    item = make_interaction(db, cast.agent)
    other = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    cid = _create(api, graders[0], [item], cast.version, graders[:2])
    outsider = graders[2]
    r = api(outsider).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 1, 5, 3)}
    )
    assert r.status_code == 403
    r = api(graders[0]).post(
        f"/qa/calibrations/{cid}/ratings",
        json={"interaction_id": other.id, "ratings": _ratings(ids, 1, 5, 3)},
    )
    assert r.status_code == 400
    r = api(graders[0]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 1, 9, 3)}
    )
    assert r.status_code == 400
    incomplete = [{"criterion_id": ids["greeting"], "value": 1}]
    r = api(graders[0]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": incomplete}
    )
    assert r.status_code == 400
    assert db.exec(select(CalibrationRating)).all() == []
    for g in graders[:2]:
        api(g).post(
            f"/qa/calibrations/{cid}/ratings",
            json={"interaction_id": item.id, "ratings": _ratings(ids, 1, 5, 3)},
        )
    assert api(graders[0]).post(f"/qa/calibrations/{cid}/close").status_code == 200
    late = api(graders[1]).post(
        f"/qa/calibrations/{cid}/ratings", json={"interaction_id": item.id, "ratings": _ratings(ids, 0, 1, 1)}
    )
    assert late.status_code == 409
    assert api(graders[0]).post(f"/qa/calibrations/{cid}/close").status_code == 409


@pytest.mark.parametrize(
    "change",
    [
        {"graders": ["qa1"]},
        {"graders": ["qa1", "qa1"]},
        {"graders": ["qa1", "agent_a"]},
        {"graders": ["qa1", "nobody"]},
        {"interaction_ids": []},
        {"interaction_ids": [987654]},
        {"interaction_ids": "1,2"},
        {"name": ""},
        {"scorecard_version_id": 987654},
        {"scorecard_version_id": "v1"},
    ],
)
def test_bad_calibrations_are_400(api, db, cast, graders, change):
    item = make_interaction(db, cast.agent)
    body = {
        "name": "x",
        "interaction_ids": [item.id],
        "scorecard_version_id": cast.version.id,
        "graders": ["qa1", "qa2"],
        **change,
    }
    r = api(graders[0]).post("/qa/calibrations", json=body)
    assert r.status_code == 400, r.get_json()
    assert db.exec(select(CalibrationSession)).all() == []


def test_agents_and_uninvolved_leads_cannot_see_sessions(api, db, cast, graders):
    item = make_interaction(db, cast.agent)
    cid = _create(api, graders[0], [item], cast.version, graders)
    assert api(cast.agent).get(f"/qa/calibrations/{cid}").status_code == 403
    assert api(cast.lead).get(f"/qa/calibrations/{cid}").status_code == 404
    assert api(cast.agent).post("/qa/calibrations", json={}).status_code == 403


def test_three_graders_five_conversations_through_the_pages(client, login, db, cast, graders):
    items = [make_interaction(db, cast.agent) for _ in range(5)]
    ids = criteria_by_name(db, cast.version)
    login(graders[0])
    r = client.post(
        "/qa/calibrations/new",
        data={
            "name": "五通会话校准",
            "scorecard_version_id": cast.version.id,
            "interaction_ids": ", ".join(str(i.id) for i in items),
            "graders": [g.username for g in graders],
            "expert": "",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    cid = db.exec(select(CalibrationSession)).one().id
    for n, g in enumerate(graders):
        login(g)
        for k, item in enumerate(items):
            data = {
                f"rating_{ids['greeting']}": "1",
                f"rating_{ids['empathy']}": str(5 - (n + k) % 3),
                f"rating_{ids['privacy']}": "3" if (n + k) % 4 else "2",
            }
            assert client.post(f"/qa/calibrations/{cid}/rate/{item.id}", data=data).status_code == 302
    login(graders[0])
    assert client.post(f"/qa/calibrations/{cid}/close").status_code == 302
    page = client.get(f"/qa/calibrations/{cid}").get_data(as_text=True)
    for g in graders:
        assert g.username in page
    stored = db.get(CalibrationSession, cid)
    db.refresh(stored)
    results = stored.result_dict()
    assert len(results["graders"]) == 3 and all(g["deviation"] is not None for g in results["graders"])
    assert results["alpha"] is not None
