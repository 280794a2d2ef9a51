"""Rows written in batches: requests queue their audit rows and download counts here, and one
background thread writes what has queued in one transaction every `interval` seconds (or as soon as
`batch` rows wait), instead of one transaction per request.

Nothing is dropped without a word:
- `flush()` writes everything queued so far, in order, before it returns; the state calls it before
  any read of what is queued here (a reader in this process sees its own writes), and at shutdown;
- a failing write puts its rows back at the head of the queue, is logged, and is tried again (with a
  growing pause, at most `MAX_PAUSE` seconds);
- the queue is bounded: past `limit` rows a request writes the queue itself before adding its own
  row, so while the database is down requests fail (fail closed) rather than pile rows up in memory.

What a hard crash (SIGKILL, power loss) can lose is what was queued and not yet written: at most
`interval` seconds of rows while the database answers (docs/proxy.md).
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Row = TypeVar("Row")
LOG = logging.getLogger("skillport.serve")
BATCH = 500  # rows that wake the writer before its interval is over
LIMIT = 20_000  # rows queued at most; past it, requests write the queue themselves
MAX_PAUSE = 5.0  # seconds between tries at most while writes fail


class BatchWriter(Generic[Row]):
    """A queue of rows that `write` stores, a list at a time, in one transaction per list."""

    def __init__(
        self,
        write: Callable[[Sequence[Row]], None],
        interval: float,
        *,
        batch: int = BATCH,
        limit: int = LIMIT,
    ) -> None:
        if interval <= 0:
            raise ValueError("a batch writer needs an interval above 0 (0 means write at once)")
        self.write, self.interval, self.batch, self.limit = write, interval, batch, limit
        self._queue: deque[Row] = deque()
        self._cond = threading.Condition()
        self._writing = threading.Lock()  # one write at a time, so rows land in the order they came
        self._thread: threading.Thread | None = None
        self._closed = False
        self.failures = 0  # writes that failed in a row (0 when the last one went through)

    @property
    def pending(self) -> int:
        """Rows queued and not written yet."""
        return len(self._queue)

    def add(self, row: Row) -> None:
        """Queue a row (written within `interval`); past `limit`, write the queue first (blocking,
        raising what the write raises)."""
        if len(self._queue) >= self.limit:
            self.flush()
        with self._cond:
            if self._closed:
                closed = True
            else:
                closed = False
                self._queue.append(row)
                if self._thread is None:
                    self._start()
                if len(self._queue) in (1, self.batch):  # the first row starts the interval's clock
                    self._cond.notify()
        if closed:  # after close (late shutdown work): written at once
            with self._writing:
                self.write([row])

    def flush(self) -> None:
        """Write every row queued so far before returning, and wait for a write already under way
        (raises what the write raises; the rows stay queued then)."""
        with self._writing:
            with self._cond:
                rows = list(self._queue)
                self._queue.clear()
            if not rows:
                return
            try:
                self.write(rows)
            except BaseException:
                with self._cond:
                    self._queue.extendleft(reversed(rows))
                raise

    def close(self) -> None:
        """Write what is queued and stop the thread (a failing final write is logged, rows counted)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        try:
            self.flush()
        except Exception as exc:
            LOG.error("%d audit/download rows could not be written at shutdown: %s", self.pending, exc)
        atexit.unregister(self.close)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="skillport-batch-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        pause = self.interval
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._closed and len(self._queue) < self.batch:
                    self._cond.wait(pause)  # gather what comes in the meantime
                if self._closed:
                    return
            try:
                self.flush()
            except Exception as exc:
                self.failures += 1
                pause = min(MAX_PAUSE, self.interval * 2**self.failures)
                LOG.error(
                    "writing %d queued audit/download rows failed (try %d; again in %.1f s): %s",
                    self.pending, self.failures, pause, exc,
                )  # fmt: skip
                continue
            if self.failures:
                LOG.warning("queued audit/download rows written again after %d failed tries", self.failures)
            self.failures, pause = 0, self.interval
