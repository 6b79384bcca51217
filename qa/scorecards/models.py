"""Versioned scorecards (tables ``qa_scorecard*``).

A scorecard version is frozen (``frozen_at``) as soon as an evaluation uses it; editing a frozen version
makes a new version, and old evaluations keep pointing at theirs."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow
from qa.scorecards.scoring import Scale


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
