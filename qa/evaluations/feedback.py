"""Agent feedback: who may see an evaluation, acknowledging it and disputing it within the window (a lead's
arbitration is in ``qa.evaluations.disputes``).

State machine (``EvaluationStatus``): submitted → acknowledged | disputed; disputed → upheld | adjusted.
Every verb takes the session explicitly, writes the audit log, notifies the people concerned and only
flushes; on a :class:`DomainError` nothing has been changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from portal import audit
from portal.db import saved_id
from portal.domain import DomainError, not_found
from portal.masking import free_text_masker
from portal.models import Role, User, UserRole
from portal.notifications import PageLink, notify
from portal.timeutil import to_utc, utcnow
from portal.transitions import compare_and_set, current
from qa.evaluations.models import (
    Dispute,
    DisputeCriterion,
    Evaluation,
    EvaluationStatus,
)
from qa.evaluations.queries import dispute_of
from qa.evaluations.schemas import DisputeInput
from qa.scorecards.models import ScorecardCriterion

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
        raise DomainError(f"only the evaluated agent can {verb} this evaluation", 403)


def acknowledge(session: Session, actor: User, evaluation: Evaluation) -> Evaluation:
    """The agent confirms they have read the evaluation (submitted → acknowledged)."""
    _own(evaluation, actor, "acknowledge")
    if not evaluation.state.can_acknowledge():
        raise DomainError(f"the evaluation is {evaluation.status} and cannot be acknowledged", 409)
    _claim(session, evaluation, EvaluationStatus.ACKNOWLEDGED, utcnow(), "acknowledged")
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


def _claim(session: Session, evaluation: Evaluation, to: EvaluationStatus, now: datetime, verb: str) -> None:
    """Move a submitted evaluation to ``to`` iff it is still submitted: of an acknowledgement and a
    dispute (or two disputes) sent at once only one wins; the other is refused before it writes."""
    if not compare_and_set(
        session,
        evaluation,
        {"status": EvaluationStatus.SUBMITTED.value},
        {"status": to.value, "updated_at": now},
    ):
        status = current(session, evaluation, "status")
        if status == EvaluationStatus.DISPUTED.value and verb == "disputed":
            raise DomainError("this evaluation has already been disputed", 409)
        raise DomainError(f"the evaluation was {status} in the meantime and cannot be {verb}", 409)


def criteria_of(session: Session, version_id: int) -> dict[int, ScorecardCriterion]:
    return {
        saved_id(c): c
        for c in session.exec(
            select(ScorecardCriterion).where(col(ScorecardCriterion.version_id) == version_id)
        )
    }


def _leads_for(session: Session, agent: User | None) -> list[int]:
    """Leads of the agent's team, or every active lead when the team has none."""
    query = (
        select(col(User.id), col(User.team))
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(col(UserRole.role) == Role.LEAD.value, col(User.is_active).is_(True))
    )
    rows = [(uid, team) for uid, team in session.exec(query) if uid is not None]
    same_team = [uid for uid, team in rows if agent is not None and agent.team and team == agent.team]
    return sorted(set(same_team or [uid for uid, _ in rows]))


def _may_dispute(
    session: Session, actor: User, evaluation: Evaluation, inp: DisputeInput, window_days: int, now: datetime
) -> None:
    """Refuses another agent, a second dispute, a released-and-answered evaluation, a closed window and
    criteria from another scorecard; writes nothing."""
    _own(evaluation, actor, "dispute")
    existing = dispute_of(session, saved_id(evaluation))
    if existing is not None:
        raise DomainError("this evaluation has already been disputed", 409)
    if not evaluation.state.can_dispute():
        raise DomainError(f"the evaluation is {evaluation.status} and can no longer be disputed", 409)
    deadline = dispute_deadline(evaluation, window_days)
    if deadline is None or now > deadline:
        raise DomainError(
            f"the dispute window of {window_days} days after submission has closed",
            409,
            details={"deadline": deadline.isoformat() if deadline else None},
        )
    known = criteria_of(session, evaluation.scorecard_version_id)
    unknown = sorted({c for c in inp.criteria if c not in known})
    if unknown:
        raise DomainError(
            f"criteria {unknown} are not on this evaluation's scorecard", details={"field": "criteria"}
        )


def _notify_dispute(session: Session, actor: User, evaluation: Evaluation) -> None:
    agent = session.get(User, evaluation.agent_id)
    for user_id in sorted(set(_leads_for(session, agent)) | {evaluation.grader_id}):
        if user_id != actor.id:
            notify(
                session,
                user_id,
                "dispute_opened",
                link=PageLink("qa.feedback", {"evaluation_id": saved_id(evaluation)}),
                agent=actor.label,
                ticket_id=evaluation.ticket_id,
            )


def open_dispute(
    session: Session,
    actor: User,
    evaluation: Evaluation,
    inp: DisputeInput,
    *,
    window_days: int,
    now: datetime | None = None,
) -> Dispute:
    """The agent disputes some criteria of their evaluation with a reason, within ``window_days`` of its
    submission (submitted → disputed). Notifies the leads and the grader. The reason is stored masked."""
    now = now or utcnow()
    inp = inp.masked(free_text_masker(session))
    _may_dispute(session, actor, evaluation, inp, window_days, now)
    _claim(session, evaluation, EvaluationStatus.DISPUTED, now, "disputed")

    dispute = Dispute(
        evaluation_id=saved_id(evaluation), agent_id=saved_id(actor), reason=inp.reason, opened_at=now
    )
    session.add(dispute)
    session.flush()
    criteria = sorted(set(inp.criteria))
    session.add_all(DisputeCriterion(dispute_id=saved_id(dispute), criterion_id=c) for c in criteria)
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
        details={"dispute_id": dispute.id, "criteria": criteria},
    )
    _notify_dispute(session, actor, evaluation)
    return dispute
