"""search: mask personal data in queries already in the search log

Agents paste customers' words into the search box; before this revision the log stored them as typed. New
queries are masked before they are stored (articles/search/privacy.py); this masks the rows written
before, with the built-in detectors of conversation imports (mobile, resident ID, bank card, e-mail).

Revision ID: search_0003
Revises: search_0002
Create Date: 2026-12-02 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None

_LOG = sa.table(
    "search_log",
    sa.column("id", sa.Integer),
    sa.column("query", sa.String),
    sa.column("query_norm", sa.String),
)


def upgrade() -> None:
    # The detectors are pure Python with no database access, so the migration can use them as they are.
    from qa.masking import mask_text

    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(_LOG.c.id, _LOG.c.query, _LOG.c.query_norm)
            .where(_LOG.c.id > last)
            .order_by(_LOG.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        for row_id, query, query_norm in rows:
            masked, masked_norm = mask_text(query or "").text, mask_text(query_norm or "").text
            if (masked, masked_norm) != (query or "", query_norm or ""):
                conn.execute(
                    _LOG.update().where(_LOG.c.id == row_id).values(query=masked, query_norm=masked_norm)
                )
        last = rows[-1][0]


def downgrade() -> None:
    # Masked text cannot be unmasked, which is the point; the schema is unchanged.
    pass
