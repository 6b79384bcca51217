"""qa_0003: the JSON id lists of plans and disputes become association rows, and back on downgrade; qa_0004:
one evaluation per interaction."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, text

from portal import migrate


def _insert(conn, table: str, **values) -> int:
    target = sa.table(table, sa.column("id"), *(sa.column(k) for k in values))
    return conn.execute(sa.insert(target).values(**values).returning(target.c.id)).scalar_one()


def _user(conn, name: str) -> int:
    return _insert(
        conn,
        "users",
        username=name,
        display_name="",
        password_hash="x",
        auth_version=1,
        is_active=True,
        created_at="2026-11-01 08:00:00",
    )


def _arrange_at_qa_0002(conn) -> dict[str, int]:
    """Two plans and a dispute as the previous revision stored them (JSON text), with a dangling id each."""
    ids = {name: _user(conn, name) for name in ("agent1", "agent2", "qa1", "qa2", "lead")}
    card = _insert(
        conn,
        "qa_scorecards",
        name="card",
        description="",
        is_default=True,
        active=True,
        created_at="2026-11-01",
    )
    version = _insert(
        conn,
        "qa_scorecard_versions",
        scorecard_id=card,
        number=1,
        mode="weighted_sections",
        created_at="2026-11-01",
    )
    section = _insert(conn, "qa_scorecard_sections", version_id=version, position=0, name="s", weight=1.0)
    criteria = [
        _insert(
            conn,
            "qa_scorecard_criteria",
            version_id=version,
            section_id=section,
            position=i,
            name=f"c{i}",
            description="",
            scale="binary",
            points=1.0,
            allow_na=False,
            critical=False,
            guidance="{}",
        )
        for i in range(3)
    ]
    plan = {
        "period_kind": "custom",
        "date_from": "2026-11-01",
        "date_to": "2026-11-30",
        "channels": '["phone"]',
        "complaints_only": False,
        "quota_per_agent": 5,
        "always_complaints": False,
        "seed": 7,
        "due_days": 7,
        "created_at": "2026-11-01",
        "summary": "[]",
    }
    ids["plan_a"] = _insert(
        conn,
        "qa_sampling_plans",
        name="agents and two graders",
        agent_ids=f"[{ids['agent1']}, {ids['agent2']}, 99999]",
        grader_ids=f"[{ids['qa2']}, {ids['qa1']}]",
        **plan,
    )
    ids["plan_b"] = _insert(
        conn, "qa_sampling_plans", name="everyone", agent_ids="[]", grader_ids=f"[{ids['qa1']}]", **plan
    )
    interaction = _insert(
        conn,
        "qa_interactions",
        ticket_id="20261101-A001",
        channel="phone",
        agent_id=ids["agent1"],
        started_at="2026-11-02 09:00:00",
        complaint=False,
        masked_values=0,
        imported_at="2026-11-02",
    )
    evaluation = _insert(
        conn,
        "qa_evaluations",
        interaction_id=interaction,
        scorecard_version_id=version,
        grader_id=ids["qa1"],
        agent_id=ids["agent1"],
        ticket_id="20261101-A001",
        status="disputed",
        is_calibration=False,
        score=50.0,
        auto_fail=False,
        auto_fail_reasons="[]",
        comment="",
        no_article=False,
        gap_note="",
        created_at="2026-11-03",
        updated_at="2026-11-03",
    )
    ids["dispute"] = _insert(
        conn,
        "qa_disputes",
        evaluation_id=evaluation,
        agent_id=ids["agent1"],
        reason="not fair",
        criteria=f"[{criteria[2]}, {criteria[0]}, 88888]",
        status="open",
        opened_at="2026-11-04",
        resolution_comment="",
    )
    ids["c0"], ids["c2"] = criteria[0], criteria[2]
    return ids


def test_id_lists_move_to_association_tables_and_back(app, empty_database_url):
    engine = create_engine(empty_database_url)
    migrate.upgrade(engine)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:  # the newest qa revision goes back to the one before it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "qa_0002")
    with engine.begin() as conn:
        ids = _arrange_at_qa_0002(conn)

    migrate.upgrade(engine)

    with engine.connect() as conn:
        agents = conn.execute(
            text("SELECT plan_id, user_id FROM qa_sampling_plan_agents ORDER BY user_id")
        ).all()
        graders = conn.execute(
            text("SELECT plan_id, user_id, position FROM qa_sampling_plan_graders ORDER BY plan_id, position")
        ).all()
        disputed = conn.execute(
            text("SELECT dispute_id, criterion_id FROM qa_dispute_criteria ORDER BY criterion_id")
        ).all()
    assert [tuple(r) for r in agents] == [(ids["plan_a"], ids["agent1"]), (ids["plan_a"], ids["agent2"])]
    assert [tuple(r) for r in graders] == [
        (ids["plan_a"], ids["qa2"], 0),  # the order of the round-robin is kept
        (ids["plan_a"], ids["qa1"], 1),
        (ids["plan_b"], ids["qa1"], 0),
    ]
    assert [tuple(r) for r in disputed] == [(ids["dispute"], ids["c0"]), (ids["dispute"], ids["c2"])]

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "qa_0002")
    with engine.connect() as conn:
        plans = conn.execute(text("SELECT agent_ids, grader_ids FROM qa_sampling_plans ORDER BY id")).all()
        criteria = conn.execute(text("SELECT criteria FROM qa_disputes")).scalar_one()
    assert [tuple(r) for r in plans] == [
        (f"[{ids['agent1']}, {ids['agent2']}]", f"[{ids['qa2']}, {ids['qa1']}]"),
        ("[]", f"[{ids['qa1']}]"),
    ]
    assert criteria == f"[{ids['c0']}, {ids['c2']}]"
    engine.dispose()


def _evaluation(conn, interaction: int, version: int, users: dict[str, int], status: str, **extra) -> int:
    return _insert(
        conn,
        "qa_evaluations",
        interaction_id=interaction,
        scorecard_version_id=version,
        grader_id=users["qa1"],
        agent_id=users["agent1"],
        ticket_id="20261101-A001",
        status=status,
        is_calibration=extra.pop("is_calibration", False),
        auto_fail=False,
        auto_fail_reasons="[]",
        comment="",
        no_article=False,
        gap_note="",
        created_at="2026-11-03",
        updated_at="2026-11-03",
        **extra,
    )


def test_duplicate_evaluations_are_reduced_to_one_per_interaction(app, empty_database_url):
    """qa_0004 keeps per interaction the released evaluation (else the newest draft), removes the others
    with their ratings, dispute and history, and from then on a second evaluation cannot be stored."""
    engine = create_engine(empty_database_url)
    migrate.upgrade(engine)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "qa_0003")
    with engine.begin() as conn:
        users = {name: _user(conn, name) for name in ("agent1", "qa1")}
        card = _insert(
            conn,
            "qa_scorecards",
            name="card",
            description="",
            is_default=True,
            active=True,
            created_at="2026-11-01",
        )
        version = _insert(
            conn,
            "qa_scorecard_versions",
            scorecard_id=card,
            number=1,
            mode="weighted_sections",
            created_at="2026-11-01",
        )
        section = _insert(conn, "qa_scorecard_sections", version_id=version, position=0, name="s", weight=1.0)
        criterion = _insert(
            conn,
            "qa_scorecard_criteria",
            version_id=version,
            section_id=section,
            position=0,
            name="c",
            description="",
            scale="binary",
            points=1.0,
            allow_na=False,
            critical=False,
            guidance="{}",
        )
        interactions = [
            _insert(
                conn,
                "qa_interactions",
                ticket_id=f"20261101-A00{n}",
                channel="phone",
                agent_id=users["agent1"],
                started_at="2026-11-02 09:00:00",
                complaint=False,
                masked_values=0,
                imported_at="2026-11-02",
            )
            for n in (1, 2)
        ]
        first, second = interactions
        old_draft = _evaluation(conn, first, version, users, "draft")
        released = _evaluation(conn, first, version, users, "submitted")
        new_draft = _evaluation(conn, first, version, users, "draft")
        for doomed in (old_draft, new_draft):
            _insert(
                conn,
                "qa_evaluation_ratings",
                evaluation_id=doomed,
                criterion_id=criterion,
                value=1,
                comment="",
                evidence="",
            )
            _insert(
                conn,
                "qa_evaluation_score_history",
                evaluation_id=doomed,
                kind="original",
                ratings="[]",
                comment="",
                auto_fail=False,
                changed_at="2026-11-04",
            )
        dispute = _insert(
            conn,
            "qa_disputes",
            evaluation_id=old_draft,
            agent_id=users["agent1"],
            reason="r",
            status="open",
            opened_at="2026-11-04",
            resolution_comment="",
        )
        conn.execute(
            text("INSERT INTO qa_dispute_criteria (dispute_id, criterion_id) VALUES (:d, :c)"),
            {"d": dispute, "c": criterion},
        )
        _evaluation(conn, second, version, users, "draft")  # an older draft: removed
        draft_b = _evaluation(conn, second, version, users, "draft")
        calibration = _evaluation(conn, second, version, users, "submitted", is_calibration=True)

    migrate.upgrade(engine)

    with engine.connect() as conn:
        kept = conn.execute(text("SELECT id FROM qa_evaluations ORDER BY id")).scalars().all()
        leftovers = [
            conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
            for table in (
                "qa_evaluation_ratings",
                "qa_evaluation_score_history",
                "qa_disputes",
                "qa_dispute_criteria",
            )
        ]
    assert kept == [released, draft_b, calibration]
    assert leftovers == [0, 0, 0, 0]
    with engine.connect() as conn:
        try:
            _evaluation(conn, first, version, users, "draft")
        except sa.exc.IntegrityError:
            conn.rollback()
        else:  # pragma: no cover - the assertion below explains
            raise AssertionError("a second evaluation of one interaction was stored")
        _evaluation(
            conn, first, version, users, "submitted", is_calibration=True
        )  # calibration: outside the rule
        conn.commit()

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "qa_0003")
    with engine.begin() as conn:
        _evaluation(conn, first, version, users, "draft")  # the rule is gone with the index
    engine.dispose()
