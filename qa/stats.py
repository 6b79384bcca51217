"""Statistics for QA reports and calibration sessions (pure: no database, no Flask).

* :func:`spearman` — rank correlation (e.g. QA score vs CSAT) with its sample size.
* :func:`krippendorff_alpha_interval` — inter-rater reliability, interval metric (wraps ``krippendorff``).
* :func:`calibration_results` — consensus, per-grader deviation and flags, and alpha, for one session.

Calibration definitions. A *unit* is an (interaction, criterion) pair; its value is the criterion
score c (0–100, see ``qa.scoring``), None for N/A.

* Consensus of a unit: the expert's c if an expert is named (units the expert left N/A have no consensus),
  otherwise the mean c of the graders who rated it; without an expert a unit needs at least two ratings,
  since a lone rating would be its own consensus and hide nothing but dilute the deviations.
* A grader's deviation is the **mean absolute difference** between their c and the consensus, over the units
  they rated that have a consensus — per criterion, and in total over all such units. It is measured on
  criterion scores rather than evaluation scores because evaluation scores let errors cancel out (too harsh
  on one criterion, too lenient on another) and an auto-fail turns one disagreement into a 100-point gap.
  ``bias`` is the signed mean difference (positive = more lenient than the consensus), shown alongside.
* ``flagged``: total deviation > 5 points (the "outside ±5" rule; the deviation is never negative).
* The expert (if any) is not listed among the graders: their deviation from themselves is 0 by definition.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import krippendorff
import numpy as np

__all__ = [
    "FLAG_THRESHOLD",
    "CalibrationResult",
    "GraderDeviation",
    "calibration_results",
    "krippendorff_alpha_interval",
    "rank_average",
    "spearman",
]

FLAG_THRESHOLD = 5.0

Grader = Hashable
InteractionId = Hashable
CriterionId = Hashable
Unit = tuple[InteractionId, CriterionId]
# grader → interaction → criterion → criterion score c (0–100) or None for N/A
CalibrationRatings = Mapping[Grader, Mapping[InteractionId, Mapping[CriterionId, float | None]]]


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def rank_average(values: Sequence[float]) -> list[float]:
    """1-based ranks with ties sharing the mean of their positions (``[10, 20, 20, 30]`` → ``[1, 2.5, 2.5, 4]``)."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        shared = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = shared
        i = j + 1
    return ranks


def spearman(xs: Sequence[float | None], ys: Sequence[float | None]) -> tuple[float | None, int]:
    """Spearman's rho (Pearson correlation of average ranks, so ties are handled) and the sample size n.

    Pairs where either value is None/NaN are dropped first; n counts the complete pairs. rho is None when
    n < 3 or either side is constant. Raises ValueError if the sequences differ in length.
    """
    if len(xs) != len(ys):
        raise ValueError(f"xs and ys differ in length ({len(xs)} != {len(ys)})")
    pairs = [
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if x is not None and y is not None and not _missing(x) and not _missing(y)
    ]
    n = len(pairs)
    if n < 3:
        return None, n
    rx = rank_average([p[0] for p in pairs])
    ry = rank_average([p[1] for p in pairs])
    mx, my = math.fsum(rx) / n, math.fsum(ry) / n
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = math.fsum((a - mx) ** 2 for a in rx)
    syy = math.fsum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None, n
    rho = sxy / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, rho)), n


def krippendorff_alpha_interval(matrix: Sequence[Sequence[float | None]] | np.ndarray) -> float | None:
    """Krippendorff's alpha, interval metric; rows = graders, columns = units, None/NaN = missing (N/A).

    None when no unit was rated by at least two graders, or the pairable values do not vary (alpha is
    undefined then: the expected disagreement is 0).
    """
    data = np.array(
        [[np.nan if v is None or _missing(v) else float(v) for v in row] for row in matrix],
        dtype=np.float64,
        ndmin=2,
    )
    if data.size == 0 or data.shape[0] < 2:
        return None
    pairable = np.sum(~np.isnan(data), axis=0) >= 2
    if not pairable.any():
        return None
    values = data[:, pairable]
    values = values[~np.isnan(values)]
    if np.all(values == values[0]):
        return None
    try:
        alpha = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    except (ValueError, ZeroDivisionError):  # the package raises for degenerate domains
        return None
    return None if math.isnan(alpha) else float(alpha)


