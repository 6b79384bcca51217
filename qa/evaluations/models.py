"""Evaluations and what happens to them after submission (tables ``qa_evaluation*``, ``qa_disputes``):
the ratings, the agent's dispute and the score history kept when a lead adjusts a disputed evaluation."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow
from qa.scorecards.scoring import ScoreResult

# The rows the rule "an interaction is evaluated once" covers (the predicate of a partial unique index; the
# same text works on SQLite and PostgreSQL, and an upsert must repeat it to name that index).
OPEN_TO_ONE_EVALUATION = "is_calibration = false"


class EvaluationStatus(StrEnum):
    """draft → submitted → acknowledged | disputed → upheld | adjusted."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    UPHELD = "upheld"
    ADJUSTED = "adjusted"

    def can_edit(self) -> bool:
        return self is EvaluationStatus.DRAFT

    def can_submit(self) -> bool:
        return self is EvaluationStatus.DRAFT

    def can_acknowledge(self) -> bool:
        return self is EvaluationStatus.SUBMITTED

    def can_dispute(self) -> bool:
        return self is EvaluationStatus.SUBMITTED

    def can_resolve(self) -> bool:
        return self is EvaluationStatus.DISPUTED

    @property
    def is_final(self) -> bool:
        """The grader has released it: visible to the agent and counted in reports."""
        return self is not EvaluationStatus.DRAFT


class Evaluation(SQLModel, table=True):
    """One grader's scoring of one interaction on one scorecard version.

    ``score`` keeps full precision (None while a draft is incomplete or when every criterion is N/A);
    ``raw_score`` is the score before an auto-fail. Calibration evaluations (``is_calibration``) never count
    in IQS. ``article_id`` is a plain integer (the knowledge-base article that should have been used);
    ``no_article`` says none exists yet, ``gap_note`` describes the gap.
    """

    __tablename__ = "qa_evaluations"
    # An interaction is evaluated once: two graders (or one grader's parallel requests) starting an
    # evaluation at the same moment make one row, never two. Calibration rows are outside the rule.
    __table_args__ = (
        sa.Index(
            "uq_qa_evaluations_interaction",
            "interaction_id",
            unique=True,
            sqlite_where=sa.text(OPEN_TO_ONE_EVALUATION),
            postgresql_where=sa.text(OPEN_TO_ONE_EVALUATION),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="qa_interactions.id", index=True)
    scorecard_version_id: int = Field(foreign_key="qa_scorecard_versions.id", index=True)
    grader_id: int = Field(foreign_key="users.id", index=True)
    agent_id: int = Field(foreign_key="users.id", index=True)
    ticket_id: str = Field(sa_type=sa.String(64), index=True)
    status: str = Field(default=EvaluationStatus.DRAFT.value, sa_type=sa.String(20), index=True)
    is_calibration: bool = Field(default=False)
    score: float | None = None
    raw_score: float | None = None
    auto_fail: bool = Field(default=False)
    auto_fail_reasons: str = Field(default="[]", sa_type=sa.Text)
    comment: str = Field(default="", sa_type=sa.Text)
    article_id: int | None = None
    no_article: bool = Field(default=False)
    gap_note: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None

    @property
    def state(self) -> EvaluationStatus:
        return EvaluationStatus(self.status)

    def reasons(self) -> list[str]:
        return list(json.loads(self.auto_fail_reasons or "[]"))

    def set_result(self, result: ScoreResult | None) -> None:
        """The one place an evaluation's score is written: from a computed result, or cleared (None) while
        the ratings are incomplete. Drafts, submissions and adjustments after a dispute all come here."""
        self.score = result.score if result else None
        self.raw_score = result.raw_score if result else None
        self.auto_fail = bool(result and result.auto_fail)
        self.auto_fail_reasons = json.dumps(result.auto_fail_reasons if result else [], ensure_ascii=False)

    @property
    def counts_in_iqs(self) -> bool:
        """Submitted (or later), not calibration, and with a score."""
        return self.state.is_final and not self.is_calibration and self.score is not None


class EvaluationRating(SQLModel, table=True):
    """The rating of one criterion; ``value`` None means N/A. A criterion without a row is not rated yet
    (drafts only). ``evidence`` is a quote from the (masked) transcript."""

    __tablename__ = "qa_evaluation_ratings"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "criterion_id", name="uq_qa_ratings_criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="qa_evaluations.id", index=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="qa_scorecard_criteria.id", index=True)
    value: int | None = None
    comment: str = Field(default="", sa_type=sa.Text)
    evidence: str = Field(default="", sa_type=sa.Text)


class DisputeStatus(StrEnum):
    """open → upheld | adjusted (the evaluation takes the same final state)."""

    OPEN = "open"
    UPHELD = "upheld"
    ADJUSTED = "adjusted"

    def can_resolve(self) -> bool:
        return self is DisputeStatus.OPEN


class Dispute(SQLModel, table=True):
    """An agent's objection to some criteria (``qa_dispute_criteria``) of one evaluation; at most one per
    evaluation."""

    __tablename__ = "qa_disputes"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="qa_evaluations.id", unique=True, ondelete="CASCADE")
    agent_id: int = Field(foreign_key="users.id", index=True)
    reason: str = Field(sa_type=sa.Text)
    status: str = Field(default=DisputeStatus.OPEN.value, sa_type=sa.String(20), index=True)
    opened_at: datetime = Field(default_factory=utcnow, index=True)
    resolved_at: datetime | None = None
    resolved_by_id: int | None = Field(default=None, foreign_key="users.id")
    resolution_comment: str = Field(default="", sa_type=sa.Text)

    @property
    def state(self) -> DisputeStatus:
        return DisputeStatus(self.status)


class DisputeCriterion(SQLModel, table=True):
    """A criterion the agent disputes."""

    __tablename__ = "qa_dispute_criteria"

    dispute_id: int = Field(foreign_key="qa_disputes.id", primary_key=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="qa_scorecard_criteria.id", primary_key=True)


class ScoreHistory(SQLModel, table=True):
    """A snapshot of an evaluation's score and ratings: ``original`` before the first adjustment, then one
    ``adjusted`` row per adjustment. The evaluation row always holds the current score."""

    __tablename__ = "qa_evaluation_score_history"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="qa_evaluations.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=sa.String(20))
    score: float | None = None
    raw_score: float | None = None
    auto_fail: bool = Field(default=False)
    ratings: str = Field(default="[]", sa_type=sa.Text)  # JSON [{criterion_id, value, comment}]
    comment: str = Field(default="", sa_type=sa.Text)
    changed_by_id: int | None = Field(default=None, foreign_key="users.id")
    changed_at: datetime = Field(default_factory=utcnow)

    def rating_list(self) -> list[dict]:
        return list(json.loads(self.ratings or "[]"))
