"""The collector is paused only while a catalog is built, and restored as it was, error or not."""

from __future__ import annotations

import gc

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
        heap.settle()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


def test_settling_gives_freed_memory_back_to_the_system() -> None:
    """On glibc (the image and CI) the resident memory of blocks freed after a load shrinks at once."""
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
        heap.settle()
        assert resident() < grown - 10_000  # more than 40 MB came back
    finally:
        gc.unfreeze()


def test_trimming_without_malloc_trim_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_malloc_trim", lambda: None)
    assert heap.trim() is False
    heap.settle()
    gc.unfreeze()
