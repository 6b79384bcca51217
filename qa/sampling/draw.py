"""The sampling draw of a QA sampling plan (pure: no database, no Flask).

The caller passes the candidates that already satisfy the plan's period and filters, with interactions that
are already evaluated or already sampled removed. :func:`draw_sample` then, for every agent:

1. **Always-include** (complaints and/or CSAT ≤ n): the matching interactions are taken first, most severe
   first (complaint, then lowest CSAT, then a seeded random order), at most ``cap`` per agent. They come
   **on top of** the quota, not out of it: the quota is then drawn at random from the agent's remaining
   interactions, so the random part stays a clean stratified random sample whose margin of error means
   something, and a flood of complaints cannot crowd out the random check of normal work. Workload per
   agent is therefore at most ``quota + cap``.
2. **Random part**: ``min(quota, remaining)`` interactions, stratified by channel with proportional
   allocation (largest remainder; ties go to the larger stratum, then to the channel name), drawn with
   ``random.Random`` seeded from ``(seed, agent, channel)``. Seeding per stratum keeps an agent's sample
   unchanged when another agent's data changes.
3. **Graders**: the whole sample, in a seeded shuffled order, is dealt round-robin to the graders (in a
   seeded order too), so counts differ by at most one.

Determinism: the same candidates (in any order), parameters and seed give the identical result, because
every group is sorted by interaction id before anything random happens and string seeds are hashed by
``random`` with SHA-512, not with the per-process ``hash()``.

Margin of error (per agent, for a failure rate, 95 %, worst case p = 0.5, with finite-population
correction)::

    MoE = z · sqrt(p (1 − p) / n) · sqrt((N − n) / (N − 1)),   z = 1.959964

It is computed for the **random part** only, N = population minus always-included, n = randomly sampled,
because the always-included interactions are not a random sample. Conventions: n ≥ N (a census, which
includes N = 1 with n = 1 and N = n = 0) → 0.0; n = 0 < N → None (no estimate). The value is a proportion
(0.219 = ±21.9 percentage points). Reports estimating an agent's failure rate should therefore use the
randomly drawn evaluations (``SampledItem.reason is SelectionReason.RANDOM``).

Cost: O(N log N) for the sorts, O(N) otherwise; see ``benchmarks/sampling_bench.py``.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple

__all__ = [
    "Z_95",
    "AgentSummary",
    "AlwaysInclude",
    "Candidate",
    "SampleResult",
    "SampledItem",
    "SamplingParams",
    "SelectionReason",
    "allocate_proportional",
    "draw_sample",
    "margin_of_error",
]

Z_95 = 1.959963984540054  # two-sided 95 % quantile of the standard normal distribution


class Candidate(NamedTuple):
    """One interaction eligible for the draw. A NamedTuple rather than a frozen dataclass: a draw builds
    a million of these, and a tuple is created several times faster while staying immutable."""

    interaction_id: int
    agent: str
    channel: str
    csat: int | None = None
    complaint: bool = False
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlwaysInclude:
    """Rules for interactions that are always reviewed; ``cap`` is per agent (None = no cap)."""

    complaints: bool = False
    csat_at_most: int | None = None
    cap: int | None = None

    def matches(self, c: Candidate) -> bool:
        """True if ``c`` falls under one of the rules (the draw inlines this test for speed)."""
        if self.complaints and c.complaint:
            return True
        return self.csat_at_most is not None and c.csat is not None and c.csat <= self.csat_at_most


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """Draw parameters: random interactions per agent, always-include rules, seed, graders."""

    quota_per_agent: int
    seed: int | str
    always_include: AlwaysInclude = AlwaysInclude()
    graders: Sequence[str] = ()


class SelectionReason(StrEnum):
    """Why an interaction is in the sample."""

    COMPLAINT = "complaint"
    LOW_CSAT = "low_csat"
    RANDOM = "random"


@dataclass(frozen=True, slots=True)
class SampledItem:
    """One sampled interaction; ``grader`` is None when no graders were given."""

    interaction_id: int
    agent: str
    channel: str
    reason: SelectionReason
    grader: str | None


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """Per-agent figures; ``margin_of_error`` refers to the random part (see the module docstring)."""

    agent: str
    population: int
    sampled: int
    always_included: int
    random_sampled: int
    margin_of_error: float | None


@dataclass(frozen=True, slots=True)
class SampleResult:
    """The draw: items ordered by agent, always-included first, then by channel and id."""

    seed: int | str
    items: list[SampledItem]
    per_agent: list[AgentSummary]

    def grader_counts(self) -> dict[str | None, int]:
        """Number of items per grader."""
        out: dict[str | None, int] = defaultdict(int)
        for item in self.items:
            out[item.grader] += 1
        return dict(out)


def margin_of_error(population: int, sampled: int, z: float = Z_95, p: float = 0.5) -> float | None:
    """Half-width of the confidence interval of a proportion with finite-population correction.

    ``z · sqrt(p(1−p)/n) · sqrt((N−n)/(N−1))``; 0.0 for a census (n ≥ N, including N = 1), None when
    n = 0 < N. Negative inputs raise ValueError.
    """
    if population < 0 or sampled < 0:
        raise ValueError("population and sample size must be >= 0")
    if sampled >= population:
        return 0.0
    if sampled == 0:
        return None
    return z * math.sqrt(p * (1 - p) / sampled) * math.sqrt((population - sampled) / (population - 1))


def allocate_proportional(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` over strata proportionally to ``sizes`` (largest-remainder method).

    Requires 0 <= n <= sum(sizes). Leftover units go to the largest fractional parts; ties to the larger
    stratum, then to the smaller key, so the result never depends on dict order. No stratum gets more than
    its size.
    """
    total = sum(sizes.values())
    if n < 0 or n > total:
        raise ValueError(f"cannot allocate {n} over a population of {total}")
    if n == 0:
        return dict.fromkeys(sizes, 0)
    # Integer arithmetic: exact floors and remainders, no float ties.
    alloc = {k: n * size // total for k, size in sizes.items()}
    remainders = {k: n * size % total for k, size in sizes.items()}
    left = n - sum(alloc.values())
    for k in sorted(sizes, key=lambda k: (-remainders[k], -sizes[k], k))[:left]:
        alloc[k] += 1
    return alloc


_BY_ID = attrgetter("interaction_id")


def _severity_key(c: Candidate) -> tuple[int, int]:
    return (0 if c.complaint else 1, c.csat if c.csat is not None else 99)


def _always_included(eligible: list[Candidate], cap: int | None, seed: str) -> list[Candidate]:
    """The always-included part of one agent's draw: most severe first, at most ``cap``.

    When the cap cuts through one severity level, the level is sampled with a seeded RNG after sorting by
    id, so the choice does not depend on input order.
    """
    levels: dict[tuple[int, int], list[Candidate]] = defaultdict(list)
    for c in eligible:
        levels[_severity_key(c)].append(c)
    chosen: list[Candidate] = []
    room = len(eligible) if cap is None else cap
    rng = random.Random(seed)
    for key in sorted(levels):
        if room <= 0:
            break
        level = sorted(levels[key], key=_BY_ID)
        if len(level) > room:
            level = sorted(rng.sample(level, room), key=_BY_ID)
        chosen.extend(level)
        room -= len(level)
    return chosen


def draw_sample(candidates: Iterable[Candidate], params: SamplingParams) -> SampleResult:
    """Draw the sample; see the module docstring for the rules.

    Raises ValueError on bad parameters (negative quota or cap, duplicate graders) and on an interaction id
    listed twice.
    """
    quota = params.quota_per_agent
    rules = params.always_include
    cap = rules.cap
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
        raise ValueError("quota_per_agent must be an integer >= 0")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
        raise ValueError("always_include.cap must be an integer >= 0 or None")
    graders = list(params.graders)
    if len(set(graders)) != len(graders):
        raise ValueError("graders must be unique")
    seed = params.seed
    complaints, threshold = rules.complaints, rules.csat_at_most

    # One pass over the candidates. The random part only keeps ids: sorting plain ints is far cheaper than
    # sorting objects, and the draw needs nothing else from them.
    strata_by_agent: dict[str, dict[str, list[int]]] = {}
    eligible_by_agent: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        agent_strata = strata_by_agent.get(c.agent)
        if agent_strata is None:
            agent_strata = strata_by_agent[c.agent] = defaultdict(list)
        agent_strata[c.channel].append(c.interaction_id)
        if (complaints and c.complaint) or (
            threshold is not None and c.csat is not None and c.csat <= threshold
        ):
            eligible_by_agent[c.agent].append(c)

    items: list[SampledItem] = []
    summaries: list[AgentSummary] = []
    all_ids: set[int] = set()
    for agent in sorted(strata_by_agent):
        strata = strata_by_agent[agent]
        population = sum(len(ids) for ids in strata.values())
        before = len(all_ids)
        for ids in strata.values():
            all_ids.update(ids)
        if len(all_ids) - before != population:
            raise ValueError(f"an interaction id of agent {agent!r} is listed more than once")

        forced = _always_included(eligible_by_agent.get(agent, []), cap, f"{seed}\x1f{agent}\x1falways")
        if forced:
            forced_ids = {c.interaction_id for c in forced}
            for channel, ids in strata.items():
                strata[channel] = [i for i in ids if i not in forced_ids]
        for ids in strata.values():
            ids.sort()
        remaining = population - len(forced)
        allocation = allocate_proportional({ch: len(v) for ch, v in strata.items()}, min(quota, remaining))

        for c in forced:
            reason = SelectionReason.COMPLAINT if complaints and c.complaint else SelectionReason.LOW_CSAT
            items.append(SampledItem(c.interaction_id, agent, c.channel, reason, None))
        drawn = 0
        for channel in sorted(strata):
            k = allocation[channel]
            if k == 0:
                continue
            picked = random.Random(f"{seed}\x1f{agent}\x1f{channel}").sample(strata[channel], k)
            picked.sort()
            items.extend(SampledItem(i, agent, channel, SelectionReason.RANDOM, None) for i in picked)
            drawn += k

        summaries.append(
            AgentSummary(
                agent=agent,
                population=population,
                sampled=len(forced) + drawn,
                always_included=len(forced),
                random_sampled=drawn,
                margin_of_error=margin_of_error(remaining, drawn),
            )
        )

    if graders:
        items = _assign_graders(items, graders, seed)
    return SampleResult(seed=seed, items=items, per_agent=summaries)


def _assign_graders(items: list[SampledItem], graders: list[str], seed: int | str) -> list[SampledItem]:
    """Deal items round-robin to graders over a seeded order of both; counts differ by at most one."""
    order = list(range(len(items)))
    order.sort(key=lambda i: items[i].interaction_id)
    rng = random.Random(f"{seed}\x1fgraders")
    rng.shuffle(order)
    dealers = sorted(graders)
    rng.shuffle(dealers)
    assigned: list[str] = [""] * len(items)
    for position, i in enumerate(order):
        assigned[i] = dealers[position % len(dealers)]
    return [
        SampledItem(it.interaction_id, it.agent, it.channel, it.reason, assigned[i])
        for i, it in enumerate(items)
    ]
