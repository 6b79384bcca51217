"""Score arithmetic (qa.scoring), checked against hand-computed values."""

from __future__ import annotations

import dataclasses

import pytest

from qa.scorecards.scoring import (
    CriterionSpec,
    RatingError,
    Scale,
    ScorecardError,
    ScorecardSpec,
    ScoringMode,
    SectionSpec,
    criterion_score,
    format_score,
    iqs,
    score_evaluation,
    validate_ratings,
    validate_scorecard,
)

SECTIONS = (
    SectionSpec("s1", "服务态度", 40),
    SectionSpec("s2", "沟通技巧", 30),
    SectionSpec("s3", "规范遵守", 30),
)
CRITERIA = (
    CriterionSpec("a", "礼貌用语", Scale.FIVE, points=2, section_id="s1"),
    CriterionSpec("b", "无辱骂客户", Scale.BINARY, critical=True, section_id="s1"),
    CriterionSpec("c", "倾听确认", Scale.THREE, allow_na=True, section_id="s2"),
    CriterionSpec("d", "表达清晰", Scale.FIVE, points=3, allow_na=True, section_id="s2"),
    CriterionSpec("e", "信息安全", Scale.BINARY, allow_na=True, critical=True, section_id="s3"),
)
POINTS = ScorecardSpec(ScoringMode.POINTS, SECTIONS, CRITERIA)
WEIGHTED = ScorecardSpec(ScoringMode.WEIGHTED_SECTIONS, SECTIONS, CRITERIA)

# Criterion scores: a=4 → 75, b=1 → 100, c=2 → 50, d=3 → 50, e=1 → 100.
FULL = {"a": 4, "b": 1, "c": 2, "d": 3, "e": 1}


@pytest.mark.parametrize(
    ("scale", "value", "expected"),
    [
        (Scale.BINARY, 0, 0.0),
        (Scale.BINARY, 1, 100.0),
        (Scale.BINARY, True, 100.0),
        (Scale.THREE, 1, 0.0),
        (Scale.THREE, 2, 50.0),
        (Scale.THREE, 3, 100.0),
        (Scale.FIVE, 1, 0.0),
        (Scale.FIVE, 2, 25.0),
        (Scale.FIVE, 3, 50.0),
        (Scale.FIVE, 4, 75.0),
        (Scale.FIVE, 5, 100.0),
        (Scale.FIVE, None, None),
    ],
)
def test_criterion_score(scale, value, expected):
    assert criterion_score(scale, value) == expected


def test_scale_bounds_and_api_values():
    assert [(s.value, s.min, s.max) for s in Scale] == [("binary", 0, 1), ("3", 1, 3), ("5", 1, 5)]
    assert Scale("3") is Scale.THREE and Scale.FIVE.values == (1, 2, 3, 4, 5)


def test_points_mode_full():
    # Σ c·points = 75·2 + 100·1 + 50·1 + 50·3 + 100·1 = 550; Σ points = 8 → 68.75
    result = score_evaluation(POINTS, FULL)
    assert result.score == pytest.approx(68.75)
    assert result.raw_score == result.score
    assert not result.auto_fail and result.auto_fail_reasons == []
    assert result.criterion_scores == {"a": 75.0, "b": 100.0, "c": 50.0, "d": 50.0, "e": 100.0}
    # Sections are reported in points mode as well: s1 = (150+100)/3, s2 = (50+150)/4, s3 = 100.
    assert result.section_scores == pytest.approx({"s1": 250 / 3, "s2": 50.0, "s3": 100.0})


def test_weighted_mode_full():
    # (250/3·40 + 50·30 + 100·30) / (40+30+30) = (10000/3 + 4500) / 100 = 235/3 = 78.333…
    result = score_evaluation(WEIGHTED, FULL)
    assert result.score == pytest.approx(235 / 3)
    assert format_score(result.score) == "78.3"


def test_points_mode_with_na():
    # c and d N/A: (75·2 + 100 + 100) / (2+1+1) = 350/4 = 87.5
    result = score_evaluation(POINTS, {**FULL, "c": None, "d": None})
    assert result.score == pytest.approx(87.5)
    assert result.criterion_scores["c"] is None and result.criterion_scores["d"] is None


def test_weighted_mode_all_na_section_leaves_the_weights():
    # s2 has no rated criterion → its weight 30 leaves the denominator:
    # (250/3·40 + 100·30) / (40+30) = (10000/3 + 3000) / 70 = 1900/21 = 90.476…
    result = score_evaluation(WEIGHTED, {**FULL, "c": None, "d": None})
    assert result.score == pytest.approx(1900 / 21)
    assert result.section_scores["s2"] is None


