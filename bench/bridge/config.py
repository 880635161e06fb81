"""The benchmark's constants and the audio every call sends."""

from __future__ import annotations

import base64
import math

import numpy as np

from voice_backend.audio import pcm16_to_mulaw

FRAME_S = 0.020
FRAME_BYTES = 160
SLOTS = 20  # 1 ms phases of the 20 ms clock
LATE_S = 0.020
MAGIC = b"HgBn"
CALLER_ID = "+15005550006"
BENCH_OWNER = "bridge-bench"  # claims the rows, so the service's restart sweep skips them
SERVICE_INSTANCE = "bench-voice"
DEFAULT_SWEEP = "10,25,50,100,150,200,300"


def _tone_mulaw() -> bytes:
    """One 20 ms frame of a 400 Hz tone (8 whole cycles, so frames join seamlessly)."""
    t = np.arange(FRAME_BYTES) / 8000
    pcm = (np.sin(2 * math.pi * 400 * t) * 6000).astype("<i2").tobytes()
    return pcm16_to_mulaw(pcm)


TONE = _tone_mulaw()
TONE_B64 = base64.b64encode(TONE).decode("ascii")
MARKED_B64_LEN = len(base64.b64encode(bytes(FRAME_BYTES)))  # 216


def b64_len(text: str) -> int:
    """Decoded length of padded base64 text, without decoding it."""
    pad = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    return len(text) * 3 // 4 - pad
