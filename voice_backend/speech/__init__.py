"""Offline speech for the simulated providers and the local voice agent.

Everything here runs on this machine from PyPI packages, with no model downloaded at run time:
eSpeak NG speaks (`tts`, its library and data from `espeakng-loader`), WebRTC's voice activity
detector finds utterances (`vad`, from `webrtcvad-wheels`), and PocketSphinx hears them (`asr`,
with the English model its wheel ships and a small language model of phone haggling built here
by `lm` from `corpus`). Audio in and out is what a phone line carries: μ-law at 8 kHz.

The engines are C libraries: calls into them run in `speech_executor()`'s threads, never on the
event loop.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

__all__ = ["speech_executor"]


@lru_cache(maxsize=1)
def speech_executor() -> ThreadPoolExecutor:
    """The threads speech synthesis and recognition run in (one per core, at most four).

    Bounded on purpose: more threads than cores would only make every call's replies late.
    """
    import os

    return ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="speech")
