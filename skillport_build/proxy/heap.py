"""Loading a catalog builds millions of small objects that then live until the next catalog. Python's
cyclic collector, left on, walks that whole growing heap again and again while it is built (the
load took about twice as long) and later in the middle of requests. So the collector is paused
while a catalog is read and indexed, and what is alive afterwards is frozen (`gc.freeze`): later
collections look only at what requests make. Catalog objects hold no reference cycles, so the ones
a newer catalog replaces are still freed, by reference counting.
"""

from __future__ import annotations

import gc

from skillport_build.models.base import gc_paused

building = gc_paused  # pause the cyclic collector for the block (restored as it was)


def settle() -> None:
    """Collect the young garbage, then freeze what is alive (the catalog being served)."""
    gc.collect(1)
    gc.freeze()
