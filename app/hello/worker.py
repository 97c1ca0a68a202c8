"""The example app's background worker: the staging stack's ``worker`` process.

It does its (here trivial) work in a loop and touches a heartbeat file after each round, in
``/tmp``, the one writable place of its read-only root filesystem. ``--check`` is its liveness
probe (an exec probe: the worker has no port): it exits 0 while the heartbeat is fresh, 1 once
the loop has stalled for longer than ``--stale-after`` seconds, and the kubelet restarts it.
A SIGTERM ends the loop after the round in progress.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

LOG = logging.getLogger("hello.worker")
HEARTBEAT = Path(os.environ.get("HELLO_WORKER_HEARTBEAT", "/tmp/hello-worker.heartbeat"))  # noqa: S108
STALE_AFTER = 60.0


def beat(path: Path | None = None) -> None:
    (path or HEARTBEAT).touch()


def fresh(path: Path | None = None, stale_after: float = STALE_AFTER, now: Callable[[], float] = time.time) -> bool:
    """Whether the loop has beaten within ``stale_after`` seconds."""
    try:
        return now() - (path or HEARTBEAT).stat().st_mtime <= stale_after
    except FileNotFoundError:
        return False


def run(stop: threading.Event, interval: float = 5.0, work: Callable[[], None] = lambda: None) -> int:
    """Work, beat, wait; until ``stop`` is set. Returns the rounds done."""
    rounds = 0
    while not stop.is_set():
        work()
        beat()
        rounds += 1
        stop.wait(interval)
    return rounds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hello.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 0 if the loop is alive, 1 if it stalled")
    parser.add_argument("--stale-after", type=float, default=STALE_AFTER)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.check:
        return 0 if fresh(stale_after=args.stale_after) else 1
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper(), format="%(asctime)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    LOG.info("worker started")
    rounds = run(stop, args.interval, lambda: LOG.debug("working"))
    LOG.info("worker stopped after %d rounds", rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
