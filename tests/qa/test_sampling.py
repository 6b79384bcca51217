"""The sampling draw (qa.sampling)."""

from __future__ import annotations

import math
import random
from collections import Counter
from statistics import NormalDist

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.sampling.draw import (
    Z_95,
    AlwaysInclude,
    Candidate,
    SamplingParams,
    SelectionReason,
    allocate_proportional,
    draw_sample,
    margin_of_error,
)


def population(agent: str, start: int, channels: dict[str, int], **extra) -> list[Candidate]:
    out: list[Candidate] = []
    next_id = start
    for channel, count in channels.items():
        for _ in range(count):
            out.append(Candidate(next_id, agent, channel, **extra))
            next_id += 1
    return out


BASE = population("alice", 1, {"phone": 60, "chat": 30, "email": 10}) + population(
    "bob", 1000, {"phone": 5, "chat": 45}
)


def ids(result) -> list[int]:
    return [item.interaction_id for item in result.items]


# --- reproducibility -----------------------------------------------------------------------------------


def test_same_seed_same_sample():
    params = SamplingParams(quota_per_agent=10, seed=42, graders=["qa1", "qa2"])
    assert draw_sample(BASE, params) == draw_sample(list(BASE), params)


def test_input_order_does_not_matter():
    params = SamplingParams(
        quota_per_agent=10,
        seed=42,
        graders=["qa1", "qa2", "qa3"],
        always_include=AlwaysInclude(complaints=True),
    )
    data = [*BASE[:-3], *(Candidate(c.interaction_id, c.agent, c.channel, complaint=True) for c in BASE[-3:])]
    shuffled = list(data)
    random.Random(1).shuffle(shuffled)
    assert draw_sample(data, params) == draw_sample(shuffled, params)
    assert draw_sample(data, params) == draw_sample(reversed(data), params)


def test_different_seed_different_sample():
    a = draw_sample(BASE, SamplingParams(quota_per_agent=10, seed=1))
    b = draw_sample(BASE, SamplingParams(quota_per_agent=10, seed=2))
    assert ids(a) != ids(b)
    assert a.seed == 1 and b.seed == 2


def test_string_seed_is_supported():
    params = SamplingParams(quota_per_agent=5, seed="2023-11 plan A")
    assert ids(draw_sample(BASE, params)) == ids(draw_sample(BASE, params))


def test_one_agents_sample_does_not_depend_on_other_agents():
    params = SamplingParams(quota_per_agent=10, seed=7)
    alone = [i for i in draw_sample(BASE[:100], params).items if i.agent == "alice"]
    together = [i for i in draw_sample(BASE, params).items if i.agent == "alice"]
    assert alone == together


# --- stratification ------------------------------------------------------------------------------------


def test_stratified_by_channel_proportionally():
    result = draw_sample(BASE, SamplingParams(quota_per_agent=10, seed=3))
    alice = Counter(i.channel for i in result.items if i.agent == "alice")
    bob = Counter(i.channel for i in result.items if i.agent == "bob")
    assert alice == {"phone": 6, "chat": 3, "email": 1}  # 60/30/10 of 100
    assert bob == {"phone": 1, "chat": 9}  # 5/45 of 50
    for item in result.items:
        assert item.reason is SelectionReason.RANDOM and item.grader is None


def test_largest_remainder_allocation():
    # 7 over 60/30/10: exact shares 4.2 / 2.1 / 0.7 → floors 4/2/0, the one left goes to email (0.7).
    assert allocate_proportional({"phone": 60, "chat": 30, "email": 10}, 7) == {
        "phone": 4,
        "chat": 2,
        "email": 1,
    }
    # 2 over 1/1/1: remainders tie → larger stratum first (all equal), then by key: chat, email.
    assert allocate_proportional({"phone": 1, "chat": 1, "email": 1}, 2) == {
        "phone": 0,
        "chat": 1,
        "email": 1,
    }
    # 3 over 5/5/2: shares 1.25 / 1.25 / 0.5 → floors 1/1/0, remainder to email (0.5 > 0.25).
    assert allocate_proportional({"a": 5, "b": 5, "c": 2}, 3) == {"a": 1, "b": 1, "c": 1}
    assert allocate_proportional({"a": 3, "b": 1}, 4) == {"a": 3, "b": 1}
    assert allocate_proportional({"a": 3}, 0) == {"a": 0}
    with pytest.raises(ValueError):
        allocate_proportional({"a": 3}, 4)


@settings(max_examples=200, deadline=None)
@given(sizes=st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 50), min_size=1), frac=st.floats(0, 1))
def test_allocation_sums_and_fits(sizes, frac):
    n = math.floor(sum(sizes.values()) * frac)
    alloc = allocate_proportional(sizes, n)
    assert sum(alloc.values()) == n
    total = sum(sizes.values())
    for k, size in sizes.items():
        assert 0 <= alloc[k] <= size
        if total:
            assert abs(alloc[k] - n * size / total) < 1  # never more than one unit off the exact share


