"""The one way to write the audit log."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from portal.models import AuditLog, User


def record(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        from_state=None if from_state is None else str(from_state),
        to_state=None if to_state is None else str(to_state),
        comment=comment,
        details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )
    session.add(entry)
    session.flush()
    return entry
