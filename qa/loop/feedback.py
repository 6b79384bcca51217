"""Agent feedback: who may see an evaluation, acknowledging it, disputing it within the window, and a lead's
arbitration (uphold, or adjust ratings; the original score stays in ``qa_evaluation_score_history``).

State machine (``EvaluationStatus``): submitted → acknowledged | disputed; disputed → upheld | adjusted.
Every verb takes the session explicitly, writes the audit log, notifies the people concerned and only
flushes; on a :class:`LoopError` nothing has been changed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from portal import audit
from portal.models import Role, User, UserRole
from portal.notifications import notify
from portal.timeutil import to_utc, utcnow
from qa.loop.errors import LoopError, not_found, rating_problems
from qa.loop.feedback_queries import dispute_of, history_of
from qa.loop.models import Dispute, DisputeStatus, ScoreHistory
from qa.models import Evaluation, EvaluationRating, EvaluationStatus, ScorecardCriterion, ScorecardVersion
from qa.scorecards import spec_for
from qa.scoring import RatingError, format_score, score_evaluation

MAX_REASON = 2000
REVIEWER_ROLES = {Role.QA.value, Role.LEAD.value, Role.ADMIN.value}


# --- visibility ------------------------------------------------------------------------------------------


def can_view(evaluation: Evaluation, user: User, roles: set[str]) -> bool:
    """QA specialists, leads and admins see every evaluation; anyone else only their own released ones
    (never a draft, never a calibration one, never another agent's)."""
    if roles & REVIEWER_ROLES:
        return True
    return evaluation.agent_id == user.id and evaluation.state.is_final and not evaluation.is_calibration


def visible_evaluation(session: Session, user: User, roles: set[str], evaluation_id: int) -> Evaluation:
    """The evaluation if ``user`` may see it; 404 otherwise, so that other agents' ids reveal nothing."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not can_view(evaluation, user, roles):
        raise not_found("evaluation", evaluation_id)
    return evaluation


def dispute_deadline(evaluation: Evaluation, window_days: int) -> datetime | None:
    if evaluation.submitted_at is None:
        return None
    return to_utc(evaluation.submitted_at) + timedelta(days=window_days)


def can_dispute_now(evaluation: Evaluation, window_days: int, now: datetime | None = None) -> bool:
    deadline = dispute_deadline(evaluation, window_days)
    return evaluation.state.can_dispute() and deadline is not None and (now or utcnow()) <= deadline


# --- agent verbs -----------------------------------------------------------------------------------------


def _own(evaluation: Evaluation, actor: User, verb: str) -> None:
    if evaluation.agent_id != actor.id:
        raise LoopError(f"only the evaluated agent can {verb} this evaluation", 403)


def acknowledge(session: Session, actor: User, evaluation: Evaluation) -> Evaluation:
    """The agent confirms they have read the evaluation (submitted → acknowledged)."""
    _own(evaluation, actor, "acknowledge")
    if not evaluation.state.can_acknowledge():
        raise LoopError(f"the evaluation is {evaluation.status} and cannot be acknowledged", 409)
    evaluation.status = EvaluationStatus.ACKNOWLEDGED.value
    evaluation.updated_at = utcnow()
    session.add(evaluation)
    audit.record(
        session,
        actor,
        "evaluation.acknowledge",
        "evaluation",
        evaluation.id,
        from_state=EvaluationStatus.SUBMITTED,
        to_state=EvaluationStatus.ACKNOWLEDGED,
    )
    session.flush()
    return evaluation


def _criteria_of(session: Session, version_id: int) -> dict[int, ScorecardCriterion]:
    return {
        c.id: c
        for c in session.exec(select(ScorecardCriterion).where(ScorecardCriterion.version_id == version_id))
    }


def _leads_for(session: Session, agent: User | None) -> list[int]:
    """Leads of the agent's team, or every active lead when the team has none."""
    query = (
        select(User.id, User.team)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.LEAD.value, col(User.is_active).is_(True))
    )
    rows = list(session.exec(query))
    same_team = [uid for uid, team in rows if agent is not None and agent.team and team == agent.team]
    return sorted(set(same_team or [uid for uid, _ in rows]))


