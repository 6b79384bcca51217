"""Time a sampling draw over 1,000,000 candidates (run by hand, not part of the test suite).

.venv/bin/python benchmarks/sampling_bench.py [--candidates 1000000] [--agents 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time

from qa.sampling.draw import AlwaysInclude, Candidate, SamplingParams, draw_sample

CHANNELS = ("phone", "chat", "email", "social", "ecommerce", "other")


def make_candidates(count: int, agents: int, seed: int) -> list[Candidate]:
    """Synthetic candidates in shuffled order, with skewed channels, some complaints and low CSAT."""
    rng = random.Random(seed)
    out = [
        Candidate(
            interaction_id=i,
            agent=f"agent{rng.randrange(agents):04d}",
            channel=rng.choices(CHANNELS, weights=(30, 40, 10, 8, 10, 2))[0],
            csat=rng.choice((None, 1, 2, 3, 4, 5, 5, 5)),
            complaint=rng.random() < 0.02,
        )
        for i in range(count)
    ]
    rng.shuffle(out)
    return out


def main() -> None:
    """Build the candidates, then time draw_sample alone."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    candidates = make_candidates(args.candidates, args.agents, args.seed)
    params = SamplingParams(
        quota_per_agent=20,
        seed=args.seed,
        always_include=AlwaysInclude(complaints=True, csat_at_most=2, cap=5),
        graders=[f"qa{i}" for i in range(8)],
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    result = draw_sample(candidates, params)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"{len(candidates):,} candidates, {len(result.per_agent)} agents -> {len(result.items):,} sampled "
        f"in {elapsed:.2f} s wall / {cpu:.2f} s CPU (wall is inflated on a busy machine); per grader: {sorted(result.grader_counts().values())}"
    )


if __name__ == "__main__":
    main()
