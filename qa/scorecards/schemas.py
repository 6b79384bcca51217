"""The API's request and response models of scorecards (they validate JSON input and generate the OpenAPI
document; ``input.parse_payload`` and the scoring rules still decide whether a definition can be scored)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from portal.schemas import Body, Bool, Line, Number, Reply, Text
from qa.scorecards.input import MAX_NAME
from qa.scorecards.scoring import MAX_POINTS, MAX_WEIGHT

Name = Annotated[Line, Field(min_length=1, max_length=MAX_NAME)]


class CriterionIn(Body):
    name: Name
    description: Text | None = None
    scale: Literal["binary", "3", "5"] = "binary"
    points: Annotated[Number, Field(gt=0, le=MAX_POINTS)] = 1
    allow_na: Bool = False
    critical: Bool = False
    guidance: dict[str, Text] = Field(default_factory=dict, description="scale value → what the level means")


class SectionIn(Body):
    name: Name
    weight: Annotated[Number, Field(ge=0, le=MAX_WEIGHT)] = 1
    criteria: Annotated[list[CriterionIn], Field(min_length=1)]


class ScorecardIn(Body):
    name: Name
    description: Text | None = None
    mode: Literal["points", "weighted_sections"] = "weighted_sections"
    sections: Annotated[list[SectionIn], Field(min_length=1)]


class CriterionOut(Reply):
    id: int
    name: str
    description: str
    scale: str
    points: float
    allow_na: bool
    critical: bool
    guidance: dict[str, str]


class SectionOut(Reply):
    id: int
    name: str
    weight: float
    criteria: list[CriterionOut]


class Scorecard(Reply):
    """A scorecard version as a tree: the POST body with ids on every level."""

    id: int
    name: str
    description: str
    version_id: int
    version: int
    versions: int
    frozen: bool = Field(description="true once an evaluation uses this version")
    mode: str
    sections: list[SectionOut]