def test_quota_larger_than_population_takes_everyone():
    small = population("carol", 1, {"chat": 2, "email": 1})
    result = draw_sample(small, SamplingParams(quota_per_agent=10, seed=1))
    assert sorted(ids(result)) == [1, 2, 3]
    (summary,) = result.per_agent
    assert (summary.population, summary.sampled, summary.margin_of_error) == (3, 3, 0.0)


def test_quota_zero_draws_nothing_random():
    result = draw_sample(BASE, SamplingParams(quota_per_agent=0, seed=1))
    assert result.items == []
    assert [s.margin_of_error for s in result.per_agent] == [None, None]


# --- always-include ------------------------------------------------------------------------------------


def _risky_agent() -> list[Candidate]:
    # dave: ids 1-3 complaints (no CSAT), 4-5 CSAT 1, 6-7 CSAT 2, 8-27 ordinary (CSAT 5), all chat.
    return [
        *(Candidate(i, "dave", "chat", complaint=True) for i in (1, 2, 3)),
        *(Candidate(i, "dave", "chat", csat=1) for i in (4, 5)),
        *(Candidate(i, "dave", "chat", csat=2) for i in (6, 7)),
        *(Candidate(i, "dave", "chat", csat=5) for i in range(8, 28)),
    ]


def test_always_include_with_cap_on_top_of_quota():
    rules = AlwaysInclude(complaints=True, csat_at_most=2, cap=4)
    result = draw_sample(_risky_agent(), SamplingParams(quota_per_agent=5, seed=11, always_include=rules))
    forced = [i for i in result.items if i.reason is not SelectionReason.RANDOM]
    # Most severe first: the three complaints, then one of the two CSAT-1 interactions (seeded).
    assert [i.interaction_id for i in forced[:3]] == [1, 2, 3]
    assert [i.reason for i in forced] == [SelectionReason.COMPLAINT] * 3 + [SelectionReason.LOW_CSAT]
    assert forced[3].interaction_id in (4, 5)
    assert result.items[:4] == forced  # always-included items come first
    random_part = [i for i in result.items if i.reason is SelectionReason.RANDOM]
    assert len(random_part) == 5  # the quota is drawn in full on top of the cap
    assert not {i.interaction_id for i in random_part} & {i.interaction_id for i in forced}
    (summary,) = result.per_agent
    assert (summary.population, summary.sampled, summary.always_included, summary.random_sampled) == (
        27,
        9,
        4,
        5,
    )
    # MoE of the random part: N = 27 − 4 = 23, n = 5.
    assert summary.margin_of_error == pytest.approx(margin_of_error(23, 5))


def test_always_include_without_cap_takes_all_matches():
    rules = AlwaysInclude(complaints=True, csat_at_most=2, cap=None)
    result = draw_sample(_risky_agent(), SamplingParams(quota_per_agent=0, seed=11, always_include=rules))
    assert sorted(ids(result)) == [1, 2, 3, 4, 5, 6, 7]


def test_always_include_csat_only_labels_complaints_as_low_csat():
    data = [
        Candidate(1, "e", "chat", csat=1, complaint=True),
        Candidate(2, "e", "chat", csat=3, complaint=True),
    ]
    rules = AlwaysInclude(complaints=False, csat_at_most=2)
    result = draw_sample(data, SamplingParams(quota_per_agent=0, seed=1, always_include=rules))
    assert [(i.interaction_id, i.reason) for i in result.items] == [(1, SelectionReason.LOW_CSAT)]


def test_always_include_cap_zero_is_plain_random():
    rules = AlwaysInclude(complaints=True, csat_at_most=2, cap=0)
    result = draw_sample(_risky_agent(), SamplingParams(quota_per_agent=5, seed=11, always_include=rules))
    assert all(i.reason is SelectionReason.RANDOM for i in result.items) and len(result.items) == 5


def test_cap_choice_is_reproducible_and_order_independent():
    rules = AlwaysInclude(csat_at_most=2, cap=3)
    data = _risky_agent()
    params = SamplingParams(quota_per_agent=0, seed=5, always_include=rules)
    first = draw_sample(data, params)
    assert draw_sample(list(reversed(data)), params) == first
    # CSAT 1 (ids 4, 5) before CSAT 2: both CSAT-1 items plus one of 6/7.
    assert ids(first)[:2] == [4, 5] and ids(first)[2] in (6, 7)


# --- graders -------------------------------------------------------------------------------------------


