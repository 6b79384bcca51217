"""The typed contract of the qa API: a JSON boolean is true/false only (the string "false" was read as
true), integers fit their column, numbers are finite, dates lie in 1900–2100, text has no control
characters; each refusal is a 400 naming the field, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from qa.models import Evaluation, SamplingPlan, Scorecard
from qa.scorecards import services as scorecards
from tests.factories import make_interaction, make_scorecard, make_user


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def _field(response) -> str:
    return response.get_json()["error"]["details"].get("field", "")


@pytest.fixture
def graded(db):
    qa = make_user(db, "contract_qa", ("qa",))
    agent = make_user(db, "contract_agent")
    _card, version = make_scorecard(db)
    _sections, criteria = scorecards.sections_and_criteria(db, version.id)
    interaction = make_interaction(db, agent, turns=[("customer", "快递丢了"), ("agent", "您好")])
    ratings = [{"criterion_id": c.id, "value": 1} for c in criteria]
    body = {"interaction_id": interaction.id, "scorecard_version_id": version.id, "ratings": ratings}
    return qa, body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submit": "false"}, "submit"),
        ({"submit": 0}, "submit"),
        ({"no_article": "false"}, "no_article"),
        ({"interaction_id": 2**70}, "interaction_id"),
        ({"article_id": 2**70}, "article_id"),
        ({"comment": "好\x00"}, "comment"),
    ],
)
def test_evaluation_input_is_strict(api, db, graded, change, field):
    qa, body = graded
    response = api(qa).post("/qa/evaluations", json={**body, **change})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert _field(response) == field
    assert _count(db, Evaluation) == 0


def test_a_rating_value_beyond_64_bits_names_the_rating(api, db, graded):
    qa, body = graded
    body["ratings"][0]["value"] = 2**70
    response = api(qa).post("/qa/evaluations", json=body)
    assert response.status_code == 400 and _field(response) == "ratings[0].value"
    body["ratings"][0] = {"criterion_id": "1", "value": 1}
    response = api(qa).post("/qa/evaluations", json=body)
    assert response.status_code == 400 and _field(response) == "ratings[0].criterion_id"
    assert _count(db, Evaluation) == 0


SCORECARD = {
    "name": "电话质检",
    "mode": "points",
    "sections": [
        {"name": "规范", "weight": 1, "criteria": [{"name": "隐私", "scale": "3", "critical": True}]}
    ],
}


@pytest.mark.parametrize(
    ("criterion", "field"),
    [
        ({"critical": "false"}, "sections[0].criteria[0].critical"),
        ({"allow_na": "false"}, "sections[0].criteria[0].allow_na"),
        ({"name": "隐\x00私"}, "sections[0].criteria[0].name"),
    ],
)
def test_scorecard_booleans_and_text_are_strict(api, db, criterion, field):
    qa = make_user(db, "contract_qa2", ("qa",))
    body = {
        **SCORECARD,
        "sections": [{**SCORECARD["sections"][0], "criteria": [{"name": "隐私", **criterion}]}],
    }
    response = api(qa).post("/qa/scorecards", json=body)
    assert response.status_code == 400 and _field(response) == field
    assert _count(db, Scorecard) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_scorecard_weights_must_be_finite(api, db, literal):
    qa = make_user(db, "contract_qa3", ("qa",))
    text = '{"name": "x", "sections": [{"name": "s", "weight": LITERAL, "criteria": [{"name": "c"}]}]}'
    text = text.replace("LITERAL", literal)
    response = api(qa).post("/qa/scorecards", data=text, content_type="application/json")
    assert response.status_code == 400 and _field(response) == "sections[0].weight"
    assert _count(db, Scorecard) == 0


PLAN = {"name": "十一月", "from": "2024-11-01", "to": "2024-11-30"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"complaints_only": "false"}, "complaints_only"),
        ({"always_include": {"complaints": "false"}}, "always_include.complaints"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"seed": 2**70}, "seed"),
        ({"quota_per_agent": 2**70}, "quota_per_agent"),
        ({"name": "十一\x1b月"}, "name"),
    ],
)
def test_sampling_plan_input_is_strict(api, db, change, field):
    qa = make_user(db, "contract_qa4", ("qa",))
    response = api(qa).post("/qa/sampling-plans", json={**PLAN, **change})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert _field(response) == field
    assert _count(db, SamplingPlan) == 0


def test_the_document_has_no_hand_written_qa_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/qa/evaluations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["submit"]["type"] == "boolean"
    assert all("operationId" in op for ops in doc["paths"].values() for op in ops.values())
