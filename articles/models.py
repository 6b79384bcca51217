"""Knowledge-base tables (prefix ``kb_``) and the workflow enums with their permission checks.

An article is a thin record (identity, lifecycle, lock version, pointers); its content lives in
revisions.  ``live_revision_id`` is the revision agents read; ``current_revision_id`` the newest one,
which is the working copy while an edit is pending.  Every revision is kept.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.timeutil import utcnow

TITLE_MAX = 200
EXTERNAL_ID_MAX = 100
CATEGORY_NAME_MAX = 64
TAG_MAX = 50
TAGS_PER_ARTICLE_MAX = 20
REASON_MAX = 1000
CATEGORY_SEPARATOR = " › "


class ArticleStatus(StrEnum):
    """The article's lifecycle (KCS-style): draft → in_review → published → archived, in_review → rejected.

    A published article stays published while an edit of it is under review; that edit's own state is
    the revision's ``RevisionStatus``."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"

    def can_edit(self) -> bool:
        """Drafts and rejected articles are edited in place; a published one gets a new revision."""
        return self in (ArticleStatus.DRAFT, ArticleStatus.REJECTED, ArticleStatus.PUBLISHED)

    def can_submit(self) -> bool:
        return self in (ArticleStatus.DRAFT, ArticleStatus.REJECTED)

    def can_withdraw(self) -> bool:
        return self is ArticleStatus.IN_REVIEW

    def can_approve(self) -> bool:
        return self is ArticleStatus.IN_REVIEW

    def can_reject(self) -> bool:
        return self is ArticleStatus.IN_REVIEW

    def can_archive(self) -> bool:
        return self is ArticleStatus.PUBLISHED

    def can_link_ticket(self) -> bool:
        return self is not ArticleStatus.ARCHIVED

    def can_receive_feedback(self) -> bool:
        return self is ArticleStatus.PUBLISHED

    def is_live(self) -> bool:
        return self is ArticleStatus.PUBLISHED


# Which article-level transitions exist; everything else is forbidden.
TRANSITIONS: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    ArticleStatus.DRAFT: frozenset({ArticleStatus.IN_REVIEW}),
    ArticleStatus.IN_REVIEW: frozenset(
        {ArticleStatus.PUBLISHED, ArticleStatus.REJECTED, ArticleStatus.DRAFT}
    ),
    ArticleStatus.REJECTED: frozenset({ArticleStatus.IN_REVIEW}),
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.ARCHIVED}),
    ArticleStatus.ARCHIVED: frozenset(),
}


