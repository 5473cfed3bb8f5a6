"""When CPython's cyclic garbage collector runs.

Loading and parsing build hundreds of thousands of small containers and free almost none: the worst case
for the collector, which keeps re-traversing the growing heap (unpickling the parse cache ran 3x slower
with it on, writing the manifest 2x). The CLI pauses it from the start; stages that render templates in
a loop (compiling, executing) resume it, after freezing everything built so far so that later
collections never walk the manifest again.
"""

from __future__ import annotations

import gc


def pause_collector() -> None:
    gc.disable()


def resume_collector() -> None:
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
