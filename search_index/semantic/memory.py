"""Give freed heap memory back to the system after a large temporary computation.

glibc keeps freed blocks for reuse, and a thread's allocations live in their own arena: after a worker's
start-up thread has computed 69,000 neighbour densities in batches, ~15-30 MB of freed score matrices stayed
counted in each worker's memory (``benchmarks/load.py``: Pss 364 and 384 MB for two identical workers).
"""

from __future__ import annotations

import ctypes
import ctypes.util


def release_free_memory() -> bool:
    """Return the free pages of every malloc arena to the system (glibc's ``malloc_trim(0)``).

    Returns whether it could; with another C library (no ``malloc_trim``) it does nothing. Cheap enough for
    once after start-up (milliseconds), not meant for every request.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True
