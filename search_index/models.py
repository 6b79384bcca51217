"""Search tables (prefix ``search_``): pending index changes, the search log and admin settings.

Flask-free on purpose (``search_index`` imports nothing from Flask or ``portal``).  User and article ids
are plain indexed integers, not foreign keys: the log outlives deleted articles and users, and a change
row must be writable in any transaction that touches an article, before or after it is deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

#: Longest query text kept in the log (the index itself searches at most 200 characters).
LOG_QUERY_MAX = 200
LOG_FILTER_MAX = 200


def _utcnow() -> datetime:
    # portal.timeutil.utcnow, repeated here because search_index must not import portal.
    return datetime.now(UTC)


class SearchChange(SQLModel, table=True):
    """ "Article ``article_id`` changed": written in the same transaction as the change itself.

    Every node applies the rows to its own index in id order and remembers which it applied (see
    :mod:`search_index.sync.catchup`), so a crash between commit and index write loses nothing.
    """

    __tablename__ = "search_changes"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(index=True)
    created_at: datetime = Field(default_factory=_utcnow, index=True)


class SearchLog(SQLModel, table=True):
    """One search from the page or the API (the CLI is not logged), and the result the user opened."""

    __tablename__ = "search_log"

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(sa_type=sa.String(LOG_QUERY_MAX))
    #: Normalised form (lower case, simplified, single spaces) that analytics group by.
    query_norm: str = Field(sa_type=sa.String(LOG_QUERY_MAX), index=True)
    user_id: int | None = Field(default=None, index=True)
    source: str = Field(default="page", sa_type=sa.String(10))
    result_count: int = Field(default=0)
    #: The category filter the user chose, if any.
    category: str | None = Field(default=None, sa_type=sa.String(LOG_FILTER_MAX))
    tag: str | None = Field(default=None, sa_type=sa.String(LOG_FILTER_MAX))
    #: Category of the best hit: lets analytics break searches down by category without a filter.
    top_category: str | None = Field(default=None, sa_type=sa.String(LOG_FILTER_MAX))
    clicked_article_id: int | None = Field(default=None)
    clicked_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=_utcnow, index=True)


class SearchSetting(SQLModel, table=True):
    """Admin-edited search settings as text: ``synonyms`` (synonym rules) and ``userdict`` (jieba words).

    ``revision`` grows with every save; each worker polls the revisions and reloads what changed, so an
    edit reaches every worker and node without a restart or a reindex.
    """

    __tablename__ = "search_settings"

    key: str = Field(primary_key=True, sa_type=sa.String(40))
    value: str = Field(default="", sa_type=sa.Text)
    revision: int = Field(default=0)
    updated_at: datetime = Field(default_factory=_utcnow)
    updated_by: int | None = Field(default=None)


class SearchVector(SQLModel, table=True):
    """The semantic vector of one article: computed once, shared by every worker and node.

    ``content_hash`` is the hash of the embedded text and the model name (:mod:`search_index.semantic.vectors`), so an
    unchanged article is never re-embedded and a model change re-embeds everything.  ``vector`` holds
    ``dim`` little-endian float16 values (:func:`search_index.semantic.model.vector_to_bytes`).
    """

    __tablename__ = "search_vectors"

    article_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    model: str = Field(sa_type=sa.String(40), index=True)
    content_hash: str = Field(sa_type=sa.String(64))
    dim: int = Field(default=0)
    vector: bytes = Field(sa_type=sa.LargeBinary)
    updated_at: datetime = Field(default_factory=_utcnow)
