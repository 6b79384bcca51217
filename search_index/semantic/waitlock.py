"""A re-entrant lock that tells whether another thread is waiting for it.

Python's locks are not fair: a thread that releases a lock and takes it again at once usually keeps it, so
a long background loop that works in lock-held batches (the start-up density computation) must step aside
between batches for a waiting search. Pausing after every batch costs the loop a sleep per batch even when
nobody waits; with :attr:`WaitCountingLock.contended` it pauses only when a search actually waits.
"""

from __future__ import annotations

import threading


class WaitCountingLock:
    """``with lock:`` like :class:`threading.RLock`, plus :attr:`contended`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._waiting = 0

    def __enter__(self) -> WaitCountingLock:
        if self._lock.acquire(blocking=False):  # free, or already ours (re-entrant)
            return self
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        return self

    def __exit__(self, *_exc: object) -> None:
        self._lock.release()

    @property
    def contended(self) -> bool:
        """Whether some thread is waiting to take the lock right now."""
        return self._waiting > 0
