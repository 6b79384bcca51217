"""Tables of calibration sessions (prefix ``qa_calibration``).

Calibration ratings live in their own table rather than as ``Evaluation`` rows: every QA specialist may open
any evaluation by URL, so keeping a session's ratings out of ``qa_evaluations`` is what makes grading blind
until the session closes (and they can never leak into IQS).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow


class CalibrationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    def can_rate(self) -> bool:
        return self is CalibrationStatus.OPEN

    def can_close(self) -> bool:
        return self is CalibrationStatus.OPEN


class CalibrationSession(SQLModel, table=True):
    """Several graders score the same interactions blind; ``results`` (JSON) is fixed when it closes."""

    __tablename__ = "qa_calibrations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    scorecard_version_id: int = Field(foreign_key="qa_scorecard_versions.id")
    expert_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default=CalibrationStatus.OPEN.value, sa_type=sa.String(20), index=True)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="users.id")
    alpha: float | None = None
    results: str = Field(default="{}", sa_type=sa.Text)

    @property
    def state(self) -> CalibrationStatus:
        return CalibrationStatus(self.status)

    def result_dict(self) -> dict:
        return dict(json.loads(self.results or "{}"))


class CalibrationItem(SQLModel, table=True):
    __tablename__ = "qa_calibration_items"
    __table_args__ = (
        sa.UniqueConstraint("calibration_id", "interaction_id", name="uq_qa_calibration_items"),
    )

    id: int | None = Field(default=None, primary_key=True)
    calibration_id: int = Field(foreign_key="qa_calibrations.id", index=True, ondelete="CASCADE")
    interaction_id: int = Field(foreign_key="qa_interactions.id")
    position: int = Field(default=0)


class CalibrationGrader(SQLModel, table=True):
    __tablename__ = "qa_calibration_graders"

    calibration_id: int = Field(foreign_key="qa_calibrations.id", primary_key=True, ondelete="CASCADE")
    grader_id: int = Field(foreign_key="users.id", primary_key=True)


class CalibrationRating(SQLModel, table=True):
    """One grader's rating of one criterion of one interaction; ``value`` None = N/A."""

    __tablename__ = "qa_calibration_ratings"
    __table_args__ = (
        sa.UniqueConstraint(
            "calibration_id", "grader_id", "interaction_id", "criterion_id", name="uq_qa_calibration_ratings"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    calibration_id: int = Field(foreign_key="qa_calibrations.id", index=True, ondelete="CASCADE")
    grader_id: int = Field(foreign_key="users.id")
    interaction_id: int = Field(foreign_key="qa_interactions.id")
    criterion_id: int = Field(foreign_key="qa_scorecard_criteria.id")
    value: int | None = None
    comment: str = Field(default="", sa_type=sa.Text)
    rated_at: datetime = Field(default_factory=utcnow)