def test_graders_assigned_evenly():
    data = (
        population("a", 1, {"chat": 40})
        + population("b", 100, {"chat": 40})
        + population("c", 200, {"chat": 5})
    )
    result = draw_sample(data, SamplingParams(quota_per_agent=10, seed=9, graders=["qa1", "qa2", "qa3"]))
    assert len(result.items) == 25
    counts = result.grader_counts()
    assert sorted(counts.values()) == [8, 8, 9]
    assert set(counts) == {"qa1", "qa2", "qa3"}


def test_grader_assignment_is_seeded():
    params = SamplingParams(quota_per_agent=10, seed=9, graders=["qa1", "qa2"])
    a = [i.grader for i in draw_sample(BASE, params).items]
    b = [
        i.grader
        for i in draw_sample(BASE, SamplingParams(quota_per_agent=10, seed=9, graders=["qa2", "qa1"])).items
    ]
    assert a == b  # the order the graders are listed in does not matter either


@settings(max_examples=60, deadline=None)
@given(
    quotas=st.lists(st.integers(0, 30), min_size=1, max_size=5),
    n_graders=st.integers(1, 4),
    quota=st.integers(0, 12),
    seed=st.integers(0, 10**6),
)
def test_sample_invariants(quotas, n_graders, quota, seed):
    data: list[Candidate] = []
    for a, size in enumerate(quotas):
        data += population(f"agent{a}", 1000 * a + 1, {"chat": size // 2, "phone": size - size // 2})
    graders = [f"qa{g}" for g in range(n_graders)]
    result = draw_sample(data, SamplingParams(quota_per_agent=quota, seed=seed, graders=graders))
    sampled = ids(result)
    assert len(sampled) == len(set(sampled)) == sum(min(quota, size) for size in quotas)
    counts = result.grader_counts()
    assert not counts or max(counts.values()) - min(counts.get(g, 0) for g in graders) <= 1


# --- margin of error -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("big_n", "n", "expected"),
    [
        # 1.959964 · sqrt(0.25/10) · sqrt(90/99) = 1.959964 · 0.1581139 · 0.9534626 = 0.2954757
        (100, 10, 0.2954757),
        # 1.959964 · sqrt(0.25/1) · sqrt(1/1) = 0.979982
        (2, 1, 0.979982),
        # 1.959964 · sqrt(0.25/20) · sqrt(980/999) = 1.959964 · 0.1118034 · 0.9904448 = 0.2170368
        (1000, 20, 0.2170368),
        (50, 50, 0.0),  # census
        (1, 1, 0.0),  # N = 1: (N−n)/(N−1) is 0/0; one interaction fully reviewed → no sampling error
        (0, 0, 0.0),
        (5, 0, None),  # nothing sampled → no estimate
    ],
)
def test_margin_of_error(big_n, n, expected):
    got = margin_of_error(big_n, n)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, abs=1e-6)


def test_margin_of_error_rejects_negative():
    with pytest.raises(ValueError):
        margin_of_error(-1, 0)


def test_z_value():
    z = NormalDist().inv_cdf(0.975)
    assert abs(Z_95 - z) < 1e-9


def test_per_agent_summary():
    result = draw_sample(BASE, SamplingParams(quota_per_agent=10, seed=3))
    alice, bob = result.per_agent
    assert (alice.agent, alice.population, alice.sampled) == ("alice", 100, 10)
    assert alice.margin_of_error == pytest.approx(0.2954757, abs=1e-6)
    # bob: N = 50, n = 10 → 1.959964 · sqrt(0.025) · sqrt(40/49) = 1.959964 · 0.1581139 · 0.9035079 = 1.959964 / 7 = 0.2799949
    assert (bob.population, bob.sampled) == (50, 10)
    assert bob.margin_of_error == pytest.approx(0.2799949, abs=1e-6)


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (SamplingParams(quota_per_agent=-1, seed=1), "quota_per_agent"),
        (SamplingParams(quota_per_agent=1.5, seed=1), "quota_per_agent"),  # type: ignore[arg-type]
        (SamplingParams(quota_per_agent=1, seed=1, always_include=AlwaysInclude(cap=-2)), "cap"),
        (SamplingParams(quota_per_agent=1, seed=1, graders=["qa1", "qa1"]), "graders must be unique"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        draw_sample(BASE, params)


def test_duplicate_interaction_ids_rejected():
    with pytest.raises(ValueError, match="more than once"):
        draw_sample([*BASE, BASE[0]], SamplingParams(quota_per_agent=1, seed=1))
    with pytest.raises(ValueError, match="more than once"):
        draw_sample(
            [*BASE, Candidate(BASE[0].interaction_id, "zed", "chat")],
            SamplingParams(quota_per_agent=1, seed=1),
        )


def test_empty_input():
    result = draw_sample([], SamplingParams(quota_per_agent=5, seed=1, graders=["qa1"]))
    assert result.items == [] and result.per_agent == []
