"""Versioned scorecards and evaluations (tables ``qa_scorecard*``, ``qa_evaluation*``).

A scorecard version is frozen (``frozen_at``) as soon as an evaluation uses it; editing a frozen version
makes a new version, and old evaluations keep pointing at theirs."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow
from qa.scoring import Scale


class Scorecard(SQLModel, table=True):
    __tablename__ = "qa_scorecards"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200), unique=True)
    description: str = Field(default="", sa_type=sa.Text)
    is_default: bool = Field(default=False)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")


class ScorecardVersion(SQLModel, table=True):
    __tablename__ = "qa_scorecard_versions"
    __table_args__ = (sa.UniqueConstraint("scorecard_id", "number", name="uq_qa_scorecard_versions_number"),)

    id: int | None = Field(default=None, primary_key=True)
    scorecard_id: int = Field(foreign_key="qa_scorecards.id", index=True)
    number: int = Field(default=1)
    mode: str = Field(sa_type=sa.String(20))
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    frozen_at: datetime | None = None

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def can_edit_in_place(self) -> bool:
        """An unused version may be changed; a used one is history and gets a successor instead."""
        return self.frozen_at is None


class ScorecardSection(SQLModel, table=True):
    __tablename__ = "qa_scorecard_sections"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="qa_scorecard_versions.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name: str = Field(sa_type=sa.String(200))
    weight: float = Field(default=1.0)


class ScorecardCriterion(SQLModel, table=True):
    __tablename__ = "qa_scorecard_criteria"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="qa_scorecard_versions.id", index=True, ondelete="CASCADE")
    section_id: int = Field(foreign_key="qa_scorecard_sections.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    name: str = Field(sa_type=sa.String(200))
    description: str = Field(default="", sa_type=sa.Text)
    scale: str = Field(default=Scale.BINARY.value, sa_type=sa.String(10))
    points: float = Field(default=1.0)
    allow_na: bool = Field(default=False)
    critical: bool = Field(default=False)
    # JSON object {"<scale value>": "what this level means"}, e.g. {"1": "...", "3": "..."}.
    guidance: str = Field(default="{}", sa_type=sa.Text)

    @property
    def scale_enum(self) -> Scale:
        return Scale(self.scale)

    def guidance_map(self) -> dict[int, str]:
        return {int(k): str(v) for k, v in json.loads(self.guidance or "{}").items() if str(v).strip()}


class EvaluationStatus(StrEnum):
    """draft → submitted → acknowledged | disputed → upheld | adjusted (DESIGN §3)."""

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
