"""Sampling plans (table ``qa_sampling_plans``, with their agents and graders) and the sampled items."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


class SamplingPlan(SQLModel, table=True):
    """What to sample and how; drawn once (``drawn_at``). ``channels`` is a JSON array of channel names; the
    chosen agents and graders are rows of ``qa_sampling_plan_agents`` / ``qa_sampling_plan_graders``."""

    __tablename__ = "qa_sampling_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    period_kind: str = Field(default=PeriodKind.CUSTOM.value, sa_type=sa.String(10))
    date_from: date
    date_to: date  # inclusive
    channels: str = Field(default="[]", sa_type=sa.Text)
    team: str | None = Field(default=None, sa_type=sa.String(64))
    csat_at_most: int | None = None
    complaints_only: bool = Field(default=False)
    quota_per_agent: int = Field(default=5)
    always_complaints: bool = Field(default=False)
    always_csat_at_most: int | None = None
    always_cap: int | None = None
    seed: int = Field(sa_type=sa.BigInteger)
    due_days: int = Field(default=7)
    scorecard_id: int | None = Field(default=None, foreign_key="qa_scorecards.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    drawn_at: datetime | None = None
    # Per-agent figures of the draw (JSON list), kept because populations change after the draw.
    summary: str = Field(default="[]", sa_type=sa.Text)

    def channel_list(self) -> list[str]:
        return list(json.loads(self.channels or "[]"))

    def summary_list(self) -> list[dict]:
        return list(json.loads(self.summary or "[]"))

    def can_draw(self) -> bool:
        return self.drawn_at is None

    def can_edit(self) -> bool:
        return self.drawn_at is None


class SamplingPlanAgent(SQLModel, table=True):
    """An agent a plan is limited to (no rows: every agent, or the plan's team)."""

    __tablename__ = "qa_sampling_plan_agents"

    plan_id: int = Field(foreign_key="qa_sampling_plans.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True)


class SamplingPlanGrader(SQLModel, table=True):
    """A QA specialist the plan's sample is assigned to; ``position`` keeps the order of the round-robin."""

    __tablename__ = "qa_sampling_plan_graders"

    plan_id: int = Field(foreign_key="qa_sampling_plans.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True)
    position: int = Field(default=0)


class SampleStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class SampleItem(SQLModel, table=True):
    """One sampled interaction, assigned to a grader. An interaction is sampled at most once."""

    __tablename__ = "qa_sample_items"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="qa_sampling_plans.id", index=True, ondelete="CASCADE")
    interaction_id: int = Field(foreign_key="qa_interactions.id", unique=True)
    grader_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    reason: str = Field(sa_type=sa.String(12))
    position: int = Field(default=0)
    due_on: date | None = None
    status: str = Field(default=SampleStatus.PENDING.value, sa_type=sa.String(12))