def open_dispute(
    session: Session,
    actor: User,
    evaluation: Evaluation,
    reason: Any,
    criteria: Any,
    *,
    window_days: int,
    now: datetime | None = None,
) -> Dispute:
    """The agent disputes some criteria of their evaluation with a reason, within ``window_days`` of its
    submission (submitted → disputed). Notifies the leads and the grader."""
    now = now or utcnow()
    _own(evaluation, actor, "dispute")
    existing = dispute_of(session, evaluation.id)
    if existing is not None:
        raise LoopError("this evaluation has already been disputed", 409)
    if not evaluation.state.can_dispute():
        raise LoopError(f"the evaluation is {evaluation.status} and can no longer be disputed", 409)
    deadline = dispute_deadline(evaluation, window_days)
    if deadline is None or now > deadline:
        raise LoopError(
            f"the dispute window of {window_days} days after submission has closed",
            409,
            details={"deadline": deadline.isoformat() if deadline else None},
        )
    if not isinstance(reason, str) or not reason.strip():
        raise LoopError("give a reason for the dispute", details={"field": "reason"})
    if len(reason) > MAX_REASON:
        raise LoopError(f"the reason has at most {MAX_REASON} characters", details={"field": "reason"})
    if (
        not isinstance(criteria, list)
        or not criteria
        or not all(isinstance(c, int) and not isinstance(c, bool) and 0 < c < 2**31 for c in criteria)
    ):
        raise LoopError("choose at least one criterion to dispute", details={"field": "criteria"})
    known = _criteria_of(session, evaluation.scorecard_version_id)
    unknown = sorted({c for c in criteria if c not in known})
    if unknown:
        raise LoopError(
            f"criteria {unknown} are not on this evaluation's scorecard", details={"field": "criteria"}
        )
    dispute = Dispute(
        evaluation_id=evaluation.id,
        agent_id=actor.id,
        reason=reason.strip(),
        criteria=json.dumps(sorted(set(criteria))),
        opened_at=now,
    )
    session.add(dispute)
    evaluation.status = EvaluationStatus.DISPUTED.value
    evaluation.updated_at = now
    session.add(evaluation)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.dispute",
        "evaluation",
        evaluation.id,
        from_state=EvaluationStatus.SUBMITTED,
        to_state=EvaluationStatus.DISPUTED,
        comment=dispute.reason,
        details={"dispute_id": dispute.id, "criteria": dispute.criterion_ids()},
    )
    agent = session.get(User, evaluation.agent_id)
    for user_id in sorted(set(_leads_for(session, agent)) | {evaluation.grader_id}):
        if user_id != actor.id:
            notify(
                session,
                user_id,
                "dispute_opened",
                url=f"/qa/feedback/{evaluation.id}",
                agent=actor.label,
                ticket_id=evaluation.ticket_id,
            )
    return dispute


# --- arbitration -----------------------------------------------------------------------------------------


def _snapshot(session: Session, evaluation: Evaluation) -> list[dict[str, Any]]:
    rows = session.exec(
        select(EvaluationRating)
        .where(EvaluationRating.evaluation_id == evaluation.id)
        .order_by(EvaluationRating.criterion_id)
    )
    return [{"criterion_id": r.criterion_id, "value": r.value, "comment": r.comment} for r in rows]


