"""A lead's arbitration of a disputed evaluation: uphold it, or adjust some ratings (with a comment) and
rescore it; the original score and ratings stay in ``qa_evaluation_score_history``.

``resolve_dispute`` takes a parsed :class:`~qa.evaluations.schemas.Resolution`, decides (may this lead
resolve it, what changes, the new score) without writing anything, then applies the decision. On a
:class:`DomainError` nothing has been changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from portal import audit
from portal.db import saved_id
from portal.domain import DomainError, not_found
from portal.masking import free_text_masker
from portal.models import User
from portal.notifications import PageLink, notify
from portal.timeutil import utcnow
from portal.transitions import compare_and_set, current
from qa.evaluations.feedback import criteria_of
from qa.evaluations.models import (
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationRating,
    EvaluationStatus,
    ScoreHistory,
)
from qa.evaluations.queries import dispute_of, history_of
from qa.evaluations.schemas import RatingChange, Resolution
from qa.scorecards.models import ScorecardVersion
from qa.scorecards.scoring import ScoreResult, format_score, score_evaluation
from qa.scorecards.services import spec_for


@dataclass
class Adjustment:
    """What an adjustment will write: the changed ratings, the rows they replace and the new score."""

    changes: list[RatingChange]
    rows: dict[int, EvaluationRating]
    result: ScoreResult


# --- decide ----------------------------------------------------------------------------------------------


def _open_dispute_of(session: Session, actor: User, evaluation: Evaluation) -> Dispute:
    if actor.id in (evaluation.grader_id, evaluation.agent_id):
        raise DomainError("you cannot arbitrate a dispute about your own evaluation", 403)
    dispute = dispute_of(session, saved_id(evaluation))
    if dispute is None or not dispute.state.can_resolve() or not evaluation.state.can_resolve():
        raise DomainError("this evaluation has no open dispute", 409)
    return dispute


def _decide_adjustment(session: Session, evaluation: Evaluation, resolution: Resolution) -> Adjustment:
    """The new ratings and score of an adjustment; refuses an unexplained one, unknown criteria and an
    adjustment that changes nothing."""
    if not resolution.comment:
        raise DomainError("explain the adjustment in a comment", details={"field": "comment"})
    if not resolution.ratings:
        raise DomainError("an adjustment needs the changed ratings", details={"field": "ratings"})
    version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
    if version is None:  # a foreign key: only a concurrent delete gets here
        raise not_found("scorecard version", evaluation.scorecard_version_id)
    known = criteria_of(session, evaluation.scorecard_version_id)
    for i, change in enumerate(resolution.ratings):
        if change.criterion_id not in known:
            raise DomainError(
                f"criterion {change.criterion_id} is not on this evaluation's scorecard",
                details={"field": f"ratings[{i}]"},
            )
    rows = {
        r.criterion_id: r
        for r in session.exec(
            select(EvaluationRating).where(col(EvaluationRating.evaluation_id) == evaluation.id)
        )
    }
    values: dict[Any, Any] = {cid: r.value for cid, r in rows.items()}
    changed = [
        c for c in resolution.ratings if c.criterion_id not in values or values[c.criterion_id] != c.value
    ]
    if not changed:
        raise DomainError("no rating changed; uphold the evaluation instead", details={"field": "ratings"})
    values.update({c.criterion_id: c.value for c in resolution.ratings})
    result = score_evaluation(spec_for(session, version), values)  # RatingError: 400 with the problems
    return Adjustment(changes=resolution.ratings, rows=rows, result=result)


# --- apply -----------------------------------------------------------------------------------------------


def _snapshot(session: Session, evaluation: Evaluation) -> list[dict[str, Any]]:
    rows = session.exec(
        select(EvaluationRating)
        .where(col(EvaluationRating.evaluation_id) == evaluation.id)
        .order_by(col(EvaluationRating.criterion_id))
    )
    return [{"criterion_id": r.criterion_id, "value": r.value, "comment": r.comment} for r in rows]


def _history(session: Session, evaluation: Evaluation, kind: str, **fields: Any) -> ScoreHistory:
    return ScoreHistory(
        evaluation_id=saved_id(evaluation),
        kind=kind,
        score=evaluation.score,
        raw_score=evaluation.raw_score,
        auto_fail=evaluation.auto_fail,
        ratings=json.dumps(_snapshot(session, evaluation)),
        **fields,
    )


def _apply_adjustment(
    session: Session, actor: User, evaluation: Evaluation, adjustment: Adjustment, comment: str, now: datetime
) -> None:
    if not history_of(session, saved_id(evaluation)):
        # The first adjustment keeps what the grader submitted.
        session.add(
            _history(
                session,
                evaluation,
                "original",
                changed_by_id=evaluation.grader_id,
                changed_at=evaluation.submitted_at or evaluation.created_at,
            )
        )
        session.flush()
    for change in adjustment.changes:
        row = adjustment.rows.get(change.criterion_id)
        if row is None:
            row = EvaluationRating(evaluation_id=saved_id(evaluation), criterion_id=change.criterion_id)
        row.value = change.value
        if change.comment is not None:
            row.comment = change.comment.strip()
        session.add(row)
    evaluation.set_result(adjustment.result)
    session.flush()
    session.add(
        _history(session, evaluation, "adjusted", comment=comment, changed_by_id=actor.id, changed_at=now)
    )


def _claim(session: Session, evaluation: Evaluation, resolution: Resolution, now: datetime) -> None:
    """Move the evaluation out of "disputed" iff it is still disputed, before anything else is written: of
    two leads resolving at once only one adjusts the ratings, writes the history and closes the dispute
    (every resolver has to win this first, so the dispute row needs no claim of its own); the other gets a
    409 and has written nothing."""
    if not compare_and_set(
        session,
        evaluation,
        {"status": EvaluationStatus.DISPUTED.value},
        {"status": resolution.outcome.value, "updated_at": now},
    ):
        status = current(session, evaluation, "status")
        raise DomainError(f"the dispute was resolved in the meantime (the evaluation is {status})", 409)


def _close(
    session: Session,
    actor: User,
    evaluation: Evaluation,
    dispute: Dispute,
    resolution: Resolution,
    now: datetime,
) -> None:
    outcome = resolution.outcome.value
    evaluation.status = outcome
    evaluation.updated_at = now
    dispute.status = outcome
    dispute.resolved_at = now
    dispute.resolved_by_id = actor.id
    dispute.resolution_comment = resolution.comment
    session.add(evaluation)
    session.add(dispute)
    session.flush()


def resolve_dispute(
    session: Session,
    actor: User,
    evaluation: Evaluation,
    resolution: Resolution,
    *,
    now: datetime | None = None,
) -> Evaluation:
    """A lead arbitrates a dispute: ``upheld`` keeps the score; ``adjusted`` changes ratings (with a
    comment), rescores the evaluation and keeps the original score and ratings in the history. The grader
    and the agent of the evaluation may not arbitrate it. Notifies both of them. The comments are stored
    masked."""
    now = now or utcnow()
    resolution = resolution.masked(free_text_masker(session))
    dispute = _open_dispute_of(session, actor, evaluation)
    adjustment = (
        _decide_adjustment(session, evaluation, resolution)
        if resolution.outcome is DisputeStatus.ADJUSTED
        else None
    )

    before = {"score": evaluation.score, "auto_fail": evaluation.auto_fail}
    _claim(session, evaluation, resolution, now)
    if adjustment is not None:
        _apply_adjustment(session, actor, evaluation, adjustment, resolution.comment, now)
    _close(session, actor, evaluation, dispute, resolution, now)
    audit.record(
        session,
        actor,
        "evaluation.resolve",
        "evaluation",
        evaluation.id,
        from_state=EvaluationStatus.DISPUTED,
        to_state=resolution.outcome.value,
        comment=resolution.comment or None,
        details={"before": before, "after": {"score": evaluation.score, "auto_fail": evaluation.auto_fail}},
    )
    for user_id in sorted({evaluation.agent_id, evaluation.grader_id}):
        notify(
            session,
            user_id,
            "dispute_resolved",
            link=PageLink("qa.feedback", {"evaluation_id": saved_id(evaluation)}),
            ticket_id=evaluation.ticket_id,
            outcome=f"{resolution.outcome.value} ({format_score(evaluation.score)})",
        )
    return evaluation
