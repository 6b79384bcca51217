"""Conversations (table ``qa_interactions``) and their masked transcripts (``qa_transcript_turns``)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow


class Channel(StrEnum):
    """Where the conversation took place."""

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
