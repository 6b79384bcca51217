"""Sampling plans: create, preview and draw (the draw itself is ``qa.sampling.draw_sample``).

The candidates of a plan are the interactions that started within the plan's period (dates in the centre's
time zone, both ends inclusive) and pass its filters, minus interactions already sampled by any plan and
minus interactions with a (non-calibration) evaluation. Same plan + seed + data ⇒ same sample, because the
pure draw is deterministic and the query's result does not depend on row order.
"""

from __future__ import annotations

import calendar
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from portal import audit
from portal.db import saved_id
from portal.domain import DomainError
from portal.models import Role, User, UserRole
from portal.timeutil import utcnow
from portal.transitions import compare_and_set, one_at_a_time
from qa.evaluations.models import Evaluation
from qa.interactions.models import Channel, Interaction
from qa.sampling.draw import AlwaysInclude, Candidate, SampleResult, SamplingParams, draw_sample
from qa.sampling.models import PeriodKind, SampleItem, SamplingPlan, SamplingPlanAgent, SamplingPlanGrader
from qa.sampling.queries import plan_agent_ids, plan_grader_ids
from qa.scorecards.models import Scorecard

MAX_QUOTA = 1000
MAX_SEED = 2**63 - 1


class PlanError(DomainError):
    """A plan cannot be created or drawn (409 when it was drawn already); ``problems`` lists every reason."""

    def __init__(self, problems: list[str], *, conflict: bool = False):
        self.problems = problems
        self.conflict = conflict
        super().__init__("; ".join(problems), 409 if conflict else 400, details={"problems": problems})


@dataclass
class PlanInput:
    name: str
    date_from: date | None
    date_to: date | None
    period_kind: str = PeriodKind.CUSTOM.value
    quota_per_agent: int = 5
    channels: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)  # usernames
    team: str | None = None
    csat_at_most: int | None = None
    complaints_only: bool = False
    always_complaints: bool = False
    always_csat_at_most: int | None = None
    always_cap: int | None = None
    seed: int | None = None
    graders: list[str] = field(default_factory=list)  # usernames; empty = the creator
    due_days: int = 7
    scorecard_id: int | None = None


def period_bounds(kind: str, anchor: date) -> tuple[date, date]:
    """The week (Monday–Sunday) or calendar month containing ``anchor``, both ends inclusive."""
    if kind == PeriodKind.WEEK:
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if kind == PeriodKind.MONTH:
        last = calendar.monthrange(anchor.year, anchor.month)[1]
        return anchor.replace(day=1), anchor.replace(day=last)
    raise ValueError(f"no fixed bounds for a {kind} period")


def _users_by_name(session: Session, names: list[str]) -> dict[str, User]:
    if not names:
        return {}
    return {u.username: u for u in session.exec(select(User).where(col(User.username).in_(names)))}