class RevisionStatus(StrEnum):
    """State of one revision. ``superseded``: was live (or an abandoned draft) and was replaced."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"

    def can_edit_in_place(self) -> bool:
        return self is RevisionStatus.DRAFT

    def can_submit(self) -> bool:
        return self in (RevisionStatus.DRAFT, RevisionStatus.REJECTED)

    def can_withdraw(self) -> bool:
        return self is RevisionStatus.IN_REVIEW

    def can_approve(self) -> bool:
        return self is RevisionStatus.IN_REVIEW

    def can_reject(self) -> bool:
        return self is RevisionStatus.IN_REVIEW

    def is_pending(self) -> bool:
        return self in (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW, RevisionStatus.REJECTED)


class Audience(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


class Category(SQLModel, table=True):
    """Two levels: a top-level request type (咨询) and its sub-types (产品功能咨询)."""

    __tablename__ = "kb_categories"
    __table_args__ = (sa.UniqueConstraint("parent_id", "name", name="uq_kb_categories_parent_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(CATEGORY_NAME_MAX))
    parent_id: int | None = Field(default=None, foreign_key="kb_categories.id", index=True)
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class Tag(SQLModel, table=True):
    __tablename__ = "kb_tags"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(TAG_MAX), unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Article(SQLModel, table=True):
    __tablename__ = "kb_articles"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str | None = Field(default=None, sa_type=sa.String(EXTERNAL_ID_MAX), unique=True, index=True)
    status: str = Field(default=ArticleStatus.DRAFT.value, sa_type=sa.String(20), index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    # Bumped by every write; a write that carries an older value is refused (optimistic locking).
    version: int = Field(default=1)
    # No foreign keys on these two: the tables point at each other, and both are maintained by services.
    live_revision_id: int | None = Field(default=None, index=True)
    current_revision_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    archived_at: datetime | None = None
    review_due: date | None = Field(default=None, index=True)
    verified_at: datetime | None = None

    @property
    def state(self) -> ArticleStatus:
        return ArticleStatus(self.status)


class ArticleRevision(SQLModel, table=True):
    __tablename__ = "kb_article_revisions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_kb_revisions_article_number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(sa_type=sa.String(TITLE_MAX))
    scenario: str = Field(default="", sa_type=sa.Text)
    solution: str = Field(default="", sa_type=sa.Text)
    notes: str = Field(default="", sa_type=sa.Text)
    category_id: int | None = Field(default=None, foreign_key="kb_categories.id", index=True)
    audience: str = Field(default=Audience.INTERNAL.value, sa_type=sa.String(20))
    status: str = Field(default=RevisionStatus.DRAFT.value, sa_type=sa.String(20), index=True)
    author_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, index=True)
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    reviewed_at: datetime | None = None
    review_comment: str | None = Field(default=None, sa_type=sa.Text)
    restored_from: int | None = None

    @property
    def state(self) -> RevisionStatus:
        return RevisionStatus(self.status)


class RevisionTag(SQLModel, table=True):
    __tablename__ = "kb_revision_tags"

    revision_id: int = Field(foreign_key="kb_article_revisions.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="kb_tags.id", primary_key=True, index=True, ondelete="CASCADE")


class RevisionAttachment(SQLModel, table=True):
    """An image belongs to the revisions that show it, like a tag: a new revision starts with its base's
    images, so an image added to a published article is reviewed with the revision it went into."""

    __tablename__ = "kb_revision_attachments"

    revision_id: int = Field(foreign_key="kb_article_revisions.id", primary_key=True, ondelete="CASCADE")
    attachment_id: int = Field(
        foreign_key="kb_attachments.id", primary_key=True, index=True, ondelete="CASCADE"
    )


class TicketLink(SQLModel, table=True):
    """An article used on a ticket. ``reuse``: the article was already live when linked (KCS reuse);
    otherwise the ticket led to a new article (KCS creation)."""

    __tablename__ = "kb_ticket_links"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "ticket_id", name="uq_kb_ticket_links_article_ticket"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    ticket_id: str = Field(sa_type=sa.String(64), index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    reuse: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Feedback(SQLModel, table=True):
    """One vote per user and article; voting again changes the vote."""

    __tablename__ = "kb_feedback"
    __table_args__ = (sa.UniqueConstraint("article_id", "user_id", name="uq_kb_feedback_article_user"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id")
    revision_id: int | None = Field(default=None, foreign_key="kb_article_revisions.id")
    helpful: bool
    reason: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow)


class OutdatedFlag(SQLModel, table=True):
    """'This article is outdated' with a comment; open until a lead re-verifies or archives the article."""

    __tablename__ = "kb_outdated_flags"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id")
    comment: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = Field(default=None, index=True)
    resolved_by: int | None = Field(default=None, foreign_key="users.id")


class Attachment(SQLModel, table=True):
    """An image stored under UPLOAD_DIR as ``stored_name``; the type was checked from the bytes. The article
    owns the file; which revisions show it is ``RevisionAttachment``."""

    __tablename__ = "kb_attachments"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="kb_articles.id", index=True, ondelete="CASCADE")
    filename: str = Field(sa_type=sa.String(255))
    stored_name: str = Field(sa_type=sa.String(80), unique=True)
    content_type: str = Field(sa_type=sa.String(40))
    size: int
    sha256: str = Field(sa_type=sa.String(64))
    uploaded_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
