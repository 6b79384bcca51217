"""The admin's extra masking patterns as stored (the table keeps its historical ``qa_`` name)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow


class MaskingPattern(SQLModel, table=True):
    """An admin-configured extra masking pattern (a validated regular expression)."""

    __tablename__ = "qa_masking_patterns"

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(sa_type=sa.String(64))
    pattern: str = Field(sa_type=sa.String(500))
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
