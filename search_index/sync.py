"""Keeping each node's search index in step with the database (DESIGN §2, §5).

Services call ``article_changed(session, article_id)`` inside the transaction that changes an article's
searchable text or visibility.  This module records the change durably and applies it to the local index
after the commit.  (Until the search package lands this is a no-op with the final signature.)
"""

from __future__ import annotations

from sqlmodel import Session


def article_changed(session: Session, article_id: int) -> None:
    """Record that article ``article_id`` must be re-indexed (or removed) once this transaction commits."""
    return None
