"""The cycle collector's settings while a process serves.

Two costs of CPython's defaults show under load. A full collection walks every object the
process holds, including what startup built (routes, models, the gateway's tokenizer tables),
which lives as long as the process: under load one such pass took about 250 ms and held up every
request in flight. And the young generation is collected every 700 allocations, while a single
request or ingest batch allocates thousands of short-lived objects that reference counting frees
anyway. Freezing the startup heap and collecting the young generation less often removes both;
cyclic garbage is still collected, a little later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving_heap(young_threshold: int) -> Iterator[None]:
    """Freeze what exists now and raise the young generation's threshold; undo both on exit."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(young_threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
