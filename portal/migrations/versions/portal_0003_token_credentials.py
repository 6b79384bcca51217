"""API tokens bound to their owner's credentials

Revision ID: portal_0003
Revises: portal_0002
Create Date: 2026-12-07 23:55:00

``users.credential_version`` is bumped by a password change and by disabling or enabling an account;
``api_tokens.credential_version`` keeps the owner's value from when the token was made, and a token works
only while the two are equal.  Existing tokens get their owner's value, except those that the new rule
would already have ended: the owner is disabled now, or changed password or was disabled after the token
was made (the audit log, written in the same transaction as every such change, says when).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "portal_0003"
down_revision = "portal_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_version", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        sa.text(
            "UPDATE api_tokens SET credential_version = 1 "
            "WHERE user_id IN (SELECT id FROM users WHERE is_active = :yes) "
            "AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.object_type = 'user' "
            "AND a.object_id = CAST(api_tokens.user_id AS VARCHAR(64)) "
            "AND a.action IN ('user.password', 'user.disable') AND a.at > api_tokens.created_at)"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("credential_version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("credential_version")