def _roles(session: Session, user_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if user_ids:
        for link in session.exec(select(UserRole).where(col(UserRole.user_id).in_(user_ids))):
            out.setdefault(link.user_id, set()).add(link.role)
    return out


def _field_problems(inp: PlanInput) -> list[str]:
    """What is wrong with the plan's own fields (no database needed)."""
    problems: list[str] = []
    if not inp.name or not inp.name.strip():
        problems.append("the plan needs a name")
    elif len(inp.name) > 200:
        problems.append("the name has more than 200 characters")
    if inp.period_kind not in {k.value for k in PeriodKind}:
        problems.append("period must be week, month or custom")
    if inp.date_from is None or inp.date_to is None:
        problems.append("the period needs a start and an end date")
    elif inp.date_from > inp.date_to:
        problems.append("the period ends before it starts")
    if not _whole(inp.quota_per_agent, 0, MAX_QUOTA):
        problems.append(f"quota_per_agent must be a whole number from 0 to {MAX_QUOTA}")
    bad_channels = [c for c in inp.channels if c not in {ch.value for ch in Channel}]
    if bad_channels:
        problems.append(f"unknown channels: {', '.join(map(str, bad_channels))}")
    for label, value in (
        ("csat_at_most", inp.csat_at_most),
        ("always_include.csat_at_most", inp.always_csat_at_most),
    ):
        if value is not None and not _whole(value, 1, 5):
            problems.append(f"{label} must be 1–5 or empty")
    if inp.always_cap is not None and not _whole(inp.always_cap, 0, MAX_QUOTA):
        problems.append(f"always_include.cap must be a whole number from 0 to {MAX_QUOTA} or empty")
    if inp.seed is not None and not _whole(inp.seed, 0, MAX_SEED):
        problems.append("seed must be a whole number >= 0")
    if not isinstance(inp.due_days, int) or not 0 <= inp.due_days <= 365:
        problems.append("due_days must be from 0 to 365")
    if inp.team is not None and len(inp.team) > 64:
        problems.append("team has more than 64 characters")
    if inp.agents and inp.team:
        problems.append("choose agents or a team, not both")
    return problems


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass
class _People:
    agents: dict[str, User]
    grader_names: list[str]
    graders: dict[str, User]


def _people(session: Session, actor: User, inp: PlanInput, problems: list[str]) -> _People:
    """The plan's agents and graders by username; unknown names and graders who are not active QA
    specialists are added to ``problems``."""
    agents = _users_by_name(session, list(dict.fromkeys(inp.agents)))
    problems.extend(f"unknown agent {name!r}" for name in inp.agents if name not in agents)
    grader_names = list(dict.fromkeys(inp.graders)) or [actor.username]
    graders = _users_by_name(session, grader_names)
    problems.extend(f"unknown grader {name!r}" for name in grader_names if name not in graders)
    roles = _roles(session, [u.id for u in graders.values() if u.id is not None])
    for name, user in graders.items():
        if not user.is_active or not roles.get(user.id or 0, set()) & {Role.QA.value, Role.ADMIN.value}:
            problems.append(f"grader {name!r} is not an active QA specialist")
    return _People(agents, grader_names, graders)


def create_plan(session: Session, actor: User, inp: PlanInput) -> SamplingPlan:
    """Validate and store a sampling plan; a missing seed gets a random one, stored (flushes only)."""
    problems = _field_problems(inp)
    people = _people(session, actor, inp, problems)
    if inp.scorecard_id is not None and session.get(Scorecard, inp.scorecard_id) is None:
        problems.append(f"unknown scorecard {inp.scorecard_id}")
    if problems or inp.date_from is None or inp.date_to is None:  # (the dates are among the problems)
        raise PlanError(problems)

    plan = SamplingPlan(
        name=inp.name.strip(),
        period_kind=inp.period_kind,
        date_from=inp.date_from,
        date_to=inp.date_to,
        channels=json.dumps(sorted(set(inp.channels))),
        team=(inp.team or "").strip() or None,
        csat_at_most=inp.csat_at_most,
        complaints_only=inp.complaints_only,
        quota_per_agent=inp.quota_per_agent,
        always_complaints=inp.always_complaints,
        always_csat_at_most=inp.always_csat_at_most,
        always_cap=inp.always_cap,
        seed=inp.seed if inp.seed is not None else secrets.randbelow(2**31),
        due_days=inp.due_days,
        scorecard_id=inp.scorecard_id,
        created_by_id=actor.id,
    )
    session.add(plan)
    session.flush()
    plan_id = saved_id(plan)
    agent_ids = sorted({u.id for u in people.agents.values() if u.id is not None})
    session.add_all(SamplingPlanAgent(plan_id=plan_id, user_id=uid) for uid in agent_ids)
    grader_ids = [people.graders[n].id for n in people.grader_names]
    session.add_all(
        SamplingPlanGrader(plan_id=plan_id, user_id=uid, position=i)
        for i, uid in enumerate(grader_ids)
        if uid is not None
    )
    session.flush()
    audit.record(session, actor, "sampling_plan.create", "sampling_plan", plan.id, to_state="draft")
    return plan


def _utc_bounds(plan: SamplingPlan, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(plan.date_from, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(plan.date_to + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _table(model: type[SQLModel]) -> sa.Table:
    """The Core table of a model, for the draw's queries that skip the ORM for speed."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to one table")
    return table


def plan_candidates(
    session: Session, plan: SamplingPlan, tz: tzinfo
) -> tuple[list[Candidate], dict[str, int]]:
    """The plan's eligible interactions as draw candidates (agent = username), and username → user id."""
    t = _table(Interaction).c
    start, end = _utc_bounds(plan, tz)
    stmt = sa.select(t.id, t.agent_id, t.channel, t.csat, t.complaint).where(
        t.started_at >= start, t.started_at < end
    )
    agent_ids = plan_agent_ids(session, plan.id)
    if plan.team:
        agent_ids = [i for i in session.exec(select(col(User.id)).where(col(User.team) == plan.team)) if i]
        if not agent_ids:
            return [], {}
    if agent_ids:
        stmt = stmt.where(t.agent_id.in_(agent_ids))
    if plan.channel_list():
        stmt = stmt.where(t.channel.in_(plan.channel_list()))
    if plan.csat_at_most is not None:
        stmt = stmt.where(t.csat <= plan.csat_at_most)
    if plan.complaints_only:
        stmt = stmt.where(t.complaint.is_(True))
    stmt = stmt.where(
        t.id.not_in(sa.select(_table(SampleItem).c.interaction_id)),
        t.id.not_in(
            sa.select(_table(Evaluation).c.interaction_id).where(
                _table(Evaluation).c.is_calibration.is_(False)
            )
        ),
    )
    result = session.connection().execute(stmt)
    try:
        # Plain DBAPI tuples: building a million SQLAlchemy Row objects would cost more than the query.
        rows = result.cursor.fetchall()
    finally:
        result.close()
    ids = {row[1] for row in rows}
    names: dict[int, str] = (
        {
            i: n
            for i, n in session.exec(select(col(User.id), col(User.username)).where(col(User.id).in_(ids)))
            if i
        }
        if ids
        else {}
    )
    candidates = [Candidate(i, names[a], ch, cs, bool(cp)) for i, a, ch, cs, cp in rows]
    return candidates, {v: k for k, v in names.items()}


def _params(session: Session, plan: SamplingPlan) -> tuple[SamplingParams, dict[str, int]]:
    grader_ids = plan_grader_ids(session, plan.id)
    names: dict[int, str] = {
        i: n
        for i, n in session.exec(select(col(User.id), col(User.username)).where(col(User.id).in_(grader_ids)))
        if i
    }
    params = SamplingParams(
        quota_per_agent=plan.quota_per_agent,
        seed=plan.seed,
        always_include=AlwaysInclude(
            complaints=plan.always_complaints, csat_at_most=plan.always_csat_at_most, cap=plan.always_cap
        ),
        graders=[names[i] for i in grader_ids if i in names],
    )
    return params, {v: k for k, v in names.items()}


def preview_plan(session: Session, plan: SamplingPlan, tz: tzinfo) -> SampleResult:
    """The sample the plan would draw now, without storing anything."""
    candidates, _ = plan_candidates(session, plan, tz)
    params, _ = _params(session, plan)
    return draw_sample(candidates, params)


def draw_plan(session: Session, actor: User, plan: SamplingPlan, tz: tzinfo, today: date) -> SampleResult:
    """Draw the plan once: store the sample items assigned to the graders with a due date, and the per-agent
    figures. Raises :class:`PlanError` when the plan was drawn already or matches nothing (nothing stored)."""
    if not plan.can_draw():
        raise PlanError(["this plan has been drawn already"], conflict=True)
    # Claim the plan before reading anything: two nodes (or workers) drawing the same plan at once must
    # produce one sample, not two. Then wait for any other draw in progress, so that the candidates are
    # read after it has stored its sample: two plans drawn at once come out as if drawn one after the
    # other (the later one leaves out what the earlier took), never with one interaction in both.
    drawn_at = utcnow()
    if not compare_and_set(session, plan, {"drawn_at": None}, {"drawn_at": drawn_at}):
        raise PlanError(["this plan has been drawn already"], conflict=True)
    one_at_a_time(session, "qa.sampling.draw")
    candidates, _agent_ids = plan_candidates(session, plan, tz)
    params, grader_ids = _params(session, plan)
    result = draw_sample(candidates, params)
    if not result.items:
        # Nothing changed on a refusal (a page redirects after it, which commits): give the claim back.
        compare_and_set(session, plan, {"drawn_at": drawn_at}, {"drawn_at": None})
        raise PlanError(
            ["no interactions match this plan (period, filters, or all already sampled/evaluated)"]
            if not candidates
            else ["the plan matches interactions but its quota and rules select none"]
        )
    due = today + timedelta(days=plan.due_days)
    # One executemany instead of thousands of ORM objects: a large draw stores ~12,500 items.
    session.execute(
        sa.insert(SampleItem),
        [
            {
                "plan_id": plan.id,
                "interaction_id": item.interaction_id,
                "grader_id": grader_ids.get(item.grader) if item.grader else None,
                "reason": item.reason.value,
                "position": position,
                "due_on": due,
            }
            for position, item in enumerate(result.items)
        ],
    )
    plan.drawn_at = drawn_at
    plan.summary = json.dumps([asdict(s) for s in result.per_agent])
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor,
        "sampling_plan.draw",
        "sampling_plan",
        plan.id,
        from_state="draft",
        to_state="drawn",
        details={"seed": plan.seed, "sampled": len(result.items), "agents": len(result.per_agent)},
    )
    return result
