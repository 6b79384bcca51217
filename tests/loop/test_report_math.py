"""Report arithmetic against a hand-computed fixture (four evaluations of two agents)."""

from __future__ import annotations

from datetime import date

import pytest

from qa.reports import figures as rm

R = rm.CriterionRating


def _ratings(greeting, empathy, privacy):
    return (R("greeting", greeting), R("empathy", empathy), R("privacy", privacy, critical=True))


ROWS = [
    rm.EvalRow(1, "a", "T1", "chat", date(2024, 11, 18), 80.0, csat=4, ratings=_ratings(100, 50, 100)),
    rm.EvalRow(2, "a", "T1", "phone", date(2024, 11, 20), 60.0, csat=2, ratings=_ratings(0, 25, 100)),
    rm.EvalRow(
        3, "b", "T2", "chat", date(2024, 11, 26), 0.0, auto_fail=True, csat=1, ratings=_ratings(100, None, 0)
    ),
    # every criterion N/A: no score, left out of IQS and of the rates
    rm.EvalRow(4, "b", "T2", "chat", date(2024, 12, 2), None, csat=5, ratings=_ratings(None, None, None)),
]


def _table(rows):
    return [(r["key"], pytest.approx(r["iqs"]), r["n"]) for r in rows]


def test_iqs_by_each_grouping():
    assert _table(rm.iqs_rows(ROWS, "agent")) == [("a", 70.0, 2), ("b", 0.0, 1)]
    assert _table(rm.iqs_rows(ROWS, "team")) == [("T1", 70.0, 2), ("T2", 0.0, 1)]
    assert _table(rm.iqs_rows(ROWS, "channel")) == [("phone", 60.0, 1), ("chat", 40.0, 2)]
    assert _table(rm.iqs_rows(ROWS, "week")) == [("2024-W47", 70.0, 2), ("2024-W48", 0.0, 1)]
    assert _table(rm.iqs_rows(ROWS, "month")) == [("2024-11", 140 / 3, 3)]
    assert rm.overall_iqs(ROWS) == {"iqs": pytest.approx(140 / 3), "n": 3}
    with pytest.raises(ValueError):
        rm.iqs_rows(ROWS, "colour")


def test_iso_weeks_cross_the_year():
    assert rm.week_key(date(2024, 12, 30)) == "2025-W01"
    assert rm.month_key(date(2024, 12, 30)) == "2024-12"


def test_criterion_failure_rates():
    # greeting 100/0/100 → 1 of 3; empathy 50/25 (N/A skipped; 50 is not a failure) → 1 of 2;
    # privacy 100/100/0 → 1 of 3
    assert rm.failure_rates(ROWS) == [
        {"criterion": "empathy", "rated": 2, "failed": 1, "rate": 0.5},
        {"criterion": "greeting", "rated": 3, "failed": 1, "rate": pytest.approx(1 / 3)},
        {"criterion": "privacy", "rated": 3, "failed": 1, "rate": pytest.approx(1 / 3)},
    ]


def test_auto_fail_counts_and_reasons():
    assert rm.auto_fail_summary(ROWS) == {
        "count": 1,
        "total": 3,
        "rate": pytest.approx(1 / 3),
        "reasons": [{"reason": "privacy", "count": 1}],
    }


def test_dispute_rate_and_outcomes():
    assert rm.dispute_summary(4, ["adjusted", "open"]) == {
        "released": 4,
        "disputed": 2,
        "rate": 0.5,
        "open": 1,
        "upheld": 0,
        "adjusted": 1,
    }
    assert rm.dispute_summary(0, [])["rate"] is None


def test_csat_correlation_with_sample_size_warning():
    # pairs (80,4), (60,2), (0,1): identical rank order → rho 1; e4 has no score → n = 3
    assert rm.csat_correlation(ROWS) == {"rho": pytest.approx(1.0), "n": 3, "warning": True}
    many = [rm.EvalRow(i, "a", "", "chat", date(2024, 11, 1), float(i), csat=1 + i % 5) for i in range(30)]
    assert rm.csat_correlation(many)["warning"] is False


def test_coverage_per_agent():
    assert rm.coverage({"a": 4, "b": 2, "c": 3}, {"a": 2, "b": 2}) == [
        {"agent": "c", "total": 3, "evaluated": 0, "rate": 0.0},
        {"agent": "a", "total": 4, "evaluated": 2, "rate": 0.5},
        {"agent": "b", "total": 2, "evaluated": 2, "rate": 1.0},
    ]


def test_empty_period():
    assert rm.iqs_rows([], "agent") == []
    assert rm.overall_iqs([]) == {"iqs": None, "n": 0}
    assert rm.auto_fail_summary([])["rate"] is None
    assert rm.csat_correlation([]) == {"rho": None, "n": 0, "warning": True}


def test_bulletin_praises_the_best_and_lists_problems():
    out = rm.best_and_common_problems(ROWS)
    assert [b["key"] for b in out["best"]] == ["a"]  # b has only one scored evaluation
    assert [p["criterion"] for p in out["problems"]] == ["empathy", "greeting", "privacy"]
