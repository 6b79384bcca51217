"""One handler answers every service refusal (portal.domain.DomainError): the API with the standard error
body, a page with the error page (reading, or 403/404) or a flash on the page the form came from."""

from __future__ import annotations

import pytest

from portal.auth import public
from portal.domain import DomainError, NotFound


class Conflict(DomainError):
    status = 409


@pytest.fixture
def app_with_refusals(app):
    app.config["WTF_CSRF_ENABLED"] = False

    def refuse():
        raise Conflict("the plan has been drawn already", details={"problems": ["drawn"]})

    def missing():
        raise NotFound("plan 7 not found")

    for prefix in ("/api/v1/test", "/test"):
        app.add_url_rule(f"{prefix}/refuse", f"refuse{prefix}", public(refuse), methods=["GET", "POST"])
        app.add_url_rule(f"{prefix}/missing", f"missing{prefix}", public(missing), methods=["GET", "POST"])
    return app


def test_the_api_gets_the_standard_error_body(app_with_refusals):
    client = app_with_refusals.test_client()
    response = client.post("/api/v1/test/refuse")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "conflict",
            "message": "the plan has been drawn already",
            "details": {"problems": ["drawn"]},
        }
    }
    response = client.get("/api/v1/test/missing")
    assert response.status_code == 404
    assert response.get_json()["error"] == {"code": "not_found", "message": "plan 7 not found", "details": {}}


def test_a_page_shows_the_error_page_when_reading_and_says_no_more_than_not_found(app_with_refusals):
    client = app_with_refusals.test_client()
    response = client.get("/test/refuse")
    assert response.status_code == 409
    assert "the plan has been drawn already" in response.get_data(as_text=True)
    response = client.post("/test/missing")
    assert response.status_code == 404
    assert "plan 7" not in response.get_data(as_text=True)


def test_a_refused_form_goes_back_with_the_message(app_with_refusals):
    client = app_with_refusals.test_client()
    response = client.post("/test/refuse", headers={"Referer": "http://localhost/somewhere?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] in ("http://localhost/somewhere?x=1", "/somewhere?x=1")
    with client.session_transaction() as session:
        assert ("error", "the plan has been drawn already") in session["_flashes"]
    response = client.post("/test/refuse", headers={"Referer": "https://elsewhere.example/"})
    assert response.headers["Location"] in ("/", "http://localhost/")
