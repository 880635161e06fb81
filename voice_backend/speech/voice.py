"""How a speaker sounds, whichever engine speaks (eSpeak NG or Piper)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Voice"]


@dataclass(frozen=True)
class Voice:
    """How a speaker sounds: an eSpeak NG voice (`en-us`, or a variant: `en-us+klatt3`; Piper
    has one speaker and ignores it), its speed in words per minute, its pitch from 0 to 99, and
    (Piper) how much its delivery varies from one saying to the next: 1 as the voice was
    trained, 0 the same audio every time (eSpeak NG never varies)."""

    name: str = "en-us+klatt3"
    words_per_minute: int = 160
    pitch: int = 50
    variation: float = 1.0
