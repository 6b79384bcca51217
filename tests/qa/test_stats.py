"""Statistics for reports and calibration (qa.stats), checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.stats import (
    calibration_results,
    krippendorff_alpha_interval,
    rank_average,
    spearman,
)

NAN = float("nan")

# --- Spearman ------------------------------------------------------------------------------------------


def test_rank_average_with_ties():
    assert rank_average([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert rank_average([3, 1, 3, 3]) == [3, 1, 3, 3]
    assert rank_average([]) == []


def test_spearman_with_a_tie():
    # ranks x = 1..5; y = 5,6,7,8,7 → 1, 2, 3.5, 5, 3.5. Deviations from the mean 3:
    # dx = -2,-1,0,1,2; dy = -2,-1,0.5,2,0.5 → Σdx·dy = 8, Σdx² = 10, Σdy² = 9.5 → rho = 8/sqrt(95)
    rho, n = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert n == 5
    assert rho == pytest.approx(8 / math.sqrt(95))  # 0.820783


def test_spearman_qa_score_vs_csat_with_ties_on_both_sides():
    # scores 92.5, 60, 75, 88, 40, 75 → ranks 6, 2, 3.5, 5, 1, 3.5
    # csat      5,  2,  4,  4,  1,  3 → ranks 6, 2, 4.5, 4.5, 1, 3
    # dx = 2.5,-1.5,0,1.5,-2.5,0; dy = 2.5,-1.5,1,1,-2.5,-0.5
    # Σdx·dy = 6.25+2.25+0+1.5+6.25+0 = 16.25; Σdx² = 17; Σdy² = 17 → rho = 16.25/17
    rho, n = spearman([92.5, 60, 75, 88, 40, 75], [5, 2, 4, 4, 1, 3])
    assert n == 6
    assert rho == pytest.approx(16.25 / 17)


def test_spearman_drops_incomplete_pairs():
    # complete pairs (1,2), (3,1), (4,3): rx = 1,2,3; ry = 2,1,3 → dx = -1,0,1; dy = 0,-1,1 → 1/2
    rho, n = spearman([1, None, 2, 3, 4], [2, 5, None, 1, 3])
    assert (rho, n) == (pytest.approx(0.5), 3)
    assert spearman([1, NAN, 2, 3], [1, 2, 3, 4])[1] == 3


def test_spearman_exact_values():
    assert spearman([1, 2, 3], [3, 2, 1]) == (pytest.approx(-1.0), 3)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == (pytest.approx(1.0), 4)
    # Ties cancel exactly: rx = 1.5,1.5,3.5,3.5; ry = 1.5,3.5,1.5,3.5 → Σdx·dy = 1-1-1+1 = 0
    assert spearman([1, 1, 2, 2], [1, 2, 1, 2]) == (pytest.approx(0.0), 4)


def test_spearman_undefined_cases():
    assert spearman([1, 2], [2, 1]) == (None, 2)
    assert spearman([], []) == (None, 0)
    assert spearman([3, 3, 3, 3], [1, 2, 3, 4]) == (None, 4)
    assert spearman([1, 2, 3, 4], [5, 5, 5, 5]) == (None, 4)
    assert spearman([1, None, 3], [1, 2, None]) == (None, 1)


def test_spearman_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        spearman([1, 2, 3], [1, 2])


# --- Krippendorff's alpha, interval metric ------------------------------------------------------------


def test_alpha_hand_computed_complete_data():
    # Two graders, three units: u1 = {0, 0}, u2 = {50, 100}, u3 = {100, 100}; n = 6 pairable values.
    # D_o = 1/n · Σ_u 1/(m_u − 1) · Σ_{ordered pairs in u} (a − b)² = (0 + 2·2500 + 0) / 6 = 5000/6
    # D_e = 1/(n(n − 1)) · Σ_{ordered pairs over all values} (a − b)²; values 0,0,50,100,100,100:
    #   0–50: 2 pairs · 2500 = 5000; 0–100: 6 · 10000 = 60000; 50–100: 3 · 2500 = 7500 → 72500 unordered,
    #   145000 ordered → D_e = 145000 / 30
    # alpha = 1 − D_o/D_e = 1 − (5000/6)/(145000/30) = 1 − 5/29 = 24/29 ≈ 0.827586
    assert krippendorff_alpha_interval([[0, 50, 100], [0, 100, 100]]) == pytest.approx(24 / 29)


def test_alpha_hand_computed_missing_data():
    # Three graders, four units, None/NaN = N/A:
    #   u1 = {100, 100}, u2 = {0, 50, 0}, u3 = {0, 0}, u4 = {50, 100}; n = 9 values.
    # D_o: u2 ordered pairs 0–50 ×4 · 2500 = 10000, / (3 − 1) = 5000; u4: 2 · 2500 / 1 = 5000
    #   → D_o = 10000 / 9
    # D_e: values 0×4, 50×2, 100×3: 0–50: 8 · 2500 = 20000; 0–100: 12 · 10000 = 120000;
    #   50–100: 6 · 2500 = 15000 → 155000 unordered, 310000 ordered → D_e = 310000 / 72
    # alpha = 1 − (10000/9)/(310000/72) = 1 − 8/31 = 23/31 ≈ 0.741935
    matrix = [[100, 0, None, 50], [100, 50, 0, NAN], [None, 0, 0, 100]]
    assert krippendorff_alpha_interval(matrix) == pytest.approx(23 / 31)


def test_alpha_ignores_units_rated_once():
    # A fourth unit only one grader rated is not pairable and changes nothing.
    assert krippendorff_alpha_interval([[0, 50, 100, 0], [0, 100, 100, None]]) == pytest.approx(24 / 29)
    assert krippendorff_alpha_interval(np.array([[0, 50, 100, 0], [0, 100, 100, NAN]])) == pytest.approx(
        24 / 29
    )


def test_alpha_perfect_agreement_is_one():
    assert krippendorff_alpha_interval([[0, 50, 100], [0, 50, 100], [0, None, 100]]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "matrix",
    [
        [[0, 50, 100]],  # one grader
        [[0, None], [None, 100]],  # no unit rated twice
        [[50, 50], [50, 50]],  # no variation
        [[50, 50, 0], [50, 50, None]],  # the only variation is in an unpairable unit
        [],
        [[], []],
    ],
)
def test_alpha_undefined(matrix):
    assert krippendorff_alpha_interval(matrix) is None


# --- calibration ---------------------------------------------------------------------------------------

# Criterion scores c of three graders on two interactions × two criteria; g2 left (i2, k2) N/A, and only
# g1 rated i3 (a unit without a second rating has no consensus when there is no expert).
SESSION = {
    "g1": {"i1": {"k1": 100, "k2": 50}, "i2": {"k1": 0, "k2": 100}, "i3": {"k1": 100}},
    "g2": {"i1": {"k1": 100, "k2": 100}, "i2": {"k1": 0, "k2": None}},
    "g3": {"i1": {"k1": 0, "k2": 50}, "i2": {"k1": 0, "k2": 100}},
}


def test_calibration_against_mean_consensus():
    # Consensus: (i1,k1) = (100+100+0)/3 = 200/3; (i1,k2) = (50+100+50)/3 = 200/3; (i2,k1) = 0;
    # (i2,k2) = (100+100)/2 = 100; (i3,k1) none (one rating).
    result = calibration_results(SESSION)
    assert result.unit_consensus == pytest.approx(
        {("i1", "k1"): 200 / 3, ("i1", "k2"): 200 / 3, ("i2", "k1"): 0.0, ("i2", "k2"): 100.0}
    )
    # Per criterion: k1 = (200/3 + 0)/2 = 100/3; k2 = (200/3 + 100)/2 = 250/3
    assert result.criterion_consensus == pytest.approx({"k1": 100 / 3, "k2": 250 / 3})

    g1, g2, g3 = result.graders
    # g1: diffs +100/3, −50/3, 0, 0 → MAD = (150/3)/4 = 12.5; bias = (50/3)/4 = 25/6
    assert (g1.grader, g1.n_units) == ("g1", 4)
    assert g1.deviation == pytest.approx(12.5) and g1.bias == pytest.approx(25 / 6)
    assert g1.per_criterion == pytest.approx({"k1": 50 / 3, "k2": 25 / 3})
    # g2: diffs +100/3, +100/3, 0 (its N/A unit is skipped) → MAD = bias = 200/9
    assert g2.n_units == 3 and g2.deviation == pytest.approx(200 / 9) and g2.bias == pytest.approx(200 / 9)
    # g3: diffs −200/3, −50/3, 0, 0 → MAD = (250/3)/4 = 125/6; bias = −125/6
    assert g3.deviation == pytest.approx(125 / 6) and g3.bias == pytest.approx(-125 / 6)
    assert g3.per_criterion == pytest.approx({"k1": 100 / 3, "k2": 25 / 3})
    assert g3.per_criterion_bias == pytest.approx({"k1": -100 / 3, "k2": -25 / 3})
    assert [g.flagged for g in result.graders] == [True, True, True]
    assert result.expert is None


def test_calibration_alpha_uses_every_unit_and_grader():
    # Units sorted: (i1,k1), (i1,k2), (i2,k1), (i2,k2), (i3,k1); i3 is unpairable and does not matter.
    expected = krippendorff_alpha_interval([[100, 50, 0, 100], [100, 100, 0, None], [0, 50, 0, 100]])
    assert expected is not None
    assert calibration_results(SESSION).alpha == pytest.approx(expected)


def test_calibration_against_expert_and_the_5_point_threshold():
    expert = {"i1": {"k1": 100, "k2": 50}, "i2": {"k1": 0, "k2": 100}}
    session = {
        "lead": expert,
        "same": expert,
        # One unit 20 below the expert out of four: MAD = 20/4 = 5.0, not above 5 → not flagged.
        "at_limit": {"i1": {"k1": 80, "k2": 50}, "i2": {"k1": 0, "k2": 100}},
        # 21 below: MAD = 5.25 → flagged.
        "over": {"i1": {"k1": 79, "k2": 50}, "i2": {"k1": 0, "k2": 100}},
        # Opposite errors cancel in the bias but not in the deviation: (10 + 10) / 4 = 5 → not flagged;
        "mixed": {"i1": {"k1": 90, "k2": 60}, "i2": {"k1": 0, "k2": 100}},
        # the expert's N/A unit has no consensus, so this grader's (i2,k2) is not compared.
        "partial": {"i1": {"k1": 100, "k2": 75}, "i2": {"k1": 0}},
    }
    result = calibration_results(session, expert="lead")
    by_name = {g.grader: g for g in result.graders}
    assert "lead" not in by_name  # the expert is the yardstick, not a graded grader
    assert by_name["same"].deviation == 0.0 and not by_name["same"].flagged
    assert by_name["at_limit"].deviation == pytest.approx(5.0) and not by_name["at_limit"].flagged
    assert by_name["over"].deviation == pytest.approx(5.25) and by_name["over"].flagged
    assert by_name["mixed"].deviation == pytest.approx(5.0) and by_name["mixed"].bias == pytest.approx(0.0)
    # partial: diffs 0, +25, 0 over three units → 25/3 > 5
    assert by_name["partial"].n_units == 3 and by_name["partial"].deviation == pytest.approx(25 / 3)
    assert by_name["partial"].flagged
    assert result.unit_consensus[("i1", "k2")] == 50.0


def test_calibration_expert_na_removes_the_unit():
    session = {"lead": {"i1": {"k1": None, "k2": 100}}, "g": {"i1": {"k1": 0, "k2": 100}}}
    result = calibration_results(session, expert="lead")
    assert result.unit_consensus == {("i1", "k2"): 100.0}
    (g,) = result.graders
    assert (g.deviation, g.n_units, g.flagged) == (0.0, 1, False)


def test_calibration_custom_threshold():
    result = calibration_results(SESSION, threshold=21.0)
    assert [g.flagged for g in result.graders] == [False, True, False]


def test_calibration_grader_with_nothing_comparable():
    session = {"a": {"i1": {"k": 50}}, "b": {"i1": {"k": None}}}
    result = calibration_results(session)
    assert result.unit_consensus == {}
    assert [(g.grader, g.deviation, g.bias, g.flagged) for g in result.graders] == [
        ("a", None, None, False),
        ("b", None, None, False),
    ]
    assert result.alpha is None


def test_calibration_unknown_expert():
    with pytest.raises(ValueError, match="expert"):
        calibration_results(SESSION, expert="nobody")
