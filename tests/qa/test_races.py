"""State changes of the qa rooms sent at the same moment to a real ``portal serve`` (two worker processes):
every transition is a compare-and-set, so of the requests racing for one state exactly one wins and the
others get a 409 (never a 500), and the stored state is one a user could have reached one request at a
time. On SQLite, and on PostgreSQL with ``PORTAL_TEST_DATABASE_URL``."""

from __future__ import annotations

import os
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from sqlmodel import col, func, select

from qa.calibration import services as calibrations
from qa.calibration.models import CalibrationRating, CalibrationSession
from qa.calibration.schemas import CalibrationInput, CalibrationRatingInput, CalibrationRatings
from qa.evaluations.models import Dispute, Evaluation, ScoreHistory
from qa.models import SampleItem, Scorecard, ScorecardVersion
from tests.factories import make_interaction, make_scorecard, make_token, make_user
from tests.factories.loop import criteria_by_name, make_evaluation
from tests.factories.qa import BASE_TIME, make_plan
from tests.security.test_last_admin_race import Browser
from tests.serving import call, serve

ROUNDS = 4


@contextmanager
def _server(app, database_url, tmp_path):
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=database_url,
        PORTAL_INSTANCE_DIR=str(tmp_path / "node"),
        PORTAL_INDEX_DIR=str(tmp_path / "node" / "index"),
        PORTAL_SECRET_KEY=app.config["SECRET_KEY"],
        PORTAL_SEMANTIC="off",
    )
    with serve(env, tmp_path / "node.log", workers=2) as (port, _proc):
        yield port


def _at_once(port, requests: list[tuple[str, str, str, dict | None]]) -> list[tuple[int, dict | None]]:
    """Send ``(method, path, token, body)`` requests from as many threads released together; the answers
    in the same order."""
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[int, dict | None]] = [(0, None)] * len(requests)

    def send(i, method, path, token, body):
        barrier.wait(timeout=30)
        answers[i] = call(port, method, path, token, body)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _statuses(answers) -> list[int]:
    return sorted(status for status, _ in answers)


def _cast(db):
    _card, version = make_scorecard(db)
    return (
        make_user(db, "agent_a", ("agent",), team="一组"),
        make_user(db, "grader", ("qa",)),
        make_user(db, "lead", ("lead",), team="一组"),
        make_user(db, "lead2", ("lead",), team="一组"),
        version,
    )


def test_acknowledge_and_dispute_sent_together(app, db, database_url, tmp_path):
    agent, grader, _lead, _lead2, version = _cast(db)
    token = make_token(db, agent)
    greeting = criteria_by_name(db, version)["greeting"]
    evaluations = [make_evaluation(db, grader, make_interaction(db, agent), version) for _ in range(ROUNDS)]
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for evaluation in evaluations:
            base = f"/api/v1/qa/evaluations/{evaluation.id}"
            answers = _at_once(
                port,
                [
                    ("POST", f"{base}/acknowledge", token, None),
                    ("POST", f"{base}/dispute", token, {"reason": "没有说错", "criteria": [greeting]}),
                ],
            )
            db.expire_all()
            stored = db.get(Evaluation, evaluation.id)
            dispute = db.exec(select(Dispute).where(Dispute.evaluation_id == evaluation.id)).first()
            outcomes.append((_statuses(answers), stored.status, dispute.status if dispute else None, answers))
    for statuses, status, dispute, answers in outcomes:
        assert statuses in ([200, 409], [201, 409]), outcomes
        # What the winner said is what is stored; an acknowledged evaluation has no dispute.
        assert (status, dispute) in (("acknowledged", None), ("disputed", "open")), outcomes
        assert (status == "acknowledged") == (answers[0][0] == 200), outcomes
        loser = answers[1] if answers[0][0] == 200 else answers[0]
        assert loser[1]["error"]["code"] == "conflict", outcomes


def test_parallel_disputes_of_one_evaluation(app, db, database_url, tmp_path):
    agent, grader, _lead, _lead2, version = _cast(db)
    token = make_token(db, agent)
    greeting = criteria_by_name(db, version)["greeting"]
    evaluations = [make_evaluation(db, grader, make_interaction(db, agent), version) for _ in range(ROUNDS)]
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for evaluation in evaluations:
            body = {"reason": "没有说错", "criteria": [greeting]}
            path = f"/api/v1/qa/evaluations/{evaluation.id}/dispute"
            answers = _at_once(port, [("POST", path, token, body)] * 6)
            db.expire_all()
            disputes = db.exec(select(func.count()).where(Dispute.evaluation_id == evaluation.id)).one()
            outcomes.append((_statuses(answers), db.get(Evaluation, evaluation.id).status, disputes))
    for statuses, status, disputes in outcomes:
        assert statuses == [201] + [409] * 5, outcomes
        assert (status, disputes) == ("disputed", 1), outcomes


