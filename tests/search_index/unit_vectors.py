"""Test vectors for the semantic-search tests."""

import numpy as np

from search_index.semantic.matrix import normalize_rows


def unit(vec):
    """``vec`` as a float32 unit vector."""
    vec = np.asarray(vec, dtype=np.float32)
    return vec / np.linalg.norm(vec)


def random_unit(n, dim, seed=0):
    """``n`` reproducible random unit vectors of ``dim`` dimensions."""
    rng = np.random.default_rng(seed)
    return normalize_rows(rng.standard_normal((n, dim)).astype(np.float32))
