"""Score arithmetic of QA evaluations. This docstring is shown in the UI as well.

Scales::

    yes/no (binary) = 0–1      3-point = 1–3      5-point = 1–5

Criterion score (0–100)::

    c = (chosen − scale min) / (scale max − scale min) × 100

    binary: no = 0, yes = 100
    3-point: 1 = 0, 2 = 50, 3 = 100
    5-point: 1 = 0, 2 = 25, 3 = 50, 4 = 75, 5 = 100

N/A criteria (value ``None``) are left out everywhere: they count neither in a numerator nor in a
denominator. Each criterion has ``points`` (default 1, must be > 0).

*points* mode::

    score = Σ (c × points) / Σ points            over all rated criteria

*weighted sections* mode::

    section score = Σ (c × points) / Σ points    over the section's rated criteria
    score = Σ (section score × section weight) / Σ section weight
                                                 over the sections that have a rated criterion

A section whose criteria are all N/A has no score and its weight leaves the denominator.

Critical criteria: if any rated critical criterion has c < 50, the evaluation fails automatically and its
score is 0; the reasons list the failing criteria and ``raw_score`` keeps the score it would have had.
So a critical 3-point criterion fails only at 1, a critical 5-point criterion at 1 or 2.

All criteria N/A (or, in weighted mode, only sections of weight 0 rated): no score (``None``); such an
evaluation is excluded from averages. A failed critical criterion still forces 0 in the weight-0 case. IQS of a group = mean of the evaluation scores that exist.

Scores keep full float precision; only :func:`format_score` rounds (half up, one decimal) for display.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from portal.domain import DomainError

__all__ = [
    "AUTO_FAIL_THRESHOLD",
    "CriterionSpec",
    "RatingError",
    "RatingProblem",
    "Scale",
    "ScoreResult",
    "ScorecardError",
    "ScorecardSpec",
    "ScoringMode",
    "SectionSpec",
    "criterion_score",
    "format_score",
    "iqs",
    "score_evaluation",
    "validate_ratings",
    "validate_scorecard",
]

AUTO_FAIL_THRESHOLD = 50.0

Id = Hashable  # database ids (int) in the app, anything hashable in tests
RatingValue = int | float | bool | None


class Scale(StrEnum):
    """Rating scale of a criterion; the values are the API spellings."""

    BINARY = "binary"
    THREE = "3"
    FIVE = "5"

    @property
    def min(self) -> int:
        """Lowest allowed value."""
        return 0 if self is Scale.BINARY else 1

    @property
    def max(self) -> int:
        """Highest allowed value."""
        return {Scale.BINARY: 1, Scale.THREE: 3, Scale.FIVE: 5}[self]

    @property
    def values(self) -> tuple[int, ...]:
        """All allowed values, lowest first (for form choices)."""
        return tuple(range(self.min, self.max + 1))


class ScoringMode(StrEnum):
    """How criterion scores are combined into the evaluation score."""

    POINTS = "points"
    WEIGHTED_SECTIONS = "weighted_sections"


@dataclass(frozen=True, slots=True)
class CriterionSpec:
    """One criterion of a scorecard version."""

    id: Id
    name: str
    scale: Scale
    points: float = 1.0
    allow_na: bool = False
    critical: bool = False
    section_id: Id | None = None


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """A section of a scorecard; ``weight`` is only used in weighted-sections mode."""

    id: Id
    name: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ScorecardSpec:
    """The scoring-relevant part of a scorecard version."""

    mode: ScoringMode
    sections: tuple[SectionSpec, ...]
    criteria: tuple[CriterionSpec, ...]


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Outcome of :func:`score_evaluation`.

    ``score`` is None when nothing was rated. ``raw_score`` is the score before an auto-fail (equal to
    ``score`` otherwise). ``criterion_scores`` and ``section_scores`` hold every criterion/section of the
    scorecard, None where N/A (sections are computed in both modes so the UI can show them).
    """

    score: float | None
    auto_fail: bool
    auto_fail_reasons: list[str] = field(default_factory=list)
    auto_fail_criteria: list[Id] = field(default_factory=list)
    section_scores: dict[Id, float | None] = field(default_factory=dict)
    criterion_scores: dict[Id, float | None] = field(default_factory=dict)
    raw_score: float | None = None


