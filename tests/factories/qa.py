"""Quality-inspection data: interactions, scorecards, plans."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from portal.models import User
from qa.models import Interaction, Scorecard, ScorecardVersion, TranscriptTurn
from qa.sampling import services as plans
from qa.scorecards import services as scorecards
from qa.scorecards.input import CriterionInput, ScorecardInput, SectionInput

_seq = itertools.count(1)
BASE_TIME = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Asia/Shanghai


def make_interaction(
    db: Session,
    agent: User,
    *,
    ticket_id: str | None = None,
    channel: str = "chat",
    started_at: datetime | None = None,
    csat: int | None = None,
    complaint: bool = False,
    turns: list[tuple[str, str]] | None = None,
    commit: bool = True,
) -> Interaction:
    """An interaction with an already-masked transcript (the factory does not mask)."""
    n = next(_seq)
    started = started_at or BASE_TIME + timedelta(minutes=n)
    item = Interaction(
        ticket_id=ticket_id or f"{started:%Y%m%d}-T{n:04d}",
        channel=channel,
        agent_id=agent.id,
        started_at=started,
        ended_at=started + timedelta(minutes=5),
        csat=csat,
        complaint=complaint,
    )
    db.add(item)
    db.flush()
    for seq, (speaker, text) in enumerate(
        turns or [("customer", "你好，快递还没到"), ("agent", "您好，我帮您查一下")], 1
    ):
        db.add(TranscriptTurn(interaction_id=item.id, seq=seq, speaker=speaker, text=text, spans="[]"))
    if commit:
        db.commit()
    return item


def scorecard_input(name: str = "测试评分表", mode: str = "weighted_sections") -> ScorecardInput:
    """Two sections: A (weight 3: yes/no + 5-point with N/A) and B (weight 1: 3-point critical)."""
    return ScorecardInput(
        name=name,
        mode=mode,
        sections=[
            SectionInput(
                "A",
                3,
                [
                    CriterionInput("greeting", "binary"),
                    CriterionInput("empathy", "5", points=2, allow_na=True),
                ],
            ),
            SectionInput("B", 1, [CriterionInput("privacy", "3", critical=True)]),
        ],
    )


def make_scorecard(
    db: Session, name: str = "测试评分表", mode: str = "weighted_sections"
) -> tuple[Scorecard, ScorecardVersion]:
    card, version = scorecards.create_scorecard(db, None, scorecard_input(name, mode))
    db.commit()
    return card, version


def make_plan(db: Session, actor: User, **kwargs) -> plans.PlanInput:
    values = {
        "name": f"plan {next(_seq)}",
        "date_from": BASE_TIME.date() - timedelta(days=2),
        "date_to": BASE_TIME.date() + timedelta(days=4),
        "quota_per_agent": 2,
        "seed": 42,
    }
    values.update(kwargs)
    plan = plans.create_plan(db, actor, plans.PlanInput(**values))
    db.commit()
    return plan
