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
