"""The typed query of `GET /api/v1/search`: what the model refuses is a 400 naming the parameter."""

from __future__ import annotations

import pytest

from tests.search.helpers import people


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (f"limit={2**70}", "limit"),
        (f"offset={2**70}", "offset"),
        ("include_unpublished=yes", "include_unpublished"),
    ],
)
def test_bad_parameters_name_the_field(app, db, api, args, field):
    agent, _lead, _admin = people(db)
    response = api(agent).get(f"/search?{args}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and error["details"]["field"] == field


def test_search_parameters_are_generated_from_the_model(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 100 and params["limit"]["schema"]["minimum"] == 1
    assert params["include_unpublished"]["schema"]["type"] == "boolean"
    assert all(p["in"] == "query" and p["required"] is False for p in params.values())