def test_weighted_mode_one_na_inside_a_section():
    # c N/A, d=5: s2 = 100·3/3 = 100 (c's points leave the section denominator);
    # total = (250/3·40 + 100·30 + 100·30) / 100 = (10000/3 + 6000) / 100 = 280/3
    result = score_evaluation(WEIGHTED, {**FULL, "c": None, "d": 5})
    assert result.section_scores["s2"] == pytest.approx(100.0)
    assert result.score == pytest.approx(280 / 3)


def test_critical_fail_zeroes_score_and_keeps_raw():
    # b=0 is critical and c=0 < 50. Raw points score: (150 + 0 + 50 + 150 + 100) / 8 = 56.25
    result = score_evaluation(POINTS, {**FULL, "b": 0})
    assert result.score == 0.0
    assert result.auto_fail
    assert result.raw_score == pytest.approx(56.25)
    assert result.auto_fail_criteria == ["b"]
    assert len(result.auto_fail_reasons) == 1
    assert "无辱骂客户" in result.auto_fail_reasons[0] and "0.0" in result.auto_fail_reasons[0]


def test_two_critical_fails_give_two_reasons():
    result = score_evaluation(WEIGHTED, {**FULL, "b": 0, "e": 0})
    assert result.score == 0.0 and result.auto_fail_criteria == ["b", "e"]
    assert len(result.auto_fail_reasons) == 2


def test_critical_na_does_not_fail():
    result = score_evaluation(POINTS, {**FULL, "e": None})
    assert not result.auto_fail
    # (150 + 100 + 50 + 150) / 7 = 450/7
    assert result.score == pytest.approx(450 / 7)


def test_critical_threshold_is_strictly_below_50():
    spec = ScorecardSpec(
        ScoringMode.POINTS,
        (),
        (
            CriterionSpec("k3", "三级关键项", Scale.THREE, critical=True),
            CriterionSpec("k5", "五级关键项", Scale.FIVE, critical=True),
        ),
    )
    at_50 = score_evaluation(spec, {"k3": 2, "k5": 3})  # 50 and 50: not below 50
    assert not at_50.auto_fail and at_50.score == pytest.approx(50.0)
    below = score_evaluation(spec, {"k3": 3, "k5": 2})  # k5 = 25
    assert below.auto_fail and below.score == 0.0 and below.raw_score == pytest.approx(62.5)


def test_all_na_gives_no_score():
    spec = ScorecardSpec(
        ScoringMode.WEIGHTED_SECTIONS,
        (SectionSpec("s", "规范", 1),),
        (
            CriterionSpec("x", "x", Scale.FIVE, allow_na=True, critical=True, section_id="s"),
            CriterionSpec("y", "y", Scale.BINARY, allow_na=True, section_id="s"),
        ),
    )
    result = score_evaluation(spec, {"x": None, "y": None})
    assert result.score is None and result.raw_score is None
    assert not result.auto_fail
    assert result.section_scores == {"s": None}


def test_zero_weight_section_is_informational():
    spec = ScorecardSpec(
        ScoringMode.WEIGHTED_SECTIONS,
        (SectionSpec("main", "主项", 1), SectionSpec("info", "参考项", 0)),
        (
            CriterionSpec("m", "m", Scale.BINARY, allow_na=True, section_id="main"),
            CriterionSpec("i", "i", Scale.BINARY, section_id="info"),
        ),
    )
    assert score_evaluation(spec, {"m": 1, "i": 0}).score == pytest.approx(100.0)
    # Only the weight-0 section rated: no score, like all N/A.
    assert score_evaluation(spec, {"m": None, "i": 0}).score is None


def test_points_mode_without_sections():
    spec = ScorecardSpec(
        ScoringMode.POINTS,
        (),
        (
            CriterionSpec(1, "态度", Scale.FIVE, points=1.5),
            CriterionSpec(2, "时效", Scale.BINARY, points=0.5),
        ),
    )
    # (75·1.5 + 0·0.5) / 2 = 56.25
    result = score_evaluation(spec, {1: 4, 2: 0})
    assert result.score == pytest.approx(56.25) and result.section_scores == {}


def test_float_whole_numbers_are_accepted():
    assert score_evaluation(POINTS, {**FULL, "a": 4.0}).score == pytest.approx(68.75)


# --- rating validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "criterion", "message"),
    [
        ({"a": 6}, "a", "outside the scale 1–5"),
        ({"a": 0}, "a", "outside the scale 1–5"),
        ({"b": 2}, "b", "outside the scale 0–1"),
        ({"c": 4}, "c", "outside the scale 1–3"),
        ({"a": 2.5}, "a", "not a whole number"),
        ({"a": float("nan")}, "a", "not a whole number"),
        ({"a": "4"}, "a", "not a whole number"),
        ({"a": True}, "a", "needs a number, not yes/no"),
        ({"a": None}, "a", "does not allow N/A"),
        ({"b": None}, "b", "does not allow N/A"),
        ({"zz": 1}, "zz", "unknown criterion 'zz'"),
    ],
)
def test_validate_ratings_errors(change, criterion, message):
    with pytest.raises(RatingError, match=message) as info:
        validate_ratings(POINTS, {**FULL, **change})
    assert [p.criterion_id for p in info.value.problems] == [criterion]


