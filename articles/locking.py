"""Optimistic locking of articles: every write carries the version it read.

The version bump is a conditional UPDATE, so of two concurrent writers that read the same version only
one can win; the other gets ``StaleVersion`` and nothing of its write is kept.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from articles.errors import StaleVersion
from articles.models import Article
from portal.timeutil import utcnow

_STALE = _l("Someone else changed this article in the meantime. Nothing was saved.")


def require_version(article: Article, expected_version: int | None) -> None:
    """Refuse a write that read an older version than the loaded one (``None``: the caller did not say)."""
    if expected_version is not None and expected_version != article.version:
        raise StaleVersion(
            _STALE, details={"current_version": article.version, "your_version": expected_version}
        )


def claim(session: Session, article: Article, expected_version: int | None) -> None:
    """Bump the version iff it is still ``expected_version`` (or the loaded one when not given)."""
    require_version(article, expected_version)
    now = utcnow()
    result = session.exec(
        update(Article)
        .where(col(Article.id) == article.id, col(Article.version) == article.version)
        .values(version=article.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(_STALE, details={"your_version": expected_version})
    set_committed_value(article, "version", article.version + 1)
    set_committed_value(article, "updated_at", now)
