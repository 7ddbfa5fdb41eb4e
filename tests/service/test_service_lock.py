"""The engine's readers-writer lock: exclusion holds and neither readers nor writers starve."""

from __future__ import annotations

import threading
import time

from pullcast.service._engine import RWLock


def test_rwlock_exclusion_and_progress() -> None:
    lock = RWLock()
    state = {"readers": 0, "writers": 0, "max_readers": 0, "violations": 0, "reads": 0, "writes": 0}
    guard = threading.Lock()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            with lock.read():
                with guard:
                    state["readers"] += 1
                    state["max_readers"] = max(state["max_readers"], state["readers"])
                    state["violations"] += state["writers"] != 0
                time.sleep(0.001)
                with guard:
                    state["readers"] -= 1
                    state["reads"] += 1

    def writer(n: int) -> None:
        for _ in range(n):
            with lock.write():
                with guard:
                    state["writers"] += 1
                    state["violations"] += state["writers"] != 1 or state["readers"] != 0
                time.sleep(0.001)
                with guard:
                    state["writers"] -= 1
                    state["writes"] += 1

    readers = [threading.Thread(target=reader) for _ in range(4)]
    writers = [threading.Thread(target=writer, args=(30,)) for _ in range(2)]
    for t in readers + writers:
        t.start()
    for t in writers:  # writers finish although readers never stop asking
        t.join(timeout=120)
        assert not t.is_alive()
    reads_during_writes = state["reads"]
    stop.set()
    for t in readers:
        t.join(timeout=60)
        assert not t.is_alive()
    assert state["violations"] == 0
    assert state["writes"] == 60
    assert reads_during_writes > 0 and state["max_readers"] >= 2  # readers got in, and together
