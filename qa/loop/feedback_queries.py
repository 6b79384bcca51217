"""Reading disputes, score history and the lists of the quality loop (an agent's evaluations, the dispute queue)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from qa.loop.models import Dispute, DisputeStatus, ScoreHistory
from qa.models import Evaluation, EvaluationStatus


def dispute_of(session: Session, evaluation_id: int) -> Dispute | None:
    return session.exec(select(Dispute).where(Dispute.evaluation_id == evaluation_id)).first()


def disputes_for(session: Session, evaluation_ids: list[int]) -> dict[int, Dispute]:
    if not evaluation_ids:
        return {}
    rows = session.exec(select(Dispute).where(col(Dispute.evaluation_id).in_(evaluation_ids)))
    return {d.evaluation_id: d for d in rows}


def history_of(session: Session, evaluation_id: int) -> list[ScoreHistory]:
    return list(
        session.exec(
            select(ScoreHistory).where(ScoreHistory.evaluation_id == evaluation_id).order_by(ScoreHistory.id)
        )
    )


def my_evaluations(session: Session, agent_id: int, limit: int = 200) -> list[Evaluation]:
    """The agent's released, non-calibration evaluations, newest first."""
    return list(
        session.exec(
            select(Evaluation)
            .where(
                Evaluation.agent_id == agent_id,
                Evaluation.status != EvaluationStatus.DRAFT.value,
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
    query = select(Dispute, Evaluation).join(Evaluation, Evaluation.id == Dispute.evaluation_id)
    if open_only:
        query = query.where(Dispute.status == DisputeStatus.OPEN.value).order_by(
            Dispute.opened_at, Dispute.id
        )
    else:
        query = query.where(Dispute.status != DisputeStatus.OPEN.value).order_by(
            col(Dispute.resolved_at).desc(), col(Dispute.id).desc()
        )
    return list(session.exec(query.limit(limit)).all())
