"""Audio conversion between Twilio Media Streams and Grok Realtime.

Twilio always speaks μ-law at 8 kHz in 20 ms frames of 160 bytes. With `AUDIO_FORMAT=pcmu`
Grok speaks the same, so the bytes pass straight through (`Passthrough`). With
`AUDIO_FORMAT=pcm24k` Grok speaks 16-bit little-endian PCM at 24 kHz, and each call gets one
`TwilioToGrok` and one `GrokToTwilio` object, each owning a `StreamResampler`.

The codec functions are pure. The resampler is the one stateful part, and it must be: its
filter history and fractional phase carry over from one chunk to the next, which is what the
original's per-frame `audioop.ratecv(..., None)` threw away (clicks, drift, and no
anti-alias filter on the way down to 8 kHz).
"""

from __future__ import annotations

import sys
import warnings
from typing import Final, Protocol

import numpy as np
import soxr

if sys.version_info >= (3, 13):  # pragma: no cover - depends on the interpreter
    import audioop  # the `audioop-lts` package, same module name and API
else:
    # Deprecated in the 3.11/3.12 standard library (removed in 3.13), but it is the fastest
    # μ-law codec there is here: under a microsecond for a 160-byte frame.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

__all__ = [
    "GROK_PCM_RATE",
    "MULAW_SILENCE",
    "SAMPLE_WIDTH",
    "TWILIO_FRAME_BYTES",
    "TWILIO_RATE",
    "AudioConverter",
    "GrokToTwilio",
    "Passthrough",
    "StreamResampler",
    "TwilioToGrok",
    "converters_for",
    "mulaw_ms",
    "mulaw_to_pcm16",
    "pcm16_to_mulaw",
    "pcm24k_ms",
]

#: Twilio Media Streams: μ-law, 8 kHz, mono, one byte per sample.
TWILIO_RATE: Final = 8000
#: One 20 ms Twilio frame.
TWILIO_FRAME_BYTES: Final = 160
#: Grok Realtime's `audio/pcm` format: 16-bit little-endian PCM, 24 kHz, mono.
GROK_PCM_RATE: Final = 24000
#: Bytes per linear PCM sample.
SAMPLE_WIDTH: Final = 2
#: The μ-law byte for digital silence (decodes to 0).
MULAW_SILENCE: Final = 0xFF

_INT16_MIN: Final = -32768
_INT16_MAX: Final = 32767


# --- Codec -------------------------------------------------------------------------------------


def mulaw_to_pcm16(data: bytes) -> bytes:
    """Decode G.711 μ-law bytes to 16-bit little-endian linear PCM (two bytes per input byte)."""
    return audioop.ulaw2lin(data, SAMPLE_WIDTH)


def pcm16_to_mulaw(data: bytes) -> bytes:
    """Encode 16-bit little-endian linear PCM to G.711 μ-law (one byte per sample).

    Raises `ValueError` when `data` holds half a sample (an odd number of bytes).
    """
    if len(data) % SAMPLE_WIDTH:
        raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(data)}")
    return audioop.lin2ulaw(data, SAMPLE_WIDTH)


def mulaw_ms(nbytes: int) -> float:
    """Duration in milliseconds of `nbytes` of μ-law at 8 kHz (8 bytes per ms)."""
    return nbytes / (TWILIO_RATE // 1000)


def pcm24k_ms(nbytes: int) -> float:
    """Duration in milliseconds of `nbytes` of 16-bit PCM at 24 kHz (48 bytes per ms)."""
    return nbytes / (GROK_PCM_RATE // 1000 * SAMPLE_WIDTH)


# --- Resampling --------------------------------------------------------------------------------


class StreamResampler:
    """A continuous, band-limited resampler for one direction of one call.

    Takes 16-bit little-endian mono PCM at `in_rate` in chunks of any (even) length and returns
    PCM at `out_rate`. Filter state carries across calls, so chunking does not change the
    output: feeding a signal in 20 ms frames gives the same samples as feeding it in one block.

    Built on `soxr.ResampleStream` (linear phase, 'HQ' by default: flat to well past 3.4 kHz,
    better than 120 dB stopband, so a 6 kHz tone cannot fold into the 8 kHz band). soxr works
    internally in float32 here, so the only added noise is the final rounding to int16.

    Sample accounting is exact: after `flush()`, `samples_out` equals
    `round(samples_in * out_rate / in_rate)` give or take one sample, however long the run.
    Before the flush, soxr holds back a bounded amount of audio (its block-wise filter: up to
    about 75 ms at 'HQ' between 8 and 24 kHz, never growing with the length of the call).
    """

    def __init__(self, in_rate: int, out_rate: int, *, quality: str = "HQ") -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {in_rate} -> {out_rate}")
        self.in_rate: Final = in_rate
        self.out_rate: Final = out_rate
        self.quality: Final = quality
        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=quality)
        self.samples_in = 0
        self.samples_out = 0

    def process(self, pcm: bytes) -> bytes:
        """Resample one chunk of 16-bit PCM; may return fewer bytes (or none) while soxr fills."""
        if len(pcm) % SAMPLE_WIDTH:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(pcm)}")
        if not pcm:
            return b""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        self.samples_in += samples.size
        return self._to_bytes(self._stream.resample_chunk(samples))

    def flush(self) -> bytes:
        """Return the audio still held inside the filter, then start afresh for a new stream.

        The counters keep their totals, so `samples_out` can be checked against `samples_in`.
        """
        tail = self._to_bytes(self._stream.resample_chunk(np.zeros(0, np.float32), last=True))
        self._stream.clear()
        return tail

    def reset(self) -> None:
        """Drop the buffered audio and filter history (after a barge-in, say) and start afresh.

        The counters restart from zero too, since the dropped audio will never come out.
        """
        self._stream.clear()
        self.samples_in = 0
        self.samples_out = 0

    @property
    def lag_ms(self) -> float:
        """How far the output so far trails the input so far, in milliseconds."""
        expected = self.samples_in * self.out_rate / self.in_rate
        return (expected - self.samples_out) * 1000 / self.out_rate

    def _to_bytes(self, out: np.ndarray) -> bytes:
        self.samples_out += out.size
        if not out.size:
            return b""
        np.rint(out, out=out)
        np.clip(out, _INT16_MIN, _INT16_MAX, out=out)
        return out.astype("<i2").tobytes()


