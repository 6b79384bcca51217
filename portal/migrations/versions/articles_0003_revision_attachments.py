"""articles: images belong to revisions

Before this revision an image was stored for the article only and every page of the article showed it at
once, so an image added to a published article bypassed review. Now ``kb_revision_attachments`` says which
revisions show an image, as ``kb_revision_tags`` does for tags.

Existing images were shown with every revision, so each is given to its article's live revision and to its
current revision (the only one when nothing is live; the pending edit otherwise, which would else lose the
live images when it is approved). Nothing readers see changes.

Revision ID: articles_0003
Revises: articles_0002
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "articles_0003"
down_revision = "articles_0002"
branch_labels = None
depends_on = None

_COPY = (
    "INSERT INTO kb_revision_attachments (revision_id, attachment_id) "
    "SELECT r.id, a.id FROM kb_attachments a "
    "JOIN kb_articles ar ON ar.id = a.article_id "
    "JOIN kb_article_revisions r ON r.id = ar.{pointer} AND r.article_id = ar.id "
)


def upgrade() -> None:
    op.create_table(
        "kb_revision_attachments",
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["kb_attachments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["revision_id"], ["kb_article_revisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("revision_id", "attachment_id"),
    )
    with op.batch_alter_table("kb_revision_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_revision_attachments_attachment_id"), ["attachment_id"], unique=False
        )
    op.execute(sa.text(_COPY.format(pointer="live_revision_id")))
    op.execute(
        sa.text(
            _COPY.format(pointer="current_revision_id")
            + "WHERE ar.live_revision_id IS NULL OR ar.live_revision_id <> ar.current_revision_id"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("kb_revision_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_revision_attachments_attachment_id"))
    op.drop_table("kb_revision_attachments")
