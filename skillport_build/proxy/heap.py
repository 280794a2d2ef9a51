"""Loading a catalog builds millions of small objects that then live until the next catalog. Python's
cyclic collector, left on, walks that whole growing heap again and again while it is built (the
load took about twice as long) and later in the middle of requests. So the collector is paused
while a catalog is read and indexed, and what is alive afterwards is frozen (`gc.freeze`): later
collections look only at what requests make. Catalog objects hold no reference cycles, so the ones
a newer catalog replaces are still freed, by reference counting, and a load leaves no cyclic garbage
(measured: a collection after a 10,000-skill load finds none). So nothing is collected before the
freeze: a collection then would walk every object the load made (0.2 s at 10,000 skills).

A load also frees much of what it built on the way (the decoded document, JSON values, the texts
documents' bytes), but glibc's allocator keeps freed memory mapped for reuse: after a 10,000-skill
load about a hundred megabytes of the process's resident memory were free blocks. So after a load
the allocator is asked to give free pages back (`malloc_trim`), where the C library has it. That
walks the whole heap (80 to 200 ms on a heap that size), so it runs on a thread of its own, after the new
catalog is already served: ctypes lets go of the interpreter lock while it runs, and glibc's trim
locks each arena as it goes, so requests go on meanwhile.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Callable
from functools import cache

from skillport_build.models.base import gc_paused

building = gc_paused  # pause the cyclic collector for the block (restored as it was)


_trimming = threading.Lock()  # one trim at a time: a second would find nothing left to give back


def settle() -> threading.Thread | None:
    """Freeze what is alive (the catalog being served) out of the collector's sight, and give the
    memory the load freed back to the system, in the background. The trimming thread (to wait for),
    or None when one is already running or the C library cannot trim."""
    gc.freeze()
    if _malloc_trim() is None or not _trimming.acquire(blocking=False):
        return None
    thread = threading.Thread(target=_trim_then_release, name="skillport-trim", daemon=True)
    thread.start()
    return thread


def trimmed(timeout: float = 30) -> bool:
    """Wait until no trim runs (what a measurement of resident memory waits for); False on timeout."""
    if not _trimming.acquire(timeout=timeout):
        return False
    _trimming.release()
    return True


def _trim_then_release() -> None:
    try:
        trim()
    finally:
        _trimming.release()


def trim() -> bool:
    """Return free heap pages to the system; False where the C library cannot (not glibc)."""
    release = _malloc_trim()
    if release is None:
        return False
    release(0)
    return True


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        function: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # no C library by that name, or one without malloc_trim (musl, macOS)
        return None
    return function
