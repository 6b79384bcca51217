"""Time helpers. Every datetime in the portal is timezone-aware UTC; SQLModel's UTCDateTime columns
refuse naive values, so a missing time zone is caught at the first write instead of corrupting data."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Convert to aware UTC; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
