"""Typed input of the dispute verbs, the parsing of raw request values into it, and the API's request and
response models of evaluations (they validate JSON input and generate the OpenAPI document).

The services take these dataclasses; the API and the forms turn what a client sent into them here, so a
malformed value is refused with the message (and ``details.field``) clients have always received, before any
service runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Literal, TypeGuard

from pydantic import Field

from portal.domain import DomainError
from portal.schemas import Body, Bool, Int, IsoDateTime, Reply, RowId, Text
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

    def masked(self, mask: Callable[[str], str]) -> DisputeInput:
        """With the reason masked (``portal.masking.free_text_masker``): it may quote personal data."""
        return replace(self, reason=mask(self.reason))


@dataclass(frozen=True)
class RatingChange:
    """One rating a lead changes when adjusting: ``value`` None is N/A; ``comment`` None keeps the old one."""

    criterion_id: int
    value: int | None
    comment: str | None = None

    def masked(self, mask: Callable[[str], str]) -> RatingChange:
        return self if self.comment is None else replace(self, comment=mask(self.comment))


@dataclass(frozen=True)
class Resolution:
    """A lead's decision on a dispute: uphold, or adjust ``ratings`` (explained in ``comment``)."""

    outcome: DisputeStatus
    comment: str = ""
    ratings: list[RatingChange] = field(default_factory=list)

    def masked(self, mask: Callable[[str], str]) -> Resolution:
        """With the comments masked (``portal.masking.free_text_masker``): they may quote personal data."""
        return replace(self, comment=mask(self.comment), ratings=[r.masked(mask) for r in self.ratings])


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


# --- the API's models ------------------------------------------------------------------------------------

Reason = Annotated[Text, Field(max_length=MAX_REASON)]


class RatingIn(Body):
    criterion_id: RowId
    value: Annotated[Int, Field(description="on the criterion's scale")] | None = Field(
        default=None, description="null = N/A"
    )
    comment: Text | None = None
    evidence: Annotated[Text, Field(description="a quote from the (masked) transcript")] | None = None


class EvaluationIn(Body):
    interaction_id: RowId
    scorecard_version_id: RowId | None = Field(
        default=None, description="default: the draft's version, else the default scorecard's latest"
    )
    ratings: list[RatingIn] = Field(default_factory=list)
    comment: Text | None = None
    article_id: RowId | None = None
    no_article: Bool = False
    gap_note: Text | None = None
    submit: Bool = False


class EvaluationResult(Reply):
    id: int
    score: float | None = Field(description="0–100, full precision")
    auto_fail: bool
    auto_fail_reasons: list[str]
    status: str = Field(description="draft, submitted, acknowledged, disputed, upheld or adjusted")


class RatingOut(Reply):
    criterion_id: int
    value: int | float | None = Field(description="null = N/A")
    comment: str | None = None
    evidence: str | None = None


class Evaluation(EvaluationResult):
    interaction_id: int
    scorecard_version_id: int
    ticket_id: str
    agent: str | None
    grader: str | None
    is_calibration: bool
    raw_score: float | None
    comment: str
    article_id: int | None
    no_article: bool
    gap_note: str
    created_at: IsoDateTime
    submitted_at: IsoDateTime | None
    ratings: list[RatingOut]


class DisputeOut(Reply):
    id: int
    status: str = Field(description="open, upheld or adjusted")
    reason: str
    criteria: list[int]
    opened_at: IsoDateTime
    resolved_at: IsoDateTime | None
    comment: str | None


class HistoryEntry(Reply):
    kind: str = Field(description="original or adjusted")
    score: float | None
    auto_fail: bool
    ratings: list[RatingOut]
    comment: str | None
    changed_at: IsoDateTime


class EvaluationWithDispute(Evaluation):
    dispute: DisputeOut | None
    history: list[HistoryEntry] = Field(description="the original score and ratings, then each adjustment")


class DisputeIn(Body):
    reason: Annotated[Reason, Field(min_length=1)]
    criteria: Annotated[list[RowId], Field(min_length=1)]

    def to_input(self) -> DisputeInput:
        return parse_dispute(self.reason, self.criteria)


class RatingChangeIn(Body):
    criterion_id: RowId
    value: Int | None = None
    comment: Text | None = None


class ResolutionIn(Body):
    outcome: Literal["upheld", "adjusted"]
    comment: Annotated[Reason, Field(description="required to adjust")] | None = None
    ratings: list[RatingChangeIn] | None = Field(
        default=None, description="the changed ratings (adjusted only)"
    )

    def to_input(self) -> Resolution:
        ratings = None if self.ratings is None else [r.model_dump() for r in self.ratings]
        return parse_resolution(self.outcome, self.comment, ratings)