@dataclass(frozen=True, slots=True)
class GraderDeviation:
    """One grader's distance from the consensus (None where nothing comparable was rated)."""

    grader: Grader
    deviation: float | None
    bias: float | None
    n_units: int
    flagged: bool
    per_criterion: dict[CriterionId, float] = field(default_factory=dict)
    per_criterion_bias: dict[CriterionId, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    """Outcome of a calibration session.

    ``unit_consensus`` per (interaction, criterion); ``criterion_consensus`` is the mean of the unit
    consensus values of each criterion over the interactions.
    """

    alpha: float | None
    graders: list[GraderDeviation]
    criterion_consensus: dict[CriterionId, float]
    unit_consensus: dict[Unit, float]
    expert: Grader | None = None


def _mean(xs: list[float]) -> float:
    return math.fsum(xs) / len(xs)


def calibration_results(
    ratings_by_grader: CalibrationRatings,
    expert: Grader | None = None,
    threshold: float = FLAG_THRESHOLD,
) -> CalibrationResult:
    """Consensus, deviations, flags and alpha for one session; definitions in the module docstring.

    ``ratings_by_grader`` maps grader → interaction id → criterion id → criterion score c (0–100), None
    for N/A. ``expert`` must be one of the graders if given (ValueError otherwise).
    """
    if expert is not None and expert not in ratings_by_grader:
        raise ValueError(f"the expert {expert!r} has no ratings in this session")

    values: dict[Unit, dict[Grader, float]] = defaultdict(dict)
    for grader, by_interaction in ratings_by_grader.items():
        for interaction_id, by_criterion in by_interaction.items():
            for criterion_id, c in by_criterion.items():
                if c is not None and not _missing(c):
                    values[(interaction_id, criterion_id)][grader] = float(c)

    consensus: dict[Unit, float] = {}
    for unit, by_grader in values.items():
        if expert is not None:
            if expert in by_grader:
                consensus[unit] = by_grader[expert]
        elif len(by_grader) >= 2:
            consensus[unit] = _mean(list(by_grader.values()))

    per_criterion_units: dict[CriterionId, list[float]] = defaultdict(list)
    for (_, criterion_id), value in consensus.items():
        per_criterion_units[criterion_id].append(value)
    criterion_consensus = {cid: _mean(vs) for cid, vs in per_criterion_units.items()}

    graders: list[GraderDeviation] = []
    for grader in ratings_by_grader:
        if grader == expert:
            continue
        diffs: list[float] = []
        diffs_by_criterion: dict[CriterionId, list[float]] = defaultdict(list)
        for unit, target in consensus.items():
            own = values[unit].get(grader)
            if own is None:
                continue
            diffs.append(own - target)
            diffs_by_criterion[unit[1]].append(own - target)
        deviation = _mean([abs(d) for d in diffs]) if diffs else None
        graders.append(
            GraderDeviation(
                grader=grader,
                deviation=deviation,
                bias=_mean(diffs) if diffs else None,
                n_units=len(diffs),
                flagged=deviation is not None and deviation > threshold,
                per_criterion={cid: _mean([abs(d) for d in ds]) for cid, ds in diffs_by_criterion.items()},
                per_criterion_bias={cid: _mean(ds) for cid, ds in diffs_by_criterion.items()},
            )
        )

    # Alpha over every unit anyone rated, every grader (expert included) a row.
    units = sorted(values, key=repr)
    rows = [[values[u].get(g) for u in units] for g in ratings_by_grader]
    alpha = krippendorff_alpha_interval(rows) if units else None
    return CalibrationResult(
        alpha=alpha,
        graders=graders,
        criterion_consensus=criterion_consensus,
        unit_consensus=consensus,
        expert=expert,
    )
