"""The threads the speech engines run in: native libraries, never called on the event loop."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

__all__ = ["speech_executor"]


@lru_cache(maxsize=1)
def speech_executor() -> ThreadPoolExecutor:
    """The threads speech synthesis and recognition run in (one per core, at most four).

    Bounded on purpose: more threads than cores would only make every call's replies late.
    """
    return ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="speech")