def test_parallel_creates_of_one_evaluation_make_one_draft(app, db, database_url, tmp_path):
    agent, grader, _lead, _lead2, version = _cast(db)
    token = make_token(db, grader)
    greeting = criteria_by_name(db, version)["greeting"]
    interactions = [make_interaction(db, agent) for _ in range(ROUNDS)]
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for interaction in interactions:
            body = {
                "interaction_id": interaction.id,
                "scorecard_version_id": version.id,
                "ratings": [{"criterion_id": greeting, "value": 1}],
            }
            answers = _at_once(port, [("POST", "/api/v1/qa/evaluations", token, body)] * 8)
            db.expire_all()
            rows = db.exec(select(Evaluation).where(Evaluation.interaction_id == interaction.id)).all()
            outcomes.append((_statuses(answers), [(e.status, e.grader_id) for e in rows]))
    for statuses, rows in outcomes:
        counts = Counter(statuses)
        assert counts[201] == 1 and counts[200] + counts[409] == 7, outcomes
        assert rows == [("draft", grader.id)], outcomes


def test_two_plans_drawn_at_once_share_no_interaction(app, db, database_url, tmp_path):
    agents = [make_user(db, f"agent{i}", ("agent",)) for i in range(3)]
    grader = make_user(db, "grader", ("qa",))
    token = make_token(db, grader)
    rounds = []
    for r in range(ROUNDS):
        start = BASE_TIME + timedelta(days=10 * r)
        for agent in agents:
            for k in range(12):
                make_interaction(db, agent, started_at=start + timedelta(minutes=k), commit=False)
        db.commit()
        window = {"date_from": start.date() - timedelta(days=1), "date_to": start.date() + timedelta(days=1)}
        # Quotas that take most of the same candidates: the samples overlap unless drawn one after the other.
        rounds.append([make_plan(db, grader, quota_per_agent=9, seed=s, **window) for s in (1, 2)])
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for plan_a, plan_b in rounds:
            answers = _at_once(
                port,
                [("POST", f"/api/v1/qa/sampling-plans/{p.id}/draw", token, None) for p in (plan_a, plan_b)],
            )
            db.expire_all()
            items = db.exec(
                select(SampleItem.plan_id, SampleItem.interaction_id).where(
                    col(SampleItem.plan_id).in_([plan_a.id, plan_b.id])
                )
            ).all()
            per_plan = Counter(plan_id for plan_id, _ in items)
            outcomes.append((_statuses(answers), per_plan, len({i for _, i in items}) == len(items), answers))
    for statuses, per_plan, disjoint, answers in outcomes:
        # Drawn one after the other: the second plan takes what the first left (3 agents × 3 each).
        assert statuses == [200, 200], outcomes
        assert sorted(per_plan.values()) == [9, 27], outcomes
        assert disjoint, outcomes
        assert sorted(len(body["sample"]) for _, body in answers) == [9, 27], outcomes


def test_two_leads_resolving_one_dispute_at_once(app, db, database_url, tmp_path):
    agent, grader, lead, lead2, version = _cast(db)
    tokens = [make_token(db, lead), make_token(db, lead2)]
    ids = criteria_by_name(db, version)
    evaluations = []
    for _ in range(ROUNDS):
        evaluation = make_evaluation(db, grader, make_interaction(db, agent), version)
        db.add(Dispute(evaluation_id=evaluation.id, agent_id=agent.id, reason="没有说错"))
        evaluation.status = "disputed"
        db.add(evaluation)
        db.commit()
        evaluations.append(evaluation)
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for evaluation in evaluations:
            path = f"/api/v1/qa/evaluations/{evaluation.id}/resolve"
            bodies = [
                {
                    "outcome": "adjusted",
                    "comment": "改分",
                    "ratings": [{"criterion_id": ids["greeting"], "value": 0}],
                },
                {
                    "outcome": "adjusted",
                    "comment": "改分",
                    "ratings": [{"criterion_id": ids["empathy"], "value": 1}],
                },
            ]
            answers = _at_once(port, [("POST", path, t, b) for t, b in zip(tokens, bodies, strict=True)])
            db.expire_all()
            history = db.exec(
                select(ScoreHistory.kind).where(ScoreHistory.evaluation_id == evaluation.id)
            ).all()
            dispute = db.exec(select(Dispute).where(Dispute.evaluation_id == evaluation.id)).one()
            outcomes.append(
                (
                    _statuses(answers),
                    db.get(Evaluation, evaluation.id).status,
                    dispute.status,
                    sorted(history),
                )
            )
    for statuses, status, dispute, history in outcomes:
        assert statuses == [200, 409], outcomes
        assert (status, dispute, history) == ("adjusted", "adjusted", ["adjusted", "original"]), outcomes


