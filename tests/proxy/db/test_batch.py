from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from proxy.served import state_db

from skillport_build.errors import StateError
from skillport_build.proxy.db.batch import BatchWriter
from skillport_build.proxy.state import State


class Sink:
    """A write that records each batch, failing the first `fail` times."""

    def __init__(self, fail: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, rows: Sequence[int]) -> None:
        with self.lock:
            if self.fail:
                self.fail -= 1
                raise StateError("the database is down")
            self.batches.append(list(rows))

    @property
    def rows(self) -> list[int]:
        return [row for batch in self.batches for row in batch]


def test_rows_arrive_in_order_in_few_batches_from_many_threads() -> None:
    sink = Sink()
    writer = BatchWriter(sink, 0.02)
    lock = threading.Lock()
    added: list[int] = []

    def add(start: int) -> None:
        for n in range(start, start + 500):
            with lock:  # the order rows are queued in is the order they must land in
                writer.add(n)
                added.append(n)

    threads = [threading.Thread(target=add, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deadline = time.monotonic() + 5
    while len(sink.rows) < 2000:
        assert time.monotonic() < deadline, "the writer did not write within its interval"
        time.sleep(0.01)
    assert sink.rows == added
    assert len(sink.batches) < 200  # batched, not one transaction per row
    writer.close()


def test_close_writes_every_queued_row_and_later_rows_are_written_at_once() -> None:
    sink = Sink()
    writer = BatchWriter(sink, 60.0)  # the interval never comes: only close writes them
    for n in range(10):
        writer.add(n)
    assert sink.rows == [] and writer.pending == 10
    writer.close()
    assert sink.rows == list(range(10)) and writer.pending == 0
    writer.add(10)
    assert sink.rows == list(range(11))


def test_a_failing_write_keeps_its_rows_and_is_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    sink = Sink(fail=2)
    writer = BatchWriter(sink, 0.01)
    for n in range(5):
        writer.add(n)
    deadline = time.monotonic() + 5
    while sink.rows != list(range(5)):
        assert time.monotonic() < deadline, f"rows lost or never retried: {sink.rows}"
        time.sleep(0.01)
    assert "writing 5 queued audit/download rows failed (try 1" in caplog.text
    assert "written again after 2 failed tries" in caplog.text
    writer.close()


def test_a_full_queue_makes_the_request_write_and_fail_while_the_database_is_down() -> None:
    sink = Sink(fail=1_000)
    writer = BatchWriter(sink, 60.0, limit=3)
    for n in range(3):
        writer.add(n)
    with pytest.raises(StateError, match="down"):
        writer.add(3)  # not queued: the request fails instead of growing the queue
    assert writer.pending == 3
    sink.fail = 0
    writer.add(3)
    assert sink.rows == [0, 1, 2] and writer.pending == 1
    writer.close()
    assert sink.rows == [0, 1, 2, 3]


def test_a_reader_sees_its_own_writes_and_shutdown_loses_none(tmp_path: Path) -> None:
    db = state_db(tmp_path)
    state = State(db)
    state.batch_writes(60_000)  # nothing is written by the clock in this test
    for n in range(20):
        state.audit("list", f"p{n}@example.com", {})
        state.count_download("csv-profiler", "1.0.0")
    assert [e["actor"] for e in state.audit_tail(20)] == [f"p{n}@example.com" for n in range(20)]
    assert state.download_counts() == {("csv-profiler", "1.0.0"): 20}
    state.audit("list", "last@example.com", {})
    state.count_download("csv-profiler", "1.0.0")
    state.close()  # what shutdown does: the queued rows go first
    other = State(db)
    assert other.audit_tail(1)[0]["actor"] == "last@example.com"
    assert other.download_counts() == {("csv-profiler", "1.0.0"): 21}
    other.close()


def test_the_audit_log_says_what_the_database_holds_in_order(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="skillport.audit")
    state = State(state_db(tmp_path))
    state.batch_writes(60_000)
    state.audit("list", "ann@example.com", {"q": "csv"})
    state.audit("read", "bob@example.com", {"skill": "csv-profiler"})
    assert not [r for r in caplog.records if r.name == "skillport.audit"]  # queued, not stored yet
    stored = state.audit_tail(2)
    lines = "\n".join(r.getMessage() for r in caplog.records if r.name == "skillport.audit").splitlines()
    assert [json.loads(line) for line in lines] == stored
    assert lines[0] == json.dumps(stored[0], sort_keys=True)
    state.close()


def test_a_flush_waits_for_the_write_the_thread_has_under_way() -> None:
    entered, release = threading.Event(), threading.Event()
    written: list[int] = []

    def slow(rows: Sequence[int]) -> None:
        entered.set()
        release.wait(5)
        written.extend(rows)

    writer = BatchWriter(slow, 0.001)
    writer.add(1)
    assert entered.wait(5) and writer.pending == 0  # taken off the queue, not yet stored
    threading.Timer(0.2, release.set).start()
    writer.flush()
    assert written == [1]  # a reader after flush() sees the row the thread was writing
    writer.close()
