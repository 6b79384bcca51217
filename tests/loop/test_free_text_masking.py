"""Free texts staff type are stored masked: evaluation comments, evidence and gap notes, dispute reasons,
resolution comments, calibration comments. Typed through the pages and the API as people do, then read back
where people read them: no raw phone number, resident ID or e-mail address in the database or on a page.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from portal.masking import mask_text
from qa.evaluations.services import EvaluationInput, RatingInput
from qa.models import CalibrationRating, Dispute, Evaluation, EvaluationRating, ScoreHistory
from tests.factories import criteria_by_name, make_evaluation, make_interaction, make_user

PHONE, RESIDENT_ID, EMAIL = "13812345678", "11010519491231002X", "zhang.san@example.com"
TYPED = f"客户电话{PHONE}，身份证{RESIDENT_ID}，邮箱{EMAIL}"
MASKED = "客户电话138****5678，身份证110***********002X，邮箱z********@example.com"


def assert_masked(text: str) -> None:
    for raw in (PHONE, RESIDENT_ID, EMAIL):
        assert raw not in text


def stored_texts(db, *columns) -> list[str]:
    db.expire_all()
    return [value for column in columns for value in db.exec(select(column)).all() if value]


def test_evaluation_comments_evidence_and_gap_note_are_stored_and_shown_masked(api, client, login, db, cast):
    # The transcript is stored masked; a grader who quotes the customer's number as they heard it still
    # quotes the transcript.
    interaction = make_interaction(
        db, cast.agent, turns=[("customer", f"我的电话是{PHONE[:3]}****{PHONE[-4:]}")]
    )
    ids = criteria_by_name(db, cast.version)
    body = {
        "interaction_id": interaction.id,
        "scorecard_version_id": cast.version.id,
        "ratings": [
            {"criterion_id": ids["greeting"], "value": 1},
            {"criterion_id": ids["empathy"], "value": 5, "comment": TYPED, "evidence": f"我的电话是{PHONE}"},
            {"criterion_id": ids["privacy"], "value": 3},
        ],
        "comment": TYPED,
        "no_article": True,
        "gap_note": TYPED,
        "submit": True,
    }
    response = api(cast.grader).post("/qa/evaluations", json=body)
    assert response.status_code == 201, response.get_json()
    evaluation_id = response.get_json()["id"]
    texts = stored_texts(
        db, Evaluation.comment, Evaluation.gap_note, EvaluationRating.comment, EvaluationRating.evidence
    )
    assert texts.count(MASKED) == 3 and f"我的电话是{PHONE[:3]}****{PHONE[-4:]}" in texts
    assert_masked("\n".join(texts))
    detail = api(cast.grader).get(f"/qa/evaluations/{evaluation_id}").get_data(as_text=True)
    assert_masked(detail)
    login(cast.agent)
    page = client.get(f"/qa/feedback/{evaluation_id}").get_data(as_text=True)
    assert "138****5678" in page
    assert_masked(page)


def test_the_evaluation_form_stores_the_comment_masked(client, login, db, cast):
    interaction = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    login(cast.grader)
    empathy = ids["empathy"]
    data = {f"rating_{empathy}": "5", f"comment_{empathy}": TYPED, "comment": TYPED, "gap_note": TYPED}
    response = client.post(f"/qa/interactions/{interaction.id}/evaluate", data=data)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
    texts = stored_texts(db, Evaluation.comment, Evaluation.gap_note, EvaluationRating.comment)
    assert texts.count(MASKED) == 3
    assert_masked("\n".join(texts))


def test_dispute_reason_and_resolution_comments_are_stored_and_shown_masked(api, client, login, db, cast):
    interaction = make_interaction(db, cast.agent)
    evaluation = make_evaluation(
        db, cast.grader, interaction, cast.version, {"greeting": 1, "empathy": 3, "privacy": 3}
    )
    empathy = criteria_by_name(db, cast.version)["empathy"]
    login(cast.agent)
    r = client.post(f"/qa/feedback/{evaluation.id}/dispute", data={"reason": TYPED, "criteria": [empathy]})
    assert r.status_code == 302
    r = api(cast.lead).post(
        f"/qa/evaluations/{evaluation.id}/resolve",
        json={
            "outcome": "adjusted",
            "comment": TYPED,
            "ratings": [{"criterion_id": empathy, "value": 5, "comment": TYPED}],
        },
    )
    assert r.status_code == 200, r.get_json()
    assert_masked(r.get_data(as_text=True))
    texts = stored_texts(db, Dispute.reason, Dispute.resolution_comment, EvaluationRating.comment)
    assert texts.count(MASKED) == 3
    assert_masked("\n".join(texts + stored_texts(db, ScoreHistory.comment)))
    for who in (cast.agent, cast.lead):
        login(who)
        page = client.get(f"/qa/feedback/{evaluation.id}").get_data(as_text=True)
        assert "138****5678" in page
        assert_masked(page)
    login(cast.lead)
    assert_masked(client.get("/qa/disputes").get_data(as_text=True))


def test_calibration_comments_are_stored_masked(api, db, cast):
    graders = [make_user(db, f"cal{i}", ("qa",)) for i in (1, 2)]
    item = make_interaction(db, cast.agent)
    ids = criteria_by_name(db, cast.version)
    r = api(graders[0]).post(
        "/qa/calibrations",
        json={
            "name": "十一月校准",
            "interaction_ids": [item.id],
            "scorecard_version_id": cast.version.id,
            "graders": [g.username for g in graders],
        },
    )
    assert r.status_code == 201, r.get_json()
    ratings = [
        {"criterion_id": ids["greeting"], "value": 1, "comment": TYPED},
        {"criterion_id": ids["empathy"], "value": 5},
        {"criterion_id": ids["privacy"], "value": 3},
    ]
    r = api(graders[0]).post(
        f"/qa/calibrations/{r.get_json()['id']}/ratings", json={"interaction_id": item.id, "ratings": ratings}
    )
    assert r.status_code == 200, r.get_json()
    assert stored_texts(db, CalibrationRating.comment) == [MASKED]


def test_a_comment_masked_already_is_stored_unchanged(db, cast):
    # What a page shows (masked) and is typed or pasted again is not masked a second time.
    interaction = make_interaction(db, cast.agent)
    evaluation = make_evaluation(
        db, cast.grader, interaction, cast.version, submit=False, comment=TYPED, gap_note=MASKED
    )
    db.refresh(evaluation)
    assert evaluation.comment == MASKED and evaluation.gap_note == MASKED


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -.@abcxyz号码电话X\n"), max_size=60))
def test_masking_a_typed_input_twice_changes_nothing(text):
    once = EvaluationInput(
        ratings=[RatingInput(1, 1, comment=text, evidence=text)], comment=text, gap_note=text
    )
    masked = once.masked(lambda value: mask_text(value).text)
    again = masked.masked(lambda value: mask_text(value).text)
    assert again == masked
