"""one evaluation per interaction, kept by the database

Revision ID: qa_0004
Revises: qa_0003
Create Date: 2026-12-08 01:10:00

"An interaction is evaluated once" was only checked by the service before it inserted, so requests sent
at the same moment could each find none and each insert one (eight parallel "create evaluation" requests
made two drafts). A partial unique index on ``qa_evaluations.interaction_id`` over the non-calibration
rows now makes the second insert impossible.

Duplicates already stored are removed first, keeping per interaction the evaluation that went furthest:
a released one (submitted or later: the agent has seen it, it counts in reports) before a draft, and
among those the newest (highest id). The removed ones take their ratings, dispute (with its criteria)
and score history with them. Their ids are written to the migration log. The downgrade drops the index
(the removed rows do not come back).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "qa_0004"
down_revision = "qa_0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Must match the model's index (``qa.evaluations.models.OPEN_TO_ONE_EVALUATION``) word for word: an
# upsert names the index by this predicate. Written out here because a migration never imports the app.
OPEN_TO_ONE_EVALUATION = "is_calibration = false"


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def _duplicates(conn) -> list[int]:
    """Ids of the non-calibration evaluations that are not the one kept for their interaction."""
    evaluations = _table("qa_evaluations", "id", "interaction_id", "status")
    rows = conn.execute(
        sa.select(evaluations.c.id, evaluations.c.interaction_id, evaluations.c.status)
        .where(sa.text(OPEN_TO_ONE_EVALUATION))
        .order_by(evaluations.c.interaction_id, evaluations.c.id)
    ).all()
    by_interaction: dict[int, list[tuple[int, str]]] = {}
    for row_id, interaction_id, status in rows:
        by_interaction.setdefault(interaction_id, []).append((row_id, status))
    doomed: list[int] = []
    for found in by_interaction.values():
        if len(found) < 2:
            continue
        keep = max(found, key=lambda e: (e[1] != "draft", e[0]))
        doomed.extend(row_id for row_id, _ in found if row_id != keep[0])
    return doomed


def upgrade() -> None:
    conn = op.get_bind()
    doomed = _duplicates(conn)
    if doomed:
        log.warning("qa_0004: removing duplicate evaluations %s", doomed)
        disputes = _table("qa_disputes", "id", "evaluation_id")
        criteria = _table("qa_dispute_criteria", "dispute_id")
        # Children first: SQLite may run without enforcing (or cascading) foreign keys.
        conn.execute(
            sa.delete(criteria).where(
                criteria.c.dispute_id.in_(
                    sa.select(disputes.c.id).where(disputes.c.evaluation_id.in_(doomed))
                )
            )
        )
        for name in ("qa_disputes", "qa_evaluation_ratings", "qa_evaluation_score_history"):
            child = _table(name, "evaluation_id")
            conn.execute(sa.delete(child).where(child.c.evaluation_id.in_(doomed)))
        evaluations = _table("qa_evaluations", "id")
        conn.execute(sa.delete(evaluations).where(evaluations.c.id.in_(doomed)))
    with op.batch_alter_table("qa_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            "uq_qa_evaluations_interaction",
            ["interaction_id"],
            unique=True,
            sqlite_where=sa.text(OPEN_TO_ONE_EVALUATION),
            postgresql_where=sa.text(OPEN_TO_ONE_EVALUATION),
        )


def downgrade() -> None:
    with op.batch_alter_table("qa_evaluations", schema=None) as batch_op:
        batch_op.drop_index("uq_qa_evaluations_interaction")
