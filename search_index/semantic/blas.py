"""One BLAS thread for a block of NumPy work.

A worker shares 2 cores with other workers: BLAS's default of one thread per core makes the small matrix
products of a search slower, not faster, and starves the other processes.
"""

from __future__ import annotations

import contextlib
from typing import Any

_blas_limit: Any = None


def single_threaded_blas() -> Any:
    """A context manager pinning BLAS to one thread (a no-op context if threadpoolctl is unavailable)."""
    global _blas_limit
    if _blas_limit is None:
        try:
            from threadpoolctl import ThreadpoolController

            # Discovering the BLAS libraries is slow; do it once per process and reuse the controller.
            controller = ThreadpoolController()
            _blas_limit = lambda: controller.limit(limits=1, user_api="blas")  # noqa: E731
        except Exception:
            _blas_limit = contextlib.nullcontext
    return _blas_limit()
