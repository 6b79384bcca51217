"""Report pages, API and exports on stored data: adjusted scores count, calibration and drafts do not, and
the CSV / XLSX files hold the figures the page shows."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from qa.models import Evaluation
from tests.factories import criteria_by_name, make_evaluation, make_interaction

NOV = {"from": "2024-11-01", "to": "2024-11-30"}


@pytest.fixture
def month(db, cast):
    """agent_a: 100 and 75 (the 75 disputed later); agent_b: an auto-fail (0), one unevaluated
    conversation, one draft and one calibration-flagged evaluation (neither counts)."""
    a1, a2 = make_interaction(db, cast.agent, csat=5), make_interaction(db, cast.agent, csat=3)
    b1, _b2 = (
        make_interaction(db, cast.other_agent, channel="phone", csat=1),
        make_interaction(db, cast.other_agent),
    )
    b3, b4 = make_interaction(db, cast.other_agent), make_interaction(db, cast.other_agent)
    make_evaluation(db, cast.grader, a1, cast.version)
    disputed = make_evaluation(db, cast.grader, a2, cast.version, {"greeting": 1, "empathy": 3, "privacy": 3})
    make_evaluation(db, cast.grader, b1, cast.version, {"greeting": 1, "empathy": 5, "privacy": 1})
    make_evaluation(db, cast.grader, b3, cast.version, submit=False)
    calib = make_evaluation(db, cast.grader, b4, cast.version, {"greeting": 0, "empathy": 1, "privacy": 1})
    calib.is_calibration = True
    db.add(calib)
    db.commit()
    return disputed


def _rows(api, user, **params):
    r = api(user).get("/qa/reports/iqs", query_string={**NOV, **params})
    assert r.status_code == 200, r.get_json()
    return [(x["key"], round(x["iqs"], 3), x["n"]) for x in r.get_json()["rows"]]


def test_iqs_api_counts_released_non_calibration_scores(api, cast, month):
    assert _rows(api, cast.lead, group_by="agent") == [("agent_a", 87.5, 2), ("agent_b", 0.0, 1)]
    assert _rows(api, cast.lead, group_by="channel") == [("chat", 87.5, 2), ("phone", 0.0, 1)]
    assert _rows(api, cast.grader, group_by="week") == [("2024-W47", 58.333, 3)]
    assert _rows(api, cast.lead, group_by="team") == [("一组", 58.333, 3)]


def test_adjusted_score_counts_and_history_keeps_the_original(api, db, cast, month):
    ids = criteria_by_name(db, cast.version)
    assert (
        api(cast.agent)
        .post(
            f"/qa/evaluations/{month.id}/dispute", json={"reason": "我已共情", "criteria": [ids["empathy"]]}
        )
        .status_code
        == 201
    )
    r = api(cast.lead).post(
        f"/qa/evaluations/{month.id}/resolve",
        json={
            "outcome": "adjusted",
            "comment": "同意",
            "ratings": [{"criterion_id": ids["empathy"], "value": 5}],
        },
    )
    assert r.status_code == 200
    assert _rows(api, cast.lead, group_by="agent") == [("agent_a", 100.0, 2), ("agent_b", 0.0, 1)]
    assert [h["score"] for h in r.get_json()["history"]] == [75.0, 100.0]
    db.expire_all()
    assert db.get(Evaluation, month.id).score == 100.0


def test_page_figures_and_exports_match(client, login, cast, month):
    login(cast.lead)
    page = client.get("/qa/reports", query_string={**NOV, "group_by": "agent"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "style=" not in html
    for figure in ("87.5", "58.3", "33.3"):  # agent_a, overall, privacy failure rate (1 of 3)
        assert figure in html

    r = client.get("/qa/reports/export.csv", query_string={**NOV, "group_by": "agent", "table": "iqs"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[1:] == [["agent_a", "87.5", "2"], ["agent_b", "0.0", "1"]]
    for cell in ("87.5", "agent_a"):
        assert cell in html

    coverage = client.get("/qa/reports/export.csv", query_string={**NOV, "table": "coverage"})
    cov = list(csv.reader(io.StringIO(coverage.get_data().decode("utf-8-sig"))))[1:]
    assert cov == [["agent_b", "4", "1", "25.0"], ["agent_a", "2", "2", "100.0"]]

    x = client.get("/qa/reports/export.xlsx", query_string={**NOV, "group_by": "agent"})
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.get_data()))
    assert len(wb.sheetnames) == 6
    first = wb[wb.sheetnames[0]]
    values = [[c.value for c in row] for row in first.iter_rows(min_row=2)]
    assert values == [["agent_a", 87.5, 2], ["agent_b", 0.0, 1]]
    criteria = wb[wb.sheetnames[2]]
    failing = {row[0].value: row[3].value for row in criteria.iter_rows(min_row=2)}
    assert failing["privacy"] == 33.3 and failing["greeting"] == 0.0


def test_empty_period_is_a_clear_answer(api, client, login, cast, month):
    assert api(cast.lead).get("/qa/reports/iqs?from=2023-01-01&to=2023-01-31").get_json()["rows"] == []
    login(cast.lead)
    page = client.get("/qa/reports?from=2023-01-01&to=2023-01-31")
    assert page.status_code == 200
    x = client.get("/qa/reports/export.xlsx?from=2023-01-01&to=2023-01-31")
    assert x.status_code == 200 and load_workbook(io.BytesIO(x.get_data()))


@pytest.mark.parametrize(
    "query",
    ["from=2024-13-01", "from=2024-11-30&to=2024-11-01", "group_by=colour", "from=2020-01-01&to=2024-01-01"],
)
def test_bad_report_parameters_are_400(api, client, login, cast, query):
    r = api(cast.lead).get(f"/qa/reports/iqs?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["message"]
    login(cast.lead)
    assert client.get(f"/qa/reports?{query}").status_code == 400
    assert client.get(f"/qa/reports/export.csv?{query}").status_code == 400


def test_agents_cannot_read_reports(api, client, login, cast):
    assert api(cast.agent).get("/qa/reports/iqs").status_code == 403
    login(cast.agent)
    assert client.get("/qa/reports").status_code == 403
    assert client.get("/qa/reports/export.xlsx").status_code == 403


def test_bulletin_praises_and_lists_common_problems(client, login, cast, month):
    login(cast.lead)
    r = client.get("/qa/reports/bulletin?period=month&date=2024-11-15")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "agent_a" in html and "privacy" in html and "2024-11-01" in html
    assert client.get("/qa/reports/bulletin?period=year").status_code == 400
    assert client.get("/qa/reports/bulletin?period=week&date=2023-01-02").status_code == 200
