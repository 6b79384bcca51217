"""Typed input of the dispute verbs, and the parsing of raw request values into it.

The services take these dataclasses; the API and the forms turn what a client sent into them here, so a
malformed value is refused with the message (and ``details.field``) clients have always received, before any
service runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

from portal.domain import DomainError
from qa.evaluations.models import DisputeStatus

MAX_REASON = 2000
MAX_ID = 2**31 - 1
MAX_RATING = 1000


def _is_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


@dataclass(frozen=True)
class DisputeInput:
    """The agent's objection: a reason and the criteria (ids) it is about."""

    reason: str
    criteria: list[int]


@dataclass(frozen=True)
class RatingChange:
    """One rating a lead changes when adjusting: ``value`` None is N/A; ``comment`` None keeps the old one."""

    criterion_id: int
    value: int | None
    comment: str | None = None


@dataclass(frozen=True)
class Resolution:
    """A lead's decision on a dispute: uphold, or adjust ``ratings`` (explained in ``comment``)."""

    outcome: DisputeStatus
    comment: str = ""
    ratings: list[RatingChange] = field(default_factory=list)


def parse_dispute(reason: object, criteria: object) -> DisputeInput:
    if not isinstance(reason, str) or not reason.strip():
        raise DomainError("give a reason for the dispute", details={"field": "reason"})
    if len(reason) > MAX_REASON:
        raise DomainError(f"the reason has at most {MAX_REASON} characters", details={"field": "reason"})
    if not isinstance(criteria, list) or not criteria or not all(_is_id(c) for c in criteria):
        raise DomainError("choose at least one criterion to dispute", details={"field": "criteria"})
    return DisputeInput(reason=reason.strip(), criteria=[int(c) for c in criteria])


def _parse_changes(value: object) -> list[RatingChange]:
    if not isinstance(value, list):
        raise DomainError("an adjustment needs the changed ratings", details={"field": "ratings"})
    out: list[RatingChange] = []
    seen: set[int] = set()
    for i, r in enumerate(value):
        where = {"field": f"ratings[{i}]"}
        cid = r.get("criterion_id") if isinstance(r, dict) else None
        if not isinstance(r, dict) or not _is_id(cid):
            raise DomainError(f"ratings[{i}] needs an integer criterion_id", details=where)
        if cid in seen:
            raise DomainError(f"criterion {cid} appears twice", details=where)
        seen.add(cid)
        val = r.get("value")
        if val is not None and (isinstance(val, bool) or not isinstance(val, int) or abs(val) > MAX_RATING):
            raise DomainError(f"ratings[{i}].value must be a whole number or null", details=where)
        comment = r.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise DomainError(f"ratings[{i}].comment must be a string", details=where)
        out.append(RatingChange(criterion_id=cid, value=val, comment=comment))
    return out


def parse_resolution(outcome: object, comment: object, ratings: object = None) -> Resolution:
    """``ratings`` is read only to adjust; an upheld evaluation keeps its ratings whatever was sent."""
    if outcome not in (DisputeStatus.UPHELD.value, DisputeStatus.ADJUSTED.value):
        raise DomainError("outcome must be 'upheld' or 'adjusted'", details={"field": "outcome"})
    if comment is not None and not isinstance(comment, str):
        raise DomainError("comment must be a string", details={"field": "comment"})
    text = (comment or "").strip()
    if len(text) > MAX_REASON:
        raise DomainError(f"the comment has at most {MAX_REASON} characters", details={"field": "comment"})
    state = DisputeStatus(outcome)
    if state is DisputeStatus.ADJUSTED and not text:
        raise DomainError("explain the adjustment in a comment", details={"field": "comment"})
    changes = _parse_changes(ratings) if state is DisputeStatus.ADJUSTED else []
    return Resolution(outcome=state, comment=text, ratings=changes)
