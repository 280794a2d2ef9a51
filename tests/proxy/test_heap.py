"""The collector is paused only while a catalog is built, and restored as it was, error or not; what
a load freed goes back to the system on a thread of its own, one trim at a time."""

from __future__ import annotations

import gc
import threading

import pytest

from skillport_build.proxy import heap


def test_the_collector_is_paused_while_building_and_restored_after() -> None:
    assert gc.isenabled()
    with heap.building():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), heap.building():
        raise RuntimeError("a load that fails")
    assert gc.isenabled()


def test_a_collector_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with heap.building():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_settling_freezes_what_is_alive() -> None:
    kept = [object() for _ in range(100)]
    try:
        trimming = heap.settle()
        assert gc.get_freeze_count() >= len(kept)
        assert heap.trimmed() and (trimming is None or not trimming.is_alive())
    finally:
        gc.unfreeze()


def test_settling_gives_freed_memory_back_to_the_system() -> None:
    """On glibc (the image and CI) the resident memory of blocks freed after a load shrinks once the
    settling's trim, run on its own thread, is done."""
    if not heap.trim():
        pytest.skip("this C library has no malloc_trim")

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1])

    heap.trim()
    # Blocks too big for Python's own small-object arenas (which it unmaps itself) and too small
    # for malloc's own mmap: malloc's heap, which keeps freed pages unless trimmed.
    held = [bytes(2000) + bytes([i % 256]) for i in range(40_000)]
    grown = resident()
    del held[:-1]  # the last block keeps the heap's top in place, as the served catalog does
    try:
        assert resident() > grown - 2_000  # freed, yet still resident (4 kB pages)
        trimming = heap.settle()
        assert trimming is not None
        trimming.join(10)
        assert resident() < grown - 10_000  # more than 40 MB came back
    finally:
        gc.unfreeze()


def test_trimming_without_malloc_trim_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.trim() is False
    assert heap.settle() is None  # no thread started
    gc.unfreeze()


def test_one_trim_runs_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settling again while a trim runs starts no second one; the next settle after it does."""
    started, go = threading.Event(), threading.Event()

    def slow(pad: int) -> int:
        started.set()
        go.wait(10)
        return 0

    monkeypatch.setattr(heap, "_malloc_trim", lambda: slow)
    try:
        first = heap.settle()
        assert first is not None and started.wait(10)
        assert heap.settle() is None
        go.set()
        first.join(10)
        again = heap.settle()
        assert again is not None
        again.join(10)
    finally:
        go.set()
        gc.unfreeze()
