"""Text to speech, as a phone line carries it: μ-law at 8 kHz.

Two engines: Piper's neural voice (`piper_voice`, the default: it sounds like a person, and
recognisers hear it far better) and eSpeak NG (`engine="espeak"`: formant synthesis, a tenth of
the CPU). eSpeak NG's library and its voice data come from the `espeakng-loader` wheel; this
module calls the library through `ctypes` (the library's own C API: initialise, pick a voice,
synthesise with a callback that receives 16-bit samples at 22 050 Hz). The library keeps global
state, so one engine serves the whole process behind a lock. `SpeechSynthesizer.speak` runs
either engine in the speech threads so the event loop never waits on it.

Each sentence is synthesised on its own, trimmed of eSpeak's leading and trailing silence, and
joined to the next with a fixed gap (`sentence_gap_seconds`): a listener's voice activity
detector then knows the longest pause inside one turn, and can end a turn on a longer one.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import re
import threading
from collections import OrderedDict
from typing import Final

import numpy as np
import soxr

from voice_backend.audio import TWILIO_RATE, pcm16_to_mulaw
from voice_backend.speech.executor import speech_executor
from voice_backend.speech.piper_voice import PiperEngine
from voice_backend.speech.voice import Voice

__all__ = ["SpeechError", "SpeechSynthesizer", "Voice", "get_synthesizer"]

logger = logging.getLogger(__name__)

# eSpeak NG's C API constants (speak_lib.h).
_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2
_CHARS_UTF8: Final = 1
_PARAM_RATE: Final = 1
_PARAM_VOLUME: Final = 2
_PARAM_PITCH: Final = 3
_OK: Final = 0

#: Below this amplitude (of 32 767) a 10 ms stretch counts as silence when trimming.
_SILENCE_AMPLITUDE: Final = 120
_TRIM_WINDOW_SECONDS: Final = 0.01

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class SpeechError(RuntimeError):
    """The speech engine could not be loaded or could not speak."""


class _Engine:
    """The process's one eSpeak NG instance (its library is not re-entrant)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as error:  # pragma: no cover - a broken install
            raise SpeechError("espeakng-loader is not installed (make install)") from error
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
        except OSError as error:
            raise SpeechError(f"cannot load eSpeak NG: {error}") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if rate <= 0:
            raise SpeechError(f"eSpeak NG did not initialise (code {rate})")
        self.sample_rate: Final = rate
        self._lib = lib
        self._chunks: list[np.ndarray] = []
        # Kept on the instance: the C library holds only a raw pointer to it.
        self._callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: Voice | None = None
        self.lock = threading.Lock()

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int) -> int:
        if count > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # carry on

    def _use(self, voice: Voice) -> None:
        if voice == self._voice:
            return
        if self._lib.espeak_SetVoiceByName(voice.name.encode()) != _OK:
            logger.warning("eSpeak NG has no voice %r; using en-us", voice.name)
            if self._lib.espeak_SetVoiceByName(b"en-us") != _OK:
                raise SpeechError("eSpeak NG cannot load its en-us voice")
        self._lib.espeak_SetParameter(_PARAM_RATE, int(voice.words_per_minute), 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, int(voice.pitch), 0)
        self._lib.espeak_SetParameter(_PARAM_VOLUME, 100, 0)
        self._voice = voice

    def rate_for(self, _voice: Voice) -> float:
        """The rate of `synthesize`'s samples (eSpeak NG pitches voices itself)."""
        return float(self.sample_rate)

    def synthesize(self, text: str, voice: Voice) -> np.ndarray:
        """16-bit samples at `sample_rate` for `text`."""
        with self.lock:
            return self._synthesize(text, voice)

    def _synthesize(self, text: str, voice: Voice) -> np.ndarray:
        self._use(voice)
        self._chunks = []
        data = text.encode("utf-8")
        code = self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
        self._lib.espeak_Synchronize()
        if code != _OK:
            raise SpeechError(f"eSpeak NG could not speak (code {code})")
        chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


_engines: dict[str, _Engine | PiperEngine] = {}
_engine_lock = threading.Lock()


def _get_engine(kind: str) -> _Engine | PiperEngine:
    with _engine_lock:
        if kind not in _engines:
            if kind == "piper":
                try:
                    _engines[kind] = PiperEngine()
                except (ImportError, OSError) as error:  # pragma: no cover - a broken install
                    raise SpeechError(f"cannot load the Piper voice: {error}") from error
            else:  # "espeak": `SpeechSynthesizer` checked the name
                _engines[kind] = _Engine()
        return _engines[kind]


def _trim(samples: np.ndarray, rate: int) -> np.ndarray:
    """Drop the silence eSpeak puts before and after a sentence."""
    window = max(1, int(rate * _TRIM_WINDOW_SECONDS))
    usable = samples.size - samples.size % window
    if usable == 0:
        return samples
    peaks = np.abs(samples[:usable].astype(np.int32)).reshape(-1, window).max(axis=1)
    loud = np.flatnonzero(peaks > _SILENCE_AMPLITUDE)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] * window : (loud[-1] + 1) * window]


class SpeechSynthesizer:
    """Speaks text as μ-law 8 kHz audio, sentence by sentence, with a small cache.

    `sentence_gap_seconds` is the pause between sentences of one text; `cache_size` how many
    recent texts (per voice) keep their audio, since agents and personas repeat lines;
    `engine` is "piper" or "espeak".
    """

    def __init__(
        self, *, sentence_gap_seconds: float = 0.3, cache_size: int = 256, engine: str = "piper"
    ) -> None:
        if engine not in ("piper", "espeak"):
            raise ValueError(f"no speech engine {engine!r} (piper or espeak)")
        self._engine = engine
        self._gap = sentence_gap_seconds
        self._cache: OrderedDict[tuple[str, Voice], bytes] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the engine now rather than at the first line (Piper: a second or so)."""
        _get_engine(self._engine)

    def synthesize(self, text: str, voice: Voice | None = None) -> bytes:
        """μ-law 8 kHz audio of `text` (empty for empty text); blocking: prefer `speak`.

        Raises `SpeechError` when the engine cannot be loaded or fails.
        """
        voice = voice or Voice()
        text = " ".join(text.split())
        if not text:
            return b""
        key = (text, voice)
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        audio = self._render(text, voice)
        with self._cache_lock:
            self._cache[key] = audio
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return audio

    async def speak(self, text: str, voice: Voice | None = None) -> bytes:
        """`synthesize` in the speech threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(speech_executor(), self.synthesize, text, voice)

    def _render(self, text: str, voice: Voice) -> bytes:
        engine = _get_engine(self._engine)
        rate = engine.rate_for(voice)
        gap = np.zeros(int(rate * self._gap), np.int16)
        pieces: list[np.ndarray] = []
        for sentence in _SENTENCE_END.split(text):
            if not sentence.strip():
                continue
            samples = _trim(engine.synthesize(sentence, voice), int(rate))
            if samples.size:
                if pieces:
                    pieces.append(gap)
                pieces.append(samples)
        if not pieces:
            return b""
        joined = np.concatenate(pieces).astype(np.float32)
        resampled = soxr.resample(joined, rate, TWILIO_RATE, quality="HQ")
        pcm = np.clip(np.rint(resampled), -32768, 32767).astype("<i2").tobytes()
        return pcm16_to_mulaw(pcm)


_synthesizer: SpeechSynthesizer | None = None


def get_synthesizer() -> SpeechSynthesizer:
    """The process's shared synthesizer (and its cache)."""
    global _synthesizer
    if _synthesizer is None:
        _synthesizer = SpeechSynthesizer()
    return _synthesizer
