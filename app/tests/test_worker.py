"""The worker's loop and its liveness check."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hello import worker


@pytest.fixture
def heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "heartbeat"
    monkeypatch.setattr(worker, "HEARTBEAT", path)
    return path


def test_the_check_fails_before_the_first_beat_and_passes_after_it(heartbeat: Path) -> None:
    assert worker.main(["--check"]) == 1
    worker.beat(heartbeat)
    assert worker.main(["--check"]) == 0


def test_a_stalled_loop_fails_the_check(heartbeat: Path) -> None:
    worker.beat(heartbeat)
    later = heartbeat.stat().st_mtime + worker.STALE_AFTER + 1
    assert not worker.fresh(heartbeat, now=lambda: later)
    assert worker.fresh(heartbeat, now=lambda: later - 2)


def test_the_loop_beats_each_round_and_stops_when_asked(heartbeat: Path) -> None:
    stop, done = threading.Event(), []

    def work() -> None:
        done.append(1)
        if len(done) == 3:
            stop.set()

    assert worker.run(stop, interval=0.0, work=work) == 3
    assert worker.fresh(heartbeat)
