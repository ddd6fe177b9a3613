"""The Gibbs sampler's reusable worker pool: workers leave interrupts to the parent."""

from __future__ import annotations

import os
import signal
import time

from bayesml.backends.gibbs import driver


def _stopped(pid: int) -> bool:
    """Whether the process has exited (reaped by anyone, or a zombie awaiting its reaper)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def test_workers_ignore_interrupts_and_terminate_stops_them():
    pool = driver._POOL.acquire(2)
    try:
        handler = pool.submit(signal.getsignal, signal.SIGINT).result(timeout=120)
        assert handler == signal.SIG_IGN
        pids = [process.pid for process in pool._processes.values()]
        assert pids
    finally:
        driver._POOL.terminate()
    deadline = time.monotonic() + 30
    while not all(_stopped(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_stopped(pid) for pid in pids)
    assert driver._POOL._pool is None
    assert os.getpid() not in pids