def test_calibration_closed_while_a_grader_rates(app, db, database_url, tmp_path):
    _agent, creator, _lead, _lead2, version = _cast(db)
    graders = [make_user(db, f"cal{i}", ("qa",)) for i in range(3)]
    tokens = {g.id: make_token(db, g) for g in graders}
    creator_token = make_token(db, creator)
    ids = criteria_by_name(db, version)
    values = {"greeting": 1, "empathy": 4, "privacy": 3}
    interaction = make_interaction(db, _agent)
    sessions = []
    for r in range(ROUNDS):
        cal = calibrations.create_calibration(
            db,
            creator,
            CalibrationInput(
                name=f"校准 {r}",
                interaction_ids=[interaction.id],
                scorecard_version_id=version.id,
                graders=[g.username for g in graders],
            ),
        )
        for g in graders[:2]:
            calibrations.submit_ratings(
                db,
                g,
                cal,
                CalibrationRatings(
                    interaction.id, [CalibrationRatingInput(ids[n], v) for n, v in values.items()]
                ),
            )
        db.commit()
        sessions.append(cal)
    late = graders[2]
    body = {
        "interaction_id": interaction.id,
        "ratings": [{"criterion_id": ids[n], "value": v} for n, v in values.items()],
    }
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for cal in sessions:
            base = f"/api/v1/qa/calibrations/{cal.id}"
            answers = _at_once(
                port,
                [
                    ("POST", f"{base}/close", creator_token, None),
                    ("POST", f"{base}/ratings", tokens[late.id], body),
                ],
            )
            db.expire_all()
            stored = db.get(CalibrationSession, cal.id)
            late_rows = db.exec(
                select(func.count()).where(
                    CalibrationRating.calibration_id == cal.id, CalibrationRating.grader_id == late.id
                )
            ).one()
            in_results = late.username in {g["grader"] for g in stored.result_dict().get("graders", [])}
            outcomes.append(([s for s, _ in answers], stored.status, late_rows, in_results))
    for (close, rate), status, late_rows, in_results in outcomes:
        assert close == 200 and rate in (200, 201, 409), outcomes
        assert status == "closed", outcomes
        # A rating stored in a closed session is one its results counted.
        assert (late_rows > 0) == in_results == (rate != 409), outcomes


def test_parallel_scorecards_with_one_name(app, db, database_url, tmp_path):
    grader = make_user(db, "grader", ("qa",))
    token = make_token(db, grader)
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        for r in range(ROUNDS):
            body = {
                "name": f"同名评分表 {r}",
                "sections": [{"name": "A", "criteria": [{"name": "greeting"}]}],
            }
            answers = _at_once(port, [("POST", "/api/v1/qa/scorecards", token, body)] * 4)
            db.expire_all()
            stored = db.exec(select(func.count()).where(Scorecard.name == body["name"])).one()
            outcomes.append(
                (_statuses(answers), stored, {a[1]["error"]["code"] for a in answers if a[0] != 201})
            )
    for statuses, stored, codes in outcomes:
        # A name taken at the same moment is a conflict, as a name taken before is.
        assert statuses == [201, 409, 409, 409], outcomes
        assert stored == 1 and codes == {"conflict"}, outcomes