class ScorecardError(DomainError):
    """A scorecard definition cannot be scored; ``problems`` lists every issue found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems), details={"problems": problems})


@dataclass(frozen=True, slots=True)
class RatingProblem:
    """One invalid rating; ``criterion_id`` lets a form attach the message to the right field."""

    criterion_id: Id
    message: str


class RatingError(DomainError):
    """Ratings do not fit the scorecard; ``problems`` lists every issue found, by criterion."""

    def __init__(self, problems: list[RatingProblem]):
        self.problems = problems
        super().__init__(
            "; ".join(p.message for p in problems),
            details={"problems": [{"criterion_id": p.criterion_id, "message": p.message} for p in problems]},
        )


# Far beyond any real scorecard, far below where Σ(score × points) could overflow a float (1e308 points
# made every later score NaN).
MAX_POINTS = 1000.0
MAX_WEIGHT = 1000.0


def _finite_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def validate_scorecard(spec: ScorecardSpec) -> None:
    """Raise :class:`ScorecardError` listing every reason ``spec`` cannot be scored.

    Checks: known mode and scales, at least one criterion, unique non-blank ids/names per level,
    points in (0, MAX_POINTS], weights in [0, MAX_WEIGHT], total weight > 0 in weighted mode, every criterion in an
    existing section (required in weighted mode), no empty section.
    """
    problems: list[str] = []
    if not isinstance(spec.mode, ScoringMode):
        problems.append(f"unknown scoring mode {spec.mode!r}")
    if not spec.criteria:
        problems.append("the scorecard has no criteria")

    section_ids: set[Id] = set()
    for s in spec.sections:
        if s.id in section_ids:
            problems.append(f"duplicate section id {s.id!r}")
        section_ids.add(s.id)
        if not str(s.name).strip():
            problems.append(f"section {s.id!r} has no name")
        if not _finite_number(s.weight) or not 0 <= s.weight <= MAX_WEIGHT:
            problems.append(
                f"section {s.name!r}: weight must be a number from 0 to {MAX_WEIGHT:g}, got {s.weight!r}"
            )

    criterion_ids: set[Id] = set()
    used_sections: set[Id] = set()
    for c in spec.criteria:
        if c.id in criterion_ids:
            problems.append(f"duplicate criterion id {c.id!r}")
        criterion_ids.add(c.id)
        if not str(c.name).strip():
            problems.append(f"criterion {c.id!r} has no name")
        if not isinstance(c.scale, Scale):
            problems.append(f"criterion {c.name!r}: unknown scale {c.scale!r}")
        if not _finite_number(c.points) or not 0 < c.points <= MAX_POINTS:
            problems.append(
                f"criterion {c.name!r}: points must be a number > 0 and at most {MAX_POINTS:g}, got {c.points!r}"
            )
        if c.section_id is None:
            if spec.mode is ScoringMode.WEIGHTED_SECTIONS:
                problems.append(f"criterion {c.name!r} has no section (required in weighted-sections mode)")
        elif c.section_id not in section_ids:
            problems.append(f"criterion {c.name!r} refers to unknown section {c.section_id!r}")
        else:
            used_sections.add(c.section_id)

    for s in spec.sections:
        if s.id not in used_sections:
            problems.append(f"section {s.name!r} has no criteria")

    if spec.mode is ScoringMode.WEIGHTED_SECTIONS:
        if not spec.sections:
            problems.append("weighted-sections mode needs at least one section")
        weights = [
            s.weight for s in spec.sections if _finite_number(s.weight) and 0 <= s.weight <= MAX_WEIGHT
        ]
        if spec.sections and len(weights) == len(spec.sections) and math.fsum(weights) <= 0:
            problems.append("the section weights add up to 0; give at least one section a weight > 0")

    if problems:
        raise ScorecardError(problems)


def validate_ratings(spec: ScorecardSpec, ratings: Mapping[Id, RatingValue]) -> None:
    """Raise :class:`RatingError` unless ``ratings`` rates every criterion of ``spec`` exactly once.

    ``ratings`` maps criterion id → chosen value, None meaning N/A. A value must be a whole number on the
    criterion's scale (``True``/``False`` are accepted for yes/no criteria only); N/A only where allowed;
    ids not in the scorecard and criteria without an entry are errors.
    """
    problems: list[RatingProblem] = []
    known = {c.id: c for c in spec.criteria}
    for cid in ratings:
        if cid not in known:
            problems.append(RatingProblem(cid, f"unknown criterion {cid!r}"))
    for c in spec.criteria:
        if c.id not in ratings:
            problems.append(RatingProblem(c.id, f"criterion {c.name!r} is not rated"))
            continue
        value = ratings[c.id]
        if value is None:
            if not c.allow_na:
                problems.append(RatingProblem(c.id, f"criterion {c.name!r} does not allow N/A"))
            continue
        if isinstance(value, bool):
            if c.scale is not Scale.BINARY:
                problems.append(RatingProblem(c.id, f"criterion {c.name!r} needs a number, not yes/no"))
            continue
        if not _finite_number(value) or value != int(value):
            problems.append(RatingProblem(c.id, f"criterion {c.name!r}: {value!r} is not a whole number"))
            continue
        if not c.scale.min <= value <= c.scale.max:
            problems.append(
                RatingProblem(
                    c.id,
                    f"criterion {c.name!r}: {value!r} is outside the scale {c.scale.min}–{c.scale.max}",
                )
            )
    if problems:
        raise RatingError(problems)


def criterion_score(scale: Scale, value: RatingValue) -> float | None:
    """c = (value − min) / (max − min) × 100; None for N/A. Does not validate (see :func:`validate_ratings`)."""
    if value is None:
        return None
    return (float(value) - scale.min) / (scale.max - scale.min) * 100.0


def _weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    pairs = list(pairs)
    denominator = math.fsum(w for _, w in pairs)
    if denominator <= 0:
        return None
    return math.fsum(v * w for v, w in pairs) / denominator


def score_evaluation(spec: ScorecardSpec, ratings: Mapping[Id, RatingValue]) -> ScoreResult:
    """Score one evaluation exactly as the module docstring describes.

    Validates the scorecard and the ratings first (:class:`ScorecardError`, :class:`RatingError`).
    """
    validate_scorecard(spec)
    validate_ratings(spec, ratings)

    criterion_scores = {c.id: criterion_score(c.scale, ratings[c.id]) for c in spec.criteria}
    rated: list[tuple[CriterionSpec, float]] = [
        (c, cs) for c in spec.criteria if (cs := criterion_scores[c.id]) is not None
    ]

    section_scores: dict[Id, float | None] = {}
    for s in spec.sections:
        section_scores[s.id] = _weighted_mean((cs, c.points) for c, cs in rated if c.section_id == s.id)

    if spec.mode is ScoringMode.POINTS:
        raw = _weighted_mean((cs, c.points) for c, cs in rated)
    else:
        raw = _weighted_mean(
            (ss, s.weight) for s in spec.sections if (ss := section_scores[s.id]) is not None
        )

    failing = [(c, cs) for c, cs in rated if c.critical and cs < AUTO_FAIL_THRESHOLD]
    reasons = [
        f"critical criterion {c.name!r} scored {format_score(cs)} (below {format_score(AUTO_FAIL_THRESHOLD)})"
        for c, cs in failing
    ]
    auto_fail = bool(failing)
    return ScoreResult(
        score=0.0 if auto_fail else raw,
        auto_fail=auto_fail,
        auto_fail_reasons=reasons if auto_fail else [],
        auto_fail_criteria=[c.id for c, _ in failing] if auto_fail else [],
        section_scores=section_scores,
        criterion_scores=criterion_scores,
        raw_score=raw,
    )


def iqs(scores: Iterable[float | None]) -> float | None:
    """Internal quality score of a group: the mean of the scores that exist (None ignored); None if none."""
    present = [s for s in scores if s is not None]
    if not present:
        return None
    return math.fsum(present) / len(present)


def format_score(x: float | None, na: str = "—") -> str:
    """Round for display to one decimal, half up (85.25 → ``"85.3"``); ``na`` for a missing score."""
    if x is None:
        return na
    return str(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
