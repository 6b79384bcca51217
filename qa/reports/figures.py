"""Report arithmetic (pure: no database, no Flask), tested against hand-computed fixtures.

Definitions:

* The rows are released evaluations (submitted or later), never calibration ones, with their **current**
  score (after an adjustment). A row belongs to the period of its conversation's local date.
* IQS of a group = mean of the scores that exist; evaluations without a score (all criteria N/A) are left
  out, and ``n`` counts only evaluations with a score.
* Weeks are ISO weeks (``2024-W47``, Monday to Sunday); months are ``2024-11``.
* A criterion rating *fails* when its criterion score c is below 50 (N/A ratings are not counted);
  failure rate = failed / rated.
* Auto-fail reasons are the critical criteria scored below 50 in auto-failed evaluations.
* Dispute rate = disputed evaluations / released evaluations.
* QA score vs CSAT: Spearman's rho over the evaluations that have both; fewer than 30 pairs → a warning.
* Coverage per agent = evaluated conversations / all conversations of the agent in the period.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from qa.scorecards.scoring import AUTO_FAIL_THRESHOLD
from qa.stats import spearman

MIN_CORRELATION_PAIRS = 30
GROUPS = ("agent", "team", "channel", "week", "month")


@dataclass(frozen=True)
class CriterionRating:
    name: str
    c: float | None  # criterion score 0–100, None = N/A
    critical: bool = False


@dataclass(frozen=True)
class EvalRow:
    evaluation_id: int
    agent: str
    team: str
    channel: str
    day: date
    score: float | None
    auto_fail: bool = False
    csat: int | None = None
    status: str = "submitted"
    ratings: tuple[CriterionRating, ...] = field(default_factory=tuple)


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _key_function(group_by: str) -> Callable[[EvalRow], str]:
    if group_by == "agent":
        return lambda r: r.agent
    if group_by == "team":
        return lambda r: r.team
    if group_by == "channel":
        return lambda r: r.channel
    if group_by == "week":
        return lambda r: week_key(r.day)
    if group_by == "month":
        return lambda r: month_key(r.day)
    raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return math.fsum(values) / len(values) if values else None


def iqs_rows(rows: Iterable[EvalRow], group_by: str) -> list[dict]:
    """[{key, iqs, n}] per group; periods in time order, other groups best IQS first (ties by key)."""
    key = _key_function(group_by)
    groups: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.score is not None:
            groups[key(r)].append(r.score)
    out = [{"key": k, "iqs": mean(v), "n": len(v)} for k, v in groups.items()]
    if group_by in ("week", "month"):
        return sorted(out, key=lambda x: x["key"])
    return sorted(out, key=lambda x: (-x["iqs"], x["key"]))


def overall_iqs(rows: Iterable[EvalRow]) -> dict:
    scores = [r.score for r in rows if r.score is not None]
    return {"iqs": mean(scores), "n": len(scores)}


def failure_rates(rows: Iterable[EvalRow]) -> list[dict]:
    """[{criterion, rated, failed, rate}] highest failure rate first (ties by name)."""
    rated: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for r in rows:
        for rating in r.ratings:
            if rating.c is None:
                continue
            rated[rating.name] += 1
            if rating.c < AUTO_FAIL_THRESHOLD:
                failed[rating.name] += 1
    out = [
        {"criterion": n, "rated": rated[n], "failed": failed[n], "rate": failed[n] / rated[n]} for n in rated
    ]
    return sorted(out, key=lambda x: (-x["rate"], x["criterion"]))


def auto_fail_summary(rows: Iterable[EvalRow]) -> dict:
    """{count, total, rate, reasons: [{reason, count}]} over evaluations that have a score."""
    rows = [r for r in rows if r.score is not None]
    failing = [r for r in rows if r.auto_fail]
    reasons: Counter[str] = Counter()
    for r in failing:
        for rating in r.ratings:
            if rating.critical and rating.c is not None and rating.c < AUTO_FAIL_THRESHOLD:
                reasons[rating.name] += 1
    return {
        "count": len(failing),
        "total": len(rows),
        "rate": len(failing) / len(rows) if rows else None,
        "reasons": [
            {"reason": k, "count": v} for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def dispute_summary(released: int, dispute_statuses: Iterable[str]) -> dict:
    """{released, disputed, rate, open, upheld, adjusted}; ``dispute_statuses`` one entry per dispute."""
    counts = Counter(dispute_statuses)
    disputed = sum(counts.values())
    return {
        "released": released,
        "disputed": disputed,
        "rate": disputed / released if released else None,
        "open": counts.get("open", 0),
        "upheld": counts.get("upheld", 0),
        "adjusted": counts.get("adjusted", 0),
    }


def csat_correlation(rows: Iterable[EvalRow]) -> dict:
    """{rho, n, warning}: Spearman's rho of QA score vs CSAT; ``warning`` when n < 30."""
    pairs = [(r.score, r.csat) for r in rows if r.score is not None and r.csat is not None]
    rho, n = spearman([p[0] for p in pairs], [p[1] for p in pairs])
    return {"rho": rho, "n": n, "warning": n < MIN_CORRELATION_PAIRS}


def coverage(total_by_agent: Mapping[str, int], evaluated_by_agent: Mapping[str, int]) -> list[dict]:
    """[{agent, total, evaluated, rate}] lowest coverage first (ties by agent)."""
    out = []
    for agent, total in total_by_agent.items():
        evaluated = evaluated_by_agent.get(agent, 0)
        out.append(
            {
                "agent": agent,
                "total": total,
                "evaluated": evaluated,
                "rate": evaluated / total if total else None,
            }
        )
    return sorted(out, key=lambda x: (x["rate"] if x["rate"] is not None else 2, x["agent"]))


def best_and_common_problems(rows: list[EvalRow], min_n: int = 2, top: int = 3) -> dict:
    """For the periodic bulletin: the best agents by IQS (with at least ``min_n`` scored evaluations) and
    the most failed criteria."""
    agents = [r for r in iqs_rows(rows, "agent") if r["n"] >= min_n]
    problems = [f for f in failure_rates(rows) if f["failed"] > 0]
    return {"best": agents[:top], "problems": problems[:top]}