def test_validate_ratings_missing_criterion():
    ratings = dict(FULL)
    del ratings["d"]
    with pytest.raises(RatingError, match="'表达清晰' is not rated") as info:
        validate_ratings(POINTS, ratings)
    assert info.value.problems[0].criterion_id == "d"


def test_validate_ratings_collects_every_problem():
    with pytest.raises(RatingError) as info:
        validate_ratings(POINTS, {"a": 9, "b": None, "c": 2, "x": 1})
    assert {p.criterion_id for p in info.value.problems} == {"a", "b", "d", "e", "x"}


def test_score_evaluation_validates():
    with pytest.raises(RatingError):
        score_evaluation(POINTS, {**FULL, "a": 7})


def test_bool_is_accepted_for_binary():
    validate_ratings(POINTS, {**FULL, "b": True, "e": False})


# --- scorecard validation ------------------------------------------------------------------------------


def _replace_criterion(spec: ScorecardSpec, cid: str, **changes) -> ScorecardSpec:
    criteria = tuple(dataclasses.replace(c, **changes) if c.id == cid else c for c in spec.criteria)
    return dataclasses.replace(spec, criteria=criteria)


def _weights(spec: ScorecardSpec, *weights: float) -> ScorecardSpec:
    sections = tuple(dataclasses.replace(s, weight=w) for s, w in zip(spec.sections, weights, strict=True))
    return dataclasses.replace(spec, sections=sections)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (dataclasses.replace(POINTS, criteria=(), sections=()), "no criteria"),
        (_weights(WEIGHTED, 0, 0, 0), "weights add up to 0"),
        (_weights(WEIGHTED, 50, -10, 60), "weight must be a number from 0 to 1000"),
        (_weights(WEIGHTED, 50, float("inf"), 60), "weight must be a number from 0 to 1000"),
        (_replace_criterion(POINTS, "a", points=-1), "points must be a number > 0"),
        (_replace_criterion(POINTS, "a", points=0), "points must be a number > 0"),
        (_replace_criterion(POINTS, "a", section_id="nope"), "unknown section 'nope'"),
        (_replace_criterion(WEIGHTED, "a", section_id=None), "has no section"),
        (_replace_criterion(POINTS, "a", scale="7"), "unknown scale"),
        (_replace_criterion(POINTS, "a", name="  "), "has no name"),
        (_replace_criterion(POINTS, "b", id="a"), "duplicate criterion id 'a'"),
        (
            dataclasses.replace(POINTS, sections=(*SECTIONS, SectionSpec("s1", "重复", 1))),
            "duplicate section id 's1'",
        ),
        (
            dataclasses.replace(POINTS, sections=(*SECTIONS, SectionSpec("s4", "空", 1))),
            "'空' has no criteria",
        ),
        (dataclasses.replace(POINTS, mode="mixed"), "unknown scoring mode"),
        (
            ScorecardSpec(ScoringMode.WEIGHTED_SECTIONS, (), (CriterionSpec("x", "x", Scale.BINARY),)),
            "needs at least one section",
        ),
    ],
)
def test_validate_scorecard_errors(spec, message):
    with pytest.raises(ScorecardError, match=message):
        validate_scorecard(spec)


def test_validate_scorecard_accepts_the_fixtures():
    validate_scorecard(POINTS)
    validate_scorecard(WEIGHTED)


def test_score_evaluation_validates_the_scorecard():
    with pytest.raises(ScorecardError):
        score_evaluation(_weights(WEIGHTED, 0, 0, 0), FULL)


# --- IQS and display -----------------------------------------------------------------------------------


def test_iqs_ignores_missing_scores():
    # (80 + 90 + 70.5) / 3 = 80.1666…
    assert iqs([80, None, 90, 70.5]) == pytest.approx(240.5 / 3)
    assert iqs([]) is None
    assert iqs([None, None]) is None
    assert iqs(s for s in (0.0, 100.0)) == 50.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (85.25, "85.3"),
        (68.75, "68.8"),
        (235 / 3, "78.3"),
        (2.675, "2.7"),
        (0, "0.0"),
        (100.0, "100.0"),
        (99.95, "100.0"),
        (None, "—"),
    ],
)
def test_format_score(value, shown):
    assert format_score(value) == shown


def test_format_score_custom_na():
    assert format_score(None, na="N/A") == "N/A"
