"""articles: tidy tag names stored with surrounding spaces

Before this revision the article form split tags on commas without stripping them, so saving an edit
untouched stored " 退货" beside "退货" (a second tag). Each such tag is merged into the tag of its stripped
name (created if missing, the links moved, a link the revision already has dropped); a tag that is only
spaces is removed. The affected articles are queued for re-indexing, as a tag rename does.

Revision ID: articles_0002
Revises: articles_0001
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "articles_0002"
down_revision = "articles_0001"
branch_labels = None
depends_on = "search_0001"  # the re-indexing queue (search_changes)

_TAGS = sa.table(
    "kb_tags",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
_LINKS = sa.table("kb_revision_tags", sa.column("revision_id", sa.Integer), sa.column("tag_id", sa.Integer))
_REVISIONS = sa.table(
    "kb_article_revisions", sa.column("id", sa.Integer), sa.column("article_id", sa.Integer)
)
_CHANGES = sa.table(
    "search_changes",
    sa.column("article_id", sa.Integer),
    sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)


def upgrade() -> None:
    conn = op.get_bind()
    tags = {name: tag_id for tag_id, name in conn.execute(sa.select(_TAGS.c.id, _TAGS.c.name)).all()}
    untidy = sorted((name, tag_id) for name, tag_id in tags.items() if name != name.strip())
    if not untidy:
        return
    now = dt.datetime.now(dt.UTC)
    affected: set[int] = set()
    for name, tag_id in untidy:
        links = conn.execute(sa.select(_LINKS.c.revision_id).where(_LINKS.c.tag_id == tag_id)).scalars().all()
        if links:
            affected.update(
                conn.execute(
                    sa.select(_REVISIONS.c.article_id).where(_REVISIONS.c.id.in_(links)).distinct()
                ).scalars()
            )
        clean = name.strip()
        if clean:
            target = tags.get(clean)
            if target is None:
                target = conn.execute(
                    sa.insert(_TAGS).values(name=clean, created_at=now).returning(_TAGS.c.id)
                ).scalar_one()
                tags[clean] = target
            has = set(
                conn.execute(sa.select(_LINKS.c.revision_id).where(_LINKS.c.tag_id == target)).scalars()
            )
            moved = [r for r in links if r not in has]
            if moved:
                conn.execute(sa.insert(_LINKS), [{"revision_id": r, "tag_id": target} for r in moved])
        conn.execute(sa.delete(_LINKS).where(_LINKS.c.tag_id == tag_id))
        conn.execute(sa.delete(_TAGS).where(_TAGS.c.id == tag_id))
    if affected:
        conn.execute(sa.insert(_CHANGES), [{"article_id": a, "created_at": now} for a in sorted(affected)])


def downgrade() -> None:
    pass  # the merged tags cannot be told apart again; the tidy names are valid in the old schema too
