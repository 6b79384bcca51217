"""Properties of the score arithmetic over generated scorecards and ratings (hypothesis): whatever a
scorecard admin may enter and a specialist may rate, the score is a number from 0 to 100 (or none when
nothing was rated), an auto-fail is exactly 0, and the order criteria are listed in changes nothing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.scorecards.scoring import (
    MAX_POINTS,
    MAX_WEIGHT,
    CriterionSpec,
    Scale,
    ScorecardError,
    ScorecardSpec,
    ScoringMode,
    SectionSpec,
    score_evaluation,
    validate_scorecard,
)

points = st.floats(min_value=0.01, max_value=MAX_POINTS, allow_nan=False, allow_infinity=False)
weights = st.floats(min_value=0.0, max_value=MAX_WEIGHT, allow_nan=False, allow_infinity=False)


@st.composite
def scorecards_and_ratings(draw):
    mode = draw(st.sampled_from(list(ScoringMode)))
    n_sections = draw(st.integers(1, 4))
    sections = [SectionSpec(f"s{i}", f"section {i}", draw(weights)) for i in range(n_sections)]
    if mode is ScoringMode.WEIGHTED_SECTIONS and not any(s.weight > 0 for s in sections):
        sections[0] = SectionSpec("s0", "section 0", 1.0)
    criteria, ratings = [], {}
    for i, s in enumerate(sections):
        for j in range(draw(st.integers(1, 4))):
            scale = draw(st.sampled_from(list(Scale)))
            allow_na = draw(st.booleans())
            cid = f"c{i}.{j}"
            criteria.append(
                CriterionSpec(
                    cid,
                    f"criterion {cid}",
                    scale,
                    points=draw(points),
                    allow_na=allow_na,
                    critical=draw(st.booleans()),
                    section_id=s.id,
                )
            )
            choices = list(scale.values) + ([None] if allow_na else [])
            ratings[cid] = draw(st.sampled_from(choices))
    return ScorecardSpec(mode, tuple(sections), tuple(criteria)), ratings


@settings(max_examples=300, deadline=None)
@given(scorecards_and_ratings())
def test_a_score_is_none_or_a_number_from_0_to_100(case):
    spec, ratings = case
    result = score_evaluation(spec, ratings)
    if all(v is None for v in ratings.values()):
        assert result.score is None
    else:
        assert result.score is not None and math.isfinite(result.score)
        assert -1e-9 <= result.score <= 100 + 1e-9
    if result.auto_fail:
        assert result.score == 0 and result.auto_fail_reasons


@settings(max_examples=150, deadline=None)
@given(scorecards_and_ratings(), st.randoms(use_true_random=False))
def test_the_order_of_criteria_does_not_change_the_score(case, rnd):
    spec, ratings = case
    shuffled = list(spec.criteria)
    rnd.shuffle(shuffled)
    again = score_evaluation(ScorecardSpec(spec.mode, spec.sections, tuple(shuffled)), ratings)
    first = score_evaluation(spec, ratings)
    if first.score is None:
        assert again.score is None
    else:
        assert again.score == pytest.approx(first.score, abs=1e-9)


@pytest.mark.parametrize("bad", [1e308, MAX_POINTS * 2])
def test_points_beyond_the_limit_are_refused_before_they_break_the_arithmetic(bad):
    spec = ScorecardSpec(
        ScoringMode.POINTS,
        (SectionSpec("s", "s", 1),),
        (
            CriterionSpec("a", "a", Scale.FIVE, points=bad, section_id="s"),
            CriterionSpec("b", "b", Scale.FIVE, points=bad, section_id="s"),
        ),
    )
    with pytest.raises(ScorecardError, match="points"):
        validate_scorecard(spec)


def test_section_weights_beyond_the_limit_are_refused():
    spec = ScorecardSpec(
        ScoringMode.WEIGHTED_SECTIONS,
        (SectionSpec("s", "s", 1e308), SectionSpec("t", "t", 1e308)),
        (
            CriterionSpec("a", "a", Scale.FIVE, section_id="s"),
            CriterionSpec("b", "b", Scale.FIVE, section_id="t"),
        ),
    )
    with pytest.raises(ScorecardError, match="weight"):
        validate_scorecard(spec)
