"""Loading a catalog builds millions of small objects that then live until the next catalog. Python's
cyclic collector, left on, walks that whole growing heap again and again while it is built (the
load took about twice as long) and later in the middle of requests. So the collector is paused
while a catalog is read and indexed, and what is alive afterwards is frozen (`gc.freeze`): later
collections look only at what requests make. Catalog objects hold no reference cycles, so the ones
a newer catalog replaces are still freed, by reference counting, and a load leaves no cyclic garbage
(measured: a collection after a 10,000-skill load finds none). So nothing is collected before the
freeze: a collection then would walk every object the load made (0.2 s at 10,000 skills).
"""

from __future__ import annotations

import gc

from skillport_build.models.base import gc_paused

building = gc_paused  # pause the cyclic collector for the block (restored as it was)


def settle() -> None:
    """Freeze what is alive (the catalog being served) out of the collector's sight."""
    gc.freeze()
