"""Typed input of the calibration verbs, and the parsing of raw request values into it (same messages and
``details.field`` as clients have always received)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

from portal.domain import DomainError
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


@dataclass(frozen=True)
class CalibrationRatings:
    """One grader's ratings of every criterion of one interaction of the session."""

    interaction_id: int
    ratings: list[CalibrationRatingInput] = field(default_factory=list)


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
