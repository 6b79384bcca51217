"""A scorecard definition as a client or form sends it: parsed from JSON and checked, every problem listed."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from portal.domain import DomainError
from qa.scorecards.scoring import (
    CriterionSpec,
    Scale,
    ScorecardError,
    ScorecardSpec,
    ScoringMode,
    SectionSpec,
    validate_scorecard,
)

MAX_NAME = 200


class ScorecardInputError(DomainError):
    """The scorecard definition is invalid; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], status: int = 400):
        self.problems = problems
        super().__init__("; ".join(problems), status, details={"problems": problems})


@dataclass
class CriterionInput:
    name: str
    scale: str = Scale.BINARY.value
    points: float = 1.0
    allow_na: bool = False
    critical: bool = False
    description: str = ""
    guidance: dict[int, str] = field(default_factory=dict)


@dataclass
class SectionInput:
    name: str
    weight: float = 1.0
    criteria: list[CriterionInput] = field(default_factory=list)


@dataclass
class ScorecardInput:
    name: str
    mode: str = ScoringMode.WEIGHTED_SECTIONS.value
    description: str = ""
    sections: list[SectionInput] = field(default_factory=list)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any, what: str, problems: list[str], default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{what} must be a number")
        return default
    return float(value)


def parse_payload(data: dict[str, Any]) -> ScorecardInput:
    """The API body of ``POST /qa/scorecards`` → :class:`ScorecardInput`; :class:`ScorecardInputError`
    lists every structural problem (values are checked by :func:`validate_input`)."""
    problems: list[str] = []
    name = data.get("name")
    if not isinstance(name, str):
        problems.append("name must be a string")
        name = ""
    mode = data.get("mode", ScoringMode.WEIGHTED_SECTIONS.value)
    if not isinstance(mode, str):
        problems.append("mode must be a string")
        mode = ""
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list):
        problems.append("sections must be a list")
        sections_raw = []
    sections = []
    for i, s in enumerate(sections_raw, start=1):
        if not isinstance(s, dict):
            problems.append(f"section {i} must be an object")
            continue
        criteria_raw = s.get("criteria")
        if not isinstance(criteria_raw, list):
            problems.append(f"section {i}: criteria must be a list")
            criteria_raw = []
        criteria = []
        for j, c in enumerate(criteria_raw, start=1):
            if not isinstance(c, dict):
                problems.append(f"section {i}, criterion {j} must be an object")
                continue
            guidance_raw = c.get("guidance") or {}
            guidance: dict[int, str] = {}
            if isinstance(guidance_raw, dict):
                for k, v in guidance_raw.items():
                    # re.fullmatch, not str.isdigit: "²" is a digit to isdigit() but not to int().
                    if re.fullmatch(r"-?[0-9]{1,2}", str(k)) and isinstance(v, str):
                        guidance[int(k)] = v
                    else:
                        problems.append(f"section {i}, criterion {j}: guidance maps scale values to text")
            else:
                problems.append(f"section {i}, criterion {j}: guidance must be an object")
            criteria.append(
                CriterionInput(
                    name=_text(c.get("name")),
                    scale=str(c.get("scale", Scale.BINARY.value)),
                    points=_number(c.get("points"), f"section {i}, criterion {j}: points", problems, 1.0),
                    allow_na=bool(c.get("allow_na", False)),
                    critical=bool(c.get("critical", False)),
                    description=_text(c.get("description")),
                    guidance=guidance,
                )
            )
        sections.append(
            SectionInput(
                name=_text(s.get("name")),
                weight=_number(s.get("weight"), f"section {i}: weight", problems, 1.0),
                criteria=criteria,
            )
        )
    if problems:
        raise ScorecardInputError(problems)
    return ScorecardInput(
        name=name.strip(), mode=mode, description=str(data.get("description") or ""), sections=sections
    )


def validate_input(inp: ScorecardInput) -> None:
    """Raise :class:`ScorecardInputError` unless the definition can be scored (``qa.scoring`` rules)."""
    problems: list[str] = []
    if not inp.name.strip():
        problems.append("the scorecard needs a name")
    elif len(inp.name) > MAX_NAME:
        problems.append(f"the name has more than {MAX_NAME} characters")
    try:
        mode = ScoringMode(inp.mode)
    except ValueError:
        problems.append(f"mode must be points or weighted_sections, not {inp.mode!r}")
        mode = ScoringMode.POINTS
    sections, criteria = [], []
    for i, s in enumerate(inp.sections):
        sections.append(SectionSpec(id=i, name=s.name.strip(), weight=s.weight))
        for j, c in enumerate(s.criteria):
            try:
                scale = Scale(c.scale)
            except ValueError:
                problems.append(f"criterion {c.name!r}: scale must be binary, 3 or 5, not {c.scale!r}")
                scale = Scale.BINARY
            for level in c.guidance:
                if level not in scale.values:
                    problems.append(f"criterion {c.name!r}: guidance for {level}, which is not on the scale")
            if len(c.name) > MAX_NAME or len(s.name) > MAX_NAME:
                problems.append(f"names have at most {MAX_NAME} characters")
            criteria.append(
                CriterionSpec(
                    id=(i, j),
                    name=c.name.strip(),
                    scale=scale,
                    points=c.points,
                    allow_na=c.allow_na,
                    critical=c.critical,
                    section_id=i,
                )
            )
    if not inp.sections:
        problems.append("the scorecard has no sections")
    try:
        validate_scorecard(ScorecardSpec(mode=mode, sections=tuple(sections), criteria=tuple(criteria)))
    except ScorecardError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ScorecardInputError(list(dict.fromkeys(problems)))
