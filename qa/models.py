"""Quality-inspection tables (prefix ``qa_``): interactions and their masked transcripts,
sampling plans and sample items. Scorecards and evaluations live in ``qa.scorecard_models`` and are
re-exported here, so ``from qa.models import ...`` works for every qa table."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.masking import MaskingPattern  # re-exported: the table moved to portal.masking
from portal.timeutil import utcnow


class Channel(StrEnum):
    """Where the conversation took place (DESIGN §7)."""

    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"
    ECOMMERCE = "ecommerce"
    OTHER = "other"


class Speaker(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"


class Interaction(SQLModel, table=True):
    """One conversation (会话) of an agent with a customer. Its transcript is stored masked only."""

    __tablename__ = "qa_interactions"
    __table_args__ = (
        # The import's duplicate rule: the same ticket, agent and start time is the same conversation.
        sa.UniqueConstraint(
            "ticket_id", "agent_id", "started_at", name="uq_qa_interactions_ticket_agent_start"
        ),
        # The sampling draw filters by period first, then agent and channel; csat and complaint make the
        # index covering, so a draw over a million rows never touches the table (3x faster on SQLite).
        sa.Index("ix_qa_interactions_draw_cover", "started_at", "agent_id", "channel", "csat", "complaint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(sa_type=sa.String(64), index=True)
    channel: str = Field(sa_type=sa.String(20))
    agent_id: int = Field(foreign_key="users.id", index=True)
    started_at: datetime
    ended_at: datetime | None = None
    csat: int | None = None
    complaint: bool = Field(default=False)
    masked_values: int = Field(default=0)
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by_id: int | None = Field(default=None, foreign_key="users.id")


class TranscriptTurn(SQLModel, table=True):
    """One turn of a transcript. ``text`` is already masked; ``spans`` (JSON ``[[start, end, label], ...]``)
    says where, so the viewer can mark masked values. The unmasked text is never stored."""

    __tablename__ = "qa_transcript_turns"
    __table_args__ = (sa.UniqueConstraint("interaction_id", "seq", name="uq_qa_turns_interaction_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    interaction_id: int = Field(foreign_key="qa_interactions.id", index=True, ondelete="CASCADE")
    seq: int
    speaker: str = Field(sa_type=sa.String(10))
    at: datetime | None = None
    text: str = Field(default="", sa_type=sa.Text)
    spans: str = Field(default="[]", sa_type=sa.Text)

    def span_list(self) -> list[tuple[int, int, str]]:
        return [(int(s), int(e), str(label)) for s, e, label in json.loads(self.spans or "[]")]

    def segments(self) -> list[tuple[str, str | None]]:
        """The text cut into ``(piece, mask label or None)`` for the viewer."""
        out: list[tuple[str, str | None]] = []
        pos = 0
        for start, end, label in sorted(self.span_list()):
            if start > pos:
                out.append((self.text[pos:start], None))
            out.append((self.text[start:end], label))
            pos = end
        if pos < len(self.text):
            out.append((self.text[pos:], None))
        return out


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    CUSTOM = "custom"


class SamplingPlan(SQLModel, table=True):
    """What to sample and how; drawn once (``drawn_at``). Lists are JSON arrays of ids / channel names."""

    __tablename__ = "qa_sampling_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200))
    period_kind: str = Field(default=PeriodKind.CUSTOM.value, sa_type=sa.String(10))
    date_from: date
    date_to: date  # inclusive
    channels: str = Field(default="[]", sa_type=sa.Text)
    agent_ids: str = Field(default="[]", sa_type=sa.Text)
    team: str | None = Field(default=None, sa_type=sa.String(64))
    csat_at_most: int | None = None
    complaints_only: bool = Field(default=False)
    quota_per_agent: int = Field(default=5)
    always_complaints: bool = Field(default=False)
    always_csat_at_most: int | None = None
    always_cap: int | None = None
    seed: int = Field(sa_type=sa.BigInteger)
    grader_ids: str = Field(default="[]", sa_type=sa.Text)
    due_days: int = Field(default=7)
    scorecard_id: int | None = Field(default=None, foreign_key="qa_scorecards.id")
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    drawn_at: datetime | None = None
    # Per-agent figures of the draw (JSON list), kept because populations change after the draw.
    summary: str = Field(default="[]", sa_type=sa.Text)

    def channel_list(self) -> list[str]:
        return list(json.loads(self.channels or "[]"))

    def agent_id_list(self) -> list[int]:
        return [int(i) for i in json.loads(self.agent_ids or "[]")]

    def grader_id_list(self) -> list[int]:
        return [int(i) for i in json.loads(self.grader_ids or "[]")]

    def summary_list(self) -> list[dict]:
        return list(json.loads(self.summary or "[]"))

    def can_draw(self) -> bool:
        return self.drawn_at is None

    def can_edit(self) -> bool:
        return self.drawn_at is None


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


from qa.scorecard_models import (  # noqa: E402  (re-export; that module needs nothing from here)
    Evaluation,
    EvaluationRating,
    EvaluationStatus,
    Scorecard,
    ScorecardCriterion,
    ScorecardSection,
    ScorecardVersion,
)

__all__ = [
    "Channel",
    "Evaluation",
    "EvaluationRating",
    "EvaluationStatus",
    "Interaction",
    "MaskingPattern",
    "PeriodKind",
    "SampleItem",
    "SampleStatus",
    "SamplingPlan",
    "Scorecard",
    "ScorecardCriterion",
    "ScorecardSection",
    "ScorecardVersion",
    "Speaker",
    "TranscriptTurn",
]
