"""WaitCountingLock: a lock that tells a background loop whether a search is waiting for it."""

import threading
import time

from search_index.semantic.waitlock import WaitCountingLock


def test_it_tells_whether_another_thread_waits_and_stays_re_entrant():
    lock = WaitCountingLock()
    assert not lock.contended
    with lock:
        with lock:  # re-entrant, as the matrix's methods call each other under it
            assert not lock.contended
        got_it = threading.Event()

        def search():
            with lock:
                got_it.set()

        waiter = threading.Thread(target=search)
        waiter.start()
        deadline = time.monotonic() + 5
        while not lock.contended and time.monotonic() < deadline:
            time.sleep(0.001)
        assert lock.contended  # the loop holding the lock can see that a search waits
        assert not got_it.is_set()
    waiter.join(5)
    assert got_it.is_set()
    assert not lock.contended


def test_a_waiter_that_fails_is_not_counted_forever():
    lock = WaitCountingLock()
    with lock:
        errors = []

        def interrupted():
            try:
                with lock:
                    raise RuntimeError("the search failed while holding the lock")
            except RuntimeError as exc:
                errors.append(exc)

        waiter = threading.Thread(target=interrupted)
        waiter.start()
        while not lock.contended:
            time.sleep(0.001)
    waiter.join(5)
    assert errors and not lock.contended
    with lock:  # released by the failed holder: free again
        pass