# --- The two directions ------------------------------------------------------------------------


class AudioConverter(Protocol):
    """One direction of one call's audio: chunks in, chunks out, in order."""

    def convert(self, chunk: bytes) -> bytes:
        """Convert one chunk; the result may be shorter (or empty) while a filter fills."""
        ...

    def flush(self) -> bytes:
        """Return whatever is still buffered at the end of a stream, then start afresh."""
        ...

    def reset(self) -> None:
        """Drop whatever is buffered (the far end cleared its playback) and start afresh."""
        ...


class Passthrough:
    """The `pcmu` path: Twilio and Grok both speak μ-law 8 kHz, so the bytes are unchanged."""

    def convert(self, chunk: bytes) -> bytes:
        """Return `chunk` itself."""
        return chunk

    def flush(self) -> bytes:
        """Nothing is ever buffered."""
        return b""

    def reset(self) -> None:
        """Nothing to drop."""


class TwilioToGrok:
    """The caller's audio for a `pcm24k` session: μ-law 8 kHz in, 16-bit PCM 24 kHz out."""

    def __init__(self, *, quality: str = "HQ") -> None:
        self.resampler = StreamResampler(TWILIO_RATE, GROK_PCM_RATE, quality=quality)

    def convert(self, chunk: bytes) -> bytes:
        """Decode and upsample one chunk of μ-law (any length: one byte is one sample)."""
        return self.resampler.process(mulaw_to_pcm16(chunk))

    def flush(self) -> bytes:
        """Return the resampler's tail, then start afresh."""
        return self.resampler.flush()

    def reset(self) -> None:
        """Drop the resampler's buffered audio."""
        self.resampler.reset()


class GrokToTwilio:
    """Grok's audio for a `pcm24k` session: 16-bit PCM 24 kHz in, μ-law 8 kHz out.

    Grok's base64 deltas need not end on a sample boundary, so a trailing odd byte is kept and
    joined to the front of the next chunk.
    """

    def __init__(self, *, quality: str = "HQ") -> None:
        self.resampler = StreamResampler(GROK_PCM_RATE, TWILIO_RATE, quality=quality)
        self._carry = b""

    def convert(self, chunk: bytes) -> bytes:
        """Downsample (band-limited) and encode one chunk of PCM, of any byte length."""
        if self._carry:
            chunk = self._carry + chunk
        cut = len(chunk) - len(chunk) % SAMPLE_WIDTH
        self._carry = chunk[cut:]
        return pcm16_to_mulaw(self.resampler.process(chunk[:cut]))

    def flush(self) -> bytes:
        """Return the resampler's tail as μ-law, then start afresh.

        A dangling half sample is dropped: it cannot be decoded on its own.
        """
        self._carry = b""
        return pcm16_to_mulaw(self.resampler.flush())

    def reset(self) -> None:
        """Drop the buffered audio and any half sample."""
        self._carry = b""
        self.resampler.reset()


def converters_for(
    audio_format: str, *, quality: str = "HQ"
) -> tuple[AudioConverter, AudioConverter]:
    """Fresh `(twilio_to_grok, grok_to_twilio)` converters for one call.

    `audio_format` is a `shared.settings.AudioFormat` (or its string value): `pcmu` or `pcm24k`.
    """
    if audio_format == "pcmu":
        return Passthrough(), Passthrough()
    if audio_format == "pcm24k":
        return TwilioToGrok(quality=quality), GrokToTwilio(quality=quality)
    raise ValueError(f"unknown audio format {audio_format!r}; expected 'pcmu' or 'pcm24k'")