def _parse_adjustments(value: Any, known: dict[int, ScorecardCriterion]) -> dict[int, dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise LoopError("an adjustment needs the changed ratings", details={"field": "ratings"})
    out: dict[int, dict[str, Any]] = {}
    for i, r in enumerate(value):
        cid = r.get("criterion_id") if isinstance(r, dict) else None
        if isinstance(cid, bool) or not isinstance(cid, int) or not 0 < cid < 2**31:
            raise LoopError(f"ratings[{i}] needs an integer criterion_id", details={"field": f"ratings[{i}]"})
        if cid not in known:
            raise LoopError(
                f"criterion {cid} is not on this evaluation's scorecard", details={"field": f"ratings[{i}]"}
            )
        if cid in out:
            raise LoopError(f"criterion {cid} appears twice", details={"field": f"ratings[{i}]"})
        val = r.get("value")
        if val is not None and (isinstance(val, bool) or not isinstance(val, int) or abs(val) > 1000):
            raise LoopError(
                f"ratings[{i}].value must be a whole number or null", details={"field": f"ratings[{i}]"}
            )
        comment = r.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise LoopError(f"ratings[{i}].comment must be a string", details={"field": f"ratings[{i}]"})
        out[cid] = {"value": val, "comment": comment}
    return out


def resolve_dispute(
    session: Session,
    actor: User,
    evaluation: Evaluation,
    outcome: Any,
    comment: Any,
    ratings: Any = None,
    *,
    now: datetime | None = None,
) -> Evaluation:
    """A lead arbitrates a dispute: ``upheld`` keeps the score; ``adjusted`` changes ratings (with a
    comment), rescores the evaluation with ``qa.scoring`` and keeps the original score and ratings in the
    history. The grader and the agent of the evaluation may not arbitrate it. Notifies both of them."""
    now = now or utcnow()
    if actor.id in (evaluation.grader_id, evaluation.agent_id):
        raise LoopError("you cannot arbitrate a dispute about your own evaluation", 403)
    dispute = dispute_of(session, evaluation.id)
    if dispute is None or not dispute.state.can_resolve() or not evaluation.state.can_resolve():
        raise LoopError("this evaluation has no open dispute", 409)
    if outcome not in (DisputeStatus.UPHELD.value, DisputeStatus.ADJUSTED.value):
        raise LoopError("outcome must be 'upheld' or 'adjusted'", details={"field": "outcome"})
    if comment is not None and not isinstance(comment, str):
        raise LoopError("comment must be a string", details={"field": "comment"})
    comment = (comment or "").strip()
    if len(comment) > MAX_REASON:
        raise LoopError(f"the comment has at most {MAX_REASON} characters", details={"field": "comment"})
    before = {"score": evaluation.score, "auto_fail": evaluation.auto_fail}

    if outcome == DisputeStatus.ADJUSTED.value:
        if not comment:
            raise LoopError("explain the adjustment in a comment", details={"field": "comment"})
        version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
        known = _criteria_of(session, version.id)
        changes = _parse_adjustments(ratings, known)
        rows = {
            r.criterion_id: r
            for r in session.exec(
                select(EvaluationRating).where(EvaluationRating.evaluation_id == evaluation.id)
            )
        }
        values = {cid: r.value for cid, r in rows.items()}
        changed = [cid for cid, ch in changes.items() if cid not in values or values[cid] != ch["value"]]
        if not changed:
            raise LoopError("no rating changed; uphold the evaluation instead", details={"field": "ratings"})
        values.update({cid: ch["value"] for cid, ch in changes.items()})
        try:
            result = score_evaluation(spec_for(session, version), values)
        except RatingError as exc:
            raise rating_problems(exc) from None
        if not history_of(session, evaluation.id):
            session.add(
                ScoreHistory(
                    evaluation_id=evaluation.id,
                    kind="original",
                    score=evaluation.score,
                    raw_score=evaluation.raw_score,
                    auto_fail=evaluation.auto_fail,
                    ratings=json.dumps(_snapshot(session, evaluation)),
                    changed_by_id=evaluation.grader_id,
                    changed_at=evaluation.submitted_at or evaluation.created_at,
                )
            )
            session.flush()
        for cid, ch in changes.items():
            row = rows.get(cid)
            if row is None:
                row = EvaluationRating(evaluation_id=evaluation.id, criterion_id=cid)
            row.value = ch["value"]
            if ch["comment"] is not None:
                row.comment = ch["comment"].strip()
            session.add(row)
        evaluation.score = result.score
        evaluation.raw_score = result.raw_score
        evaluation.auto_fail = result.auto_fail
        evaluation.auto_fail_reasons = json.dumps(result.auto_fail_reasons, ensure_ascii=False)
        session.flush()
        session.add(
            ScoreHistory(
                evaluation_id=evaluation.id,
                kind="adjusted",
                score=result.score,
                raw_score=result.raw_score,
                auto_fail=result.auto_fail,
                ratings=json.dumps(_snapshot(session, evaluation)),
                comment=comment,
                changed_by_id=actor.id,
                changed_at=now,
            )
        )

    evaluation.status = outcome
    evaluation.updated_at = now
    dispute.status = outcome
    dispute.resolved_at = now
    dispute.resolved_by_id = actor.id
    dispute.resolution_comment = comment
    session.add(evaluation)
    session.add(dispute)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.resolve",
        "evaluation",
        evaluation.id,
        from_state=EvaluationStatus.DISPUTED,
        to_state=outcome,
        comment=comment or None,
        details={"before": before, "after": {"score": evaluation.score, "auto_fail": evaluation.auto_fail}},
    )
    for user_id in sorted({evaluation.agent_id, evaluation.grader_id}):
        notify(
            session,
            user_id,
            "dispute_resolved",
            url=f"/qa/feedback/{evaluation.id}",
            ticket_id=evaluation.ticket_id,
            outcome=f"{outcome} ({format_score(evaluation.score)})",
        )
    return evaluation
