"""Sampling plans: the pure draw, creating / previewing / drawing a plan, the grader's queue."""