def test_scorecard_edited_while_an_evaluation_starts_on_it(app, db, database_url, tmp_path):
    """An unused version is edited in place, a used one gets a successor: an evaluation started at the
    moment of the edit either uses the version before the edit (which then gets a successor) or is refused
    because its criteria are gone, never stored with ratings of criteria that no longer exist."""
    agent = make_user(db, "agent_a", ("agent",))
    grader = make_user(db, "grader", ("qa",))
    editor = make_user(db, "editor", ("qa",))
    token = make_token(db, grader)
    rounds = []
    for r in range(ROUNDS + 2):
        card, version = make_scorecard(db, f"评分表 {r}")
        rounds.append((card, version, criteria_by_name(db, version)["greeting"], make_interaction(db, agent)))
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        browser = Browser(port)
        browser.log_in(editor.username)
        for card, version, greeting, interaction in rounds:
            form = {
                "csrf_token": browser.csrf(f"/qa/scorecards/{card.id}/edit"),
                "name": card.name,
                "mode": "points",
                "sections-0-name": "新",
                "sections-0-weight": "1",
                "criteria-0-section": "1",
                "criteria-0-name": "问候",
                "criteria-0-scale": "binary",
                "criteria-0-points": "1",
            }
            body = {
                "interaction_id": interaction.id,
                "scorecard_version_id": version.id,
                "ratings": [{"criterion_id": greeting, "value": 1}],
            }
            barrier = threading.Barrier(2)
            answers: dict[str, int] = {}

            def edit(form=form, card=card, barrier=barrier, answers=answers):
                barrier.wait(timeout=30)
                answers["edit"] = browser.request(f"/qa/scorecards/{card.id}/edit", form)[0]

            def evaluate(body=body, barrier=barrier, answers=answers):
                barrier.wait(timeout=30)
                answers["evaluate"] = call(port, "POST", "/api/v1/qa/evaluations", token, body)[0]

            threads = [threading.Thread(target=edit), threading.Thread(target=evaluate)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            db.expire_all()
            versions = db.exec(select(func.count()).where(ScorecardVersion.scorecard_id == card.id)).one()
            stored = db.exec(select(Evaluation).where(Evaluation.interaction_id == interaction.id)).first()
            outcomes.append((answers, versions, stored.scorecard_version_id if stored else None))
        for answers, versions, used in outcomes:
            assert answers["edit"] == 302 and answers["evaluate"] in (201, 400), outcomes
            if answers["evaluate"] == 201:  # the evaluation kept its version: the edit made a new one
                assert versions == 2 and used is not None, outcomes
            else:  # the edit came first, in place: the old criterion is gone, the rating refused
                assert versions == 1 and used is None, outcomes


def test_two_edits_of_a_used_scorecard_at_once(app, db, database_url, tmp_path):
    """Each edit of a version in use makes the next version; two at once make two, numbered in turn."""
    agent = make_user(db, "agent_a", ("agent",))
    grader = make_user(db, "grader", ("qa",))
    editors = [make_user(db, f"editor{i}", ("qa",)) for i in range(2)]
    cards = []
    for r in range(ROUNDS):
        card, version = make_scorecard(db, f"评分表 {r}")
        make_evaluation(db, grader, make_interaction(db, agent), version)  # version 1 is in use
        cards.append(card)
    outcomes = []
    with _server(app, database_url, tmp_path) as port:
        browsers = [Browser(port) for _ in editors]
        for browser, editor in zip(browsers, editors, strict=True):
            browser.log_in(editor.username)
        for card in cards:
            forms = [
                {
                    "csrf_token": b.csrf(f"/qa/scorecards/{card.id}/edit"),
                    "name": card.name,
                    "mode": "points",
                    "sections-0-name": f"改 {i}",
                    "sections-0-weight": "1",
                    "criteria-0-section": "1",
                    "criteria-0-name": "问候",
                    "criteria-0-scale": "binary",
                    "criteria-0-points": "1",
                }
                for i, b in enumerate(browsers)
            ]
            barrier = threading.Barrier(2)
            statuses: list[int] = []

            def edit(browser, form, card=card, barrier=barrier, statuses=statuses):
                barrier.wait(timeout=30)
                statuses.append(browser.request(f"/qa/scorecards/{card.id}/edit", form)[0])

            threads = [threading.Thread(target=edit, args=pair) for pair in zip(browsers, forms, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            db.expire_all()
            numbers = db.exec(
                select(ScorecardVersion.number)
                .where(ScorecardVersion.scorecard_id == card.id)
                .order_by(ScorecardVersion.number)
            ).all()
            outcomes.append((sorted(statuses), numbers))
    for statuses, numbers in outcomes:
        assert statuses == [302, 302], outcomes
        # The first edit made version 2 (version 1 is in use); the second changed version 2 in place or,
        # had an evaluation used it meanwhile, made version 3: never a clash of two versions 2.
        assert numbers == [1, 2], outcomes
