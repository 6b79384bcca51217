"""Read-only queries of evaluations: disputes, score history, an agent's evaluations, the dispute queue,
the evaluations of a ticket and what a page shows of one evaluation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from portal.db import saved_id
from portal.domain import not_found
from qa.evaluations import services as ev
from qa.evaluations.models import (
    Dispute,
    DisputeCriterion,
    DisputeStatus,
    Evaluation,
    EvaluationStatus,
    ScoreHistory,
)
from qa.scorecards import services as scorecards
from qa.scorecards.models import Scorecard, ScorecardVersion


def dispute_of(session: Session, evaluation_id: int) -> Dispute | None:
    return session.exec(select(Dispute).where(col(Dispute.evaluation_id) == evaluation_id)).first()


def disputes_for(session: Session, evaluation_ids: list[int]) -> dict[int, Dispute]:
    if not evaluation_ids:
        return {}
    rows = session.exec(select(Dispute).where(col(Dispute.evaluation_id).in_(evaluation_ids)))
    return {d.evaluation_id: d for d in rows}


def dispute_criteria(session: Session, dispute_id: int | None) -> list[int]:
    """The ids of the criteria a dispute is about, in ascending order."""
    return list(
        session.exec(
            select(col(DisputeCriterion.criterion_id))
            .where(col(DisputeCriterion.dispute_id) == dispute_id)
            .order_by(col(DisputeCriterion.criterion_id))
        )
    )


def history_of(session: Session, evaluation_id: int) -> list[ScoreHistory]:
    return list(
        session.exec(
            select(ScoreHistory)
            .where(col(ScoreHistory.evaluation_id) == evaluation_id)
            .order_by(col(ScoreHistory.id))
        )
    )


def my_evaluations(session: Session, agent_id: int, limit: int = 200) -> list[Evaluation]:
    """The agent's released, non-calibration evaluations, newest first."""
    return list(
        session.exec(
            select(Evaluation)
            .where(
                col(Evaluation.agent_id) == agent_id,
                col(Evaluation.status) != EvaluationStatus.DRAFT.value,
                col(Evaluation.is_calibration).is_(False),
            )
            .order_by(col(Evaluation.submitted_at).desc(), col(Evaluation.id).desc())
            .limit(limit)
        )
    )


def dispute_queue(
    session: Session, *, open_only: bool = True, limit: int = 200
) -> list[tuple[Dispute, Evaluation]]:
    """Disputes with their evaluations, oldest open first (a fair queue), or newest resolved first."""
    query = select(Dispute, Evaluation).join(Evaluation, col(Evaluation.id) == col(Dispute.evaluation_id))
    if open_only:
        query = query.where(col(Dispute.status) == DisputeStatus.OPEN.value).order_by(
            col(Dispute.opened_at), col(Dispute.id)
        )
    else:
        query = query.where(col(Dispute.status) != DisputeStatus.OPEN.value).order_by(
            col(Dispute.resolved_at).desc(), col(Dispute.id).desc()
        )
    return list(session.exec(query.limit(limit)).all())


def evaluations_of_ticket(
    session: Session, ticket_id: str, *, include_drafts: bool = False
) -> list[Evaluation]:
    """The evaluations of a ticket (no calibration ones), newest first; drafts only if asked."""
    query = select(Evaluation).where(
        col(Evaluation.ticket_id) == ticket_id, col(Evaluation.is_calibration).is_(False)
    )
    if not include_drafts:
        query = query.where(col(Evaluation.status) != EvaluationStatus.DRAFT.value)
    return list(session.exec(query.order_by(col(Evaluation.id).desc())))


def evaluations_of_agent(
    session: Session,
    agent_id: int,
    *,
    include_drafts: bool = False,
    include_calibration: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Evaluation]:
    """An agent's evaluations, newest first. By default only released (submitted or later), non-calibration
    ones, which is what the agent may see and what IQS counts."""
    query = select(Evaluation).where(col(Evaluation.agent_id) == agent_id)
    if not include_drafts:
        query = query.where(col(Evaluation.status) != EvaluationStatus.DRAFT.value)
    if not include_calibration:
        query = query.where(col(Evaluation.is_calibration).is_(False))
    if since is not None:
        query = query.where(col(Evaluation.submitted_at) >= since)
    if until is not None:
        query = query.where(col(Evaluation.submitted_at) < until)
    return list(session.exec(query.order_by(col(Evaluation.id).desc())))


def evaluation_sheet(session: Session, evaluation: Evaluation) -> dict[str, Any]:
    """What every page that shows an evaluation's ratings renders: its scorecard version and card, the
    sections and criteria, the ratings and the score explained (``result`` is None while incomplete)."""
    version = session.get(ScorecardVersion, evaluation.scorecard_version_id)
    if version is None:  # a foreign key: only a concurrent delete gets here
        raise not_found("scorecard version", evaluation.scorecard_version_id)
    sections, criteria = scorecards.sections_and_criteria(session, saved_id(version))
    return {
        "version": version,
        "card": session.get(Scorecard, version.scorecard_id),
        "sections": sections,
        "criteria": criteria,
        "ratings": ev.ratings_of(session, saved_id(evaluation)),
        "result": ev.explain(session, evaluation),
    }
