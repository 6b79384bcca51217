"""id lists to association tables: sampling plan agents and graders, disputed criteria

Revision ID: qa_0003
Revises: qa_0002
Create Date: 2026-12-08 00:00:00

The JSON id lists ``qa_sampling_plans.agent_ids``, ``qa_sampling_plans.grader_ids`` and
``qa_disputes.criteria`` become rows with foreign keys. Each list is copied row by row (the graders keep
their order, which the draw's round-robin assignment depends on); an id that no longer points at a row is
dropped, since a foreign key cannot hold it. The downgrade writes the lists back.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "qa_0003"
down_revision = "qa_0002"
branch_labels = None
depends_on = None


def _ids(raw: str | None) -> list[int]:
    """The ids of a stored JSON list, in order, without repeats; anything unreadable counts as empty."""
    try:
        values = json.loads(raw or "[]")
    except ValueError:
        return []
    if not isinstance(values, list):
        return []
    out: list[int] = []
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool) and v not in out:
            out.append(v)
    return out


def upgrade() -> None:
    op.create_table(
        "qa_sampling_plan_agents",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["qa_sampling_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("plan_id", "user_id"),
    )
    op.create_table(
        "qa_sampling_plan_graders",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["qa_sampling_plans.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("plan_id", "user_id"),
    )
    op.create_table(
        "qa_dispute_criteria",
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dispute_id"], ["qa_disputes.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["criterion_id"], ["qa_scorecard_criteria.id"]),
        sa.PrimaryKeyConstraint("dispute_id", "criterion_id"),
    )

    conn = op.get_bind()
    users = set(conn.execute(sa.text("SELECT id FROM users")).scalars())
    criteria = set(conn.execute(sa.text("SELECT id FROM qa_scorecard_criteria")).scalars())
    agents, graders, disputed = [], [], []
    for plan_id, agent_ids, grader_ids in conn.execute(
        sa.text("SELECT id, agent_ids, grader_ids FROM qa_sampling_plans ORDER BY id")
    ):
        agents += [{"plan_id": plan_id, "user_id": u} for u in _ids(agent_ids) if u in users]
        kept = [u for u in _ids(grader_ids) if u in users]
        graders += [{"plan_id": plan_id, "user_id": u, "position": i} for i, u in enumerate(kept)]
    for dispute_id, ids in conn.execute(sa.text("SELECT id, criteria FROM qa_disputes ORDER BY id")):
        disputed += [{"dispute_id": dispute_id, "criterion_id": c} for c in _ids(ids) if c in criteria]
    if agents:
        conn.execute(
            sa.text("INSERT INTO qa_sampling_plan_agents (plan_id, user_id) VALUES (:plan_id, :user_id)"),
            agents,
        )
    if graders:
        conn.execute(
            sa.text(
                "INSERT INTO qa_sampling_plan_graders (plan_id, user_id, position) "
                "VALUES (:plan_id, :user_id, :position)"
            ),
            graders,
        )
    if disputed:
        conn.execute(
            sa.text(
                "INSERT INTO qa_dispute_criteria (dispute_id, criterion_id) VALUES (:dispute_id, :criterion_id)"
            ),
            disputed,
        )

    with op.batch_alter_table("qa_sampling_plans", schema=None) as batch_op:
        batch_op.drop_column("agent_ids")
        batch_op.drop_column("grader_ids")
    with op.batch_alter_table("qa_disputes", schema=None) as batch_op:
        batch_op.drop_column("criteria")


def downgrade() -> None:
    with op.batch_alter_table("qa_sampling_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_ids", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("grader_ids", sa.Text(), nullable=False, server_default="[]"))
    with op.batch_alter_table("qa_disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("criteria", sa.Text(), nullable=False, server_default="[]"))

    conn = op.get_bind()
    agents: dict[int, list[int]] = {}
    for plan_id, user_id in conn.execute(
        sa.text("SELECT plan_id, user_id FROM qa_sampling_plan_agents ORDER BY plan_id, user_id")
    ):
        agents.setdefault(plan_id, []).append(user_id)
    for plan_id, ids in agents.items():
        conn.execute(
            sa.text("UPDATE qa_sampling_plans SET agent_ids = :ids WHERE id = :id"),
            {"ids": json.dumps(ids), "id": plan_id},
        )
    graders: dict[int, list[int]] = {}
    for plan_id, user_id in conn.execute(
        sa.text("SELECT plan_id, user_id FROM qa_sampling_plan_graders ORDER BY plan_id, position")
    ):
        graders.setdefault(plan_id, []).append(user_id)
    for plan_id, ids in graders.items():
        conn.execute(
            sa.text("UPDATE qa_sampling_plans SET grader_ids = :ids WHERE id = :id"),
            {"ids": json.dumps(ids), "id": plan_id},
        )
    criteria: dict[int, list[int]] = {}
    for dispute_id, criterion_id in conn.execute(
        sa.text("SELECT dispute_id, criterion_id FROM qa_dispute_criteria ORDER BY dispute_id, criterion_id")
    ):
        criteria.setdefault(dispute_id, []).append(criterion_id)
    for dispute_id, ids in criteria.items():
        conn.execute(
            sa.text("UPDATE qa_disputes SET criteria = :ids WHERE id = :id"),
            {"ids": json.dumps(ids), "id": dispute_id},
        )

    op.drop_table("qa_dispute_criteria")
    op.drop_table("qa_sampling_plan_graders")
    op.drop_table("qa_sampling_plan_agents")
