"""A small cast for the quality-loop tests: two agents, a grader, two leads, the factory scorecard."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.models import User
from qa.models import ScorecardVersion
from tests.factories import make_interaction, make_scorecard, make_user


@dataclass
class Cast:
    agent: User
    other_agent: User
    grader: User
    lead: User
    lead2: User
    version: ScorecardVersion


@pytest.fixture
def cast(db) -> Cast:
    _card, version = make_scorecard(db)
    return Cast(
        agent=make_user(db, "agent_a", ("agent",), team="一组"),
        other_agent=make_user(db, "agent_b", ("agent",), team="一组"),
        grader=make_user(db, "grader", ("qa",)),
        lead=make_user(db, "lead", ("lead",), team="一组"),
        lead2=make_user(db, "lead2", ("lead", "qa")),
        version=version,
    )


@pytest.fixture
def interaction(db, cast):
    return make_interaction(db, cast.agent, ticket_id="20241120-A001", csat=4)
