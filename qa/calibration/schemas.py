"""Typed input of the calibration verbs, the parsing of raw request values into it (same messages and
``details.field`` as clients have always received), and the API's request and response models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, TypeGuard

from pydantic import Field

from portal.domain import DomainError
from portal.schemas import Body, Int, Line, Reply, RowId, Text
from qa.scorecards.scoring import RatingValue

MAX_INTERACTIONS = 50
MAX_NAME = 200
MAX_COMMENT = 2000
MAX_ID = 2**31 - 1


def is_id(value: object) -> TypeGuard[int]:
    """A database id: a positive whole number that fits a 32-bit column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


@dataclass(frozen=True)
class CalibrationInput:
    """A new session: its name, the interactions (in order), the scorecard version, the graders'
    usernames and optionally the expert's (added to the graders; their rating is the consensus)."""

    name: str
    interaction_ids: list[int]
    scorecard_version_id: int
    graders: list[str]
    expert: str | None = None


@dataclass(frozen=True)
class CalibrationRatingInput:
    criterion_id: int
    value: RatingValue  # checked against the scale by the service; None = N/A
    comment: str = ""

    def masked(self, mask: Callable[[str], str]) -> CalibrationRatingInput:
        return replace(self, comment=mask(self.comment))


@dataclass(frozen=True)
class CalibrationRatings:
    """One grader's ratings of every criterion of one interaction of the session."""

    interaction_id: int
    ratings: list[CalibrationRatingInput] = field(default_factory=list)

    def masked(self, mask: Callable[[str], str]) -> CalibrationRatings:
        """With the comments masked (``portal.masking.free_text_masker``): they may quote personal data."""
        return replace(self, ratings=[r.masked(mask) for r in self.ratings])


def parse_calibration(
    name: object,
    interaction_ids: object,
    scorecard_version_id: object,
    graders: object,
    expert: object = None,
) -> CalibrationInput:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise DomainError(f"name must be 1–{MAX_NAME} characters", details={"field": "name"})
    if not isinstance(interaction_ids, list) or not all(is_id(v) for v in interaction_ids):
        raise DomainError(
            "interaction_ids must be a list of ids (positive integers)", details={"field": "interaction_ids"}
        )
    if (
        not interaction_ids
        or len(interaction_ids) > MAX_INTERACTIONS
        or len(set(interaction_ids)) != len(interaction_ids)
    ):
        raise DomainError(
            f"choose 1–{MAX_INTERACTIONS} different interactions", details={"field": "interaction_ids"}
        )
    if not is_id(scorecard_version_id):
        raise DomainError(
            "scorecard_version_id must be an id (positive integer)", details={"field": "scorecard_version_id"}
        )
    if not isinstance(graders, list) or not all(isinstance(g, str) for g in graders):
        raise DomainError("graders must be a list of usernames", details={"field": "graders"})
    if expert is not None and not isinstance(expert, str):
        raise DomainError("expert must be a username or null", details={"field": "expert"})
    return CalibrationInput(
        name=name.strip(),
        interaction_ids=[int(i) for i in interaction_ids],
        scorecard_version_id=scorecard_version_id,
        graders=list(graders),
        expert=(expert or "").strip() or None,
    )


def parse_ratings(interaction_id: object, ratings: object) -> CalibrationRatings:
    if not is_id(interaction_id):
        raise DomainError(
            "interaction_id must be an id (positive integer)", details={"field": "interaction_id"}
        )
    if not isinstance(ratings, list):
        raise DomainError("ratings must be a list", details={"field": "ratings"})
    out: list[CalibrationRatingInput] = []
    seen: set[int] = set()
    for i, r in enumerate(ratings):
        cid = r.get("criterion_id") if isinstance(r, dict) else None
        if not isinstance(r, dict) or not is_id(cid):
            raise DomainError(
                f"ratings[{i}] needs a criterion_id (positive integer)", details={"field": f"ratings[{i}]"}
            )
        if cid in seen:
            raise DomainError(f"criterion {cid} is rated twice", details={"field": f"ratings[{i}]"})
        seen.add(cid)
        comment = r.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise DomainError(f"ratings[{i}].comment must be a text of at most {MAX_COMMENT} characters")
        value = r.get("value")
        if value is not None and not isinstance(value, int | float):
            raise DomainError(
                f"ratings[{i}].value must be a whole number or null", details={"field": f"ratings[{i}]"}
            )
        out.append(CalibrationRatingInput(criterion_id=cid, value=value, comment=comment.strip()))
    return CalibrationRatings(interaction_id=interaction_id, ratings=out)


# --- the API's models ------------------------------------------------------------------------------------


class CalibrationIn(Body):
    name: Annotated[Line, Field(min_length=1, max_length=MAX_NAME)]
    interaction_ids: Annotated[list[RowId], Field(min_length=1, max_length=MAX_INTERACTIONS)]
    scorecard_version_id: RowId
    graders: Annotated[list[Line], Field(min_length=2, description="usernames")]
    expert: Annotated[Line, Field(description="username; their rating is the consensus")] | None = None

    def to_input(self) -> CalibrationInput:
        return parse_calibration(
            self.name, self.interaction_ids, self.scorecard_version_id, self.graders, self.expert
        )


class CalibrationRatingIn(Body):
    criterion_id: RowId
    value: Int | None = Field(default=None, description="on the criterion's scale; null = N/A")
    comment: Annotated[Text, Field(max_length=MAX_COMMENT)] | None = None


class CalibrationRatingsIn(Body):
    interaction_id: RowId
    ratings: list[CalibrationRatingIn]

    def to_input(self) -> CalibrationRatings:
        return parse_ratings(self.interaction_id, [r.model_dump() for r in self.ratings])


class CalibrationCreated(Reply):
    id: int


class CalibrationRatingOut(Reply):
    criterion_id: int
    value: int | float | None


class CalibrationRatingsOut(Reply):
    interaction_id: int
    ratings: list[CalibrationRatingOut]


class GraderProgress(Reply):
    grader: str
    rated: list[int]


class GraderRating(Reply):
    grader: str | None
    interaction_id: int
    criterion_id: int
    value: int | float | None


class Calibration(Reply):
    id: int
    name: str
    status: str
    scorecard_version_id: int
    interaction_ids: list[int]
    graders: list[str]
    progress: list[GraderProgress]
    my_ratings: list[CalibrationRatingsOut]
    results: dict[str, Any] | None = Field(description="the results once closed")
    ratings: list[GraderRating] | None = Field(description="everyone's ratings once closed")


class CriterionDeviation(Reply):
    criterion_id: int
    deviation: float | None
    bias: float | None


class GraderResult(Reply):
    grader: str
    deviation: float | None
    bias: float | None = None
    n_units: int | None = None
    flagged: bool
    criteria: list[CriterionDeviation] = Field(default_factory=list)


class CriterionConsensus(Reply):
    criterion_id: int
    name: str | None = None
    consensus: float | None


class CalibrationResults(Reply):
    alpha: float | None = Field(description="Krippendorff's alpha, interval")
    expert: str | None = None
    threshold: float | None = None
    graders: list[GraderResult]
    criteria: list[CriterionConsensus]
