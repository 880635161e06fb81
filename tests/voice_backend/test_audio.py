"""Audio conversion: the μ-law codec, the stateful resampler and the two call directions.

The thresholds are chosen so that the original's approach fails them: `audioop.ratecv(...,
None)` per 20 ms frame drifts 2 samples a frame on the way up, aliases a 6 kHz tone at full
strength on the way down, and scores below 0 dB SNR against an ideal resampler (11.6 dB even
with its state carried over); a fresh soxr resampler per frame breaks frame/block equality.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pytest

from shared.settings import AudioFormat
from voice_backend.audio import (
    GROK_PCM_RATE,
    MULAW_SILENCE,
    TWILIO_FRAME_BYTES,
    TWILIO_RATE,
    GrokToTwilio,
    Passthrough,
    StreamResampler,
    TwilioToGrok,
    converters_for,
    mulaw_ms,
    mulaw_to_pcm16,
    pcm16_to_mulaw,
    pcm24k_ms,
)

IN_FRAME_BYTES = 2 * TWILIO_RATE // 50  # 20 ms of 16-bit PCM at 8 kHz
OUT_FRAME_BYTES = 2 * GROK_PCM_RATE // 50  # 20 ms of 16-bit PCM at 24 kHz


# --- Helpers (also usable against other implementations, to check the thresholds bite) ---------


def tone(freq: float, rate: int, seconds: float, amplitude: float = 10000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t + 0.4)).astype(np.int16)


def faded(x: np.ndarray, rate: int) -> np.ndarray:
    """50 ms raised-cosine fades and 100 ms of silence each side, so FFT interpolation is exact."""
    n = rate // 20
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))
    y = x.astype(np.float64)
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    pad = np.zeros(rate // 10)
    return np.rint(np.concatenate([pad, y, pad])).astype(np.int16)


def speech_band(rate: int, seconds: float) -> np.ndarray:
    """Six tones between 300 Hz and 3.3 kHz plus a 200 Hz -> 3.4 kHz chirp, faded, as int16."""
    t = np.arange(int(rate * seconds)) / rate
    x = sum(
        1500 * np.sin(2 * np.pi * f * t + i)
        for i, f in enumerate([300, 650, 1100, 1900, 2600, 3300])
    )
    x = x + 3000 * np.sin(2 * np.pi * (200 * t + 3200 * t * t / (2 * seconds)))
    return faded(np.asarray(x), rate)


def ideal_upsample(x: np.ndarray, factor: int) -> np.ndarray:
    """Ideal band-limited interpolation (FFT zero-padding) of a signal silent at both ends."""
    spectrum = np.fft.rfft(x.astype(np.float64))
    if x.size % 2 == 0:
        spectrum[-1] *= 0.5
    return np.fft.irfft(spectrum, x.size * factor) * factor


def snr_db(out: np.ndarray, ref: np.ndarray, edge: int) -> float:
    """SNR of `out` against `ref`, best integer alignment within +-50 samples."""
    out = np.concatenate([out.astype(np.float64), np.zeros(max(0, ref.size + 50 - out.size))])
    target = ref[edge:-edge]
    best = -np.inf
    for lag in range(-50, 51):
        err = out[edge + lag : ref.size - edge + lag] - target
        best = max(best, 10 * np.log10(np.sum(target**2) / max(np.sum(err**2), 1e-30)))
    return float(best)


def chunks(data: bytes, size: int) -> Iterable[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def run(convert: Callable[[bytes], bytes], data: bytes, size: int) -> bytes:
    return b"".join(convert(c) for c in chunks(data, size))


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2")


def level_db(out: np.ndarray, x: np.ndarray, skip: int) -> float:
    """Output RMS against input RMS, in dB, ignoring `skip` samples at each end of the output."""
    steady = out[skip:-skip].astype(np.float64)
    power = np.mean(steady**2)
    if power == 0:
        return -np.inf
    return float(10 * np.log10(power / np.mean(x.astype(np.float64) ** 2)))


# --- μ-law codec -------------------------------------------------------------------------------


def test_mulaw_silence_byte_is_zero_both_ways() -> None:
    assert MULAW_SILENCE == 0xFF
    assert mulaw_to_pcm16(b"\xff") == b"\x00\x00"
    assert pcm16_to_mulaw(b"\x00\x00") == b"\xff"
    assert mulaw_to_pcm16(bytes([MULAW_SILENCE]) * TWILIO_FRAME_BYTES) == bytes(320)


def test_mulaw_known_values() -> None:
    decoded = pcm(mulaw_to_pcm16(bytes([0x00, 0x80, 0x7F, 0xFE, 0x7E])))
    # G.711: 0x00/0x80 are the negative/positive extremes, 0x7F negative zero, 0xFE/0x7E +-1 step.
    assert decoded.tolist() == [-32124, 32124, 0, 8, -8]
    assert pcm16_to_mulaw(np.array([32767, -32768], "<i2").tobytes()) == b"\x80\x00"


def test_mulaw_codes_survive_a_round_trip() -> None:
    codes = bytes(range(256))
    again = pcm16_to_mulaw(mulaw_to_pcm16(codes))
    # Every code but negative zero (0x7F), which comes back as the ordinary zero (0xFF).
    assert [c for c in range(256) if again[c] != c] == [0x7F]
    assert again[0x7F] == MULAW_SILENCE


def test_mulaw_round_trip_error_is_bounded_for_every_sample_value() -> None:
    x = np.arange(-32768, 32768, dtype=np.int16)
    y = pcm(mulaw_to_pcm16(pcm16_to_mulaw(x.tobytes()))).astype(np.int64)
    err = np.abs(y - x)
    # Logarithmic quantisation: about 3 % of the magnitude, plus one small step near zero.
    assert np.all(err <= np.abs(x.astype(np.int64)) / 32 + 8)
    assert err.max() <= 644  # at -32768, beyond μ-law's largest level (+-32124)


def test_mulaw_round_trip_snr_on_a_speech_level_tone() -> None:
    x = tone(1000, TWILIO_RATE, 1.0, amplitude=6000)
    y = pcm(mulaw_to_pcm16(pcm16_to_mulaw(x.tobytes())))
    assert snr_db(y, x.astype(np.float64), edge=100) > 35


def test_codec_rejects_half_a_sample() -> None:
    with pytest.raises(ValueError):
        pcm16_to_mulaw(b"\x00\x00\x00")


def test_durations() -> None:
    assert mulaw_ms(TWILIO_FRAME_BYTES) == 20
    assert mulaw_ms(8) == 1
    assert pcm24k_ms(OUT_FRAME_BYTES) == 20
    assert pcm24k_ms(48) == 1
    assert mulaw_ms(0) == pcm24k_ms(0) == 0


# --- StreamResampler ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_rate", "out_rate", "frame"),
    [(TWILIO_RATE, GROK_PCM_RATE, IN_FRAME_BYTES), (GROK_PCM_RATE, TWILIO_RATE, OUT_FRAME_BYTES)],
)
def test_frames_give_the_same_samples_as_one_block(in_rate: int, out_rate: int, frame: int) -> None:
    x = tone(1234.5, in_rate, 2.0).tobytes()
    framed = StreamResampler(in_rate, out_rate)
    whole = StreamResampler(in_rate, out_rate)
    a = pcm(run(framed.process, x, frame) + framed.flush())
    b = pcm(whole.process(x) + whole.flush())
    assert a.size == b.size == len(x) // 2 * out_rate // in_rate
    # No per-frame reset: identical up to int16 rounding, not just similar.
    assert np.abs(a.astype(np.int32) - b).max() <= 1


def test_uneven_chunks_give_the_same_samples_too() -> None:
    x = tone(700, GROK_PCM_RATE, 1.0).tobytes()
    sizes = [2, 958, 962, 4, 1920, 100, 3000]
    r = StreamResampler(GROK_PCM_RATE, TWILIO_RATE)
    out, i, k = [], 0, 0
    while i < len(x):
        out.append(r.process(x[i : i + sizes[k % len(sizes)]]))
        i += sizes[k % len(sizes)]
        k += 1
    out.append(r.flush())
    whole = StreamResampler(GROK_PCM_RATE, TWILIO_RATE)
    assert b"".join(out) == whole.process(x) + whole.flush()


@pytest.mark.parametrize(
    ("in_rate", "out_rate", "frame"),
    [(TWILIO_RATE, GROK_PCM_RATE, IN_FRAME_BYTES), (GROK_PCM_RATE, TWILIO_RATE, OUT_FRAME_BYTES)],
)
def test_no_drift_over_a_minute(in_rate: int, out_rate: int, frame: int) -> None:
    r = StreamResampler(in_rate, out_rate)
    data = tone(440, in_rate, 0.02).tobytes()
    assert len(data) == frame
    worst_lag = 0.0
    out_bytes = 0
    for _ in range(60 * 50):  # 60 s of 20 ms frames
        out_bytes += len(r.process(data))
        worst_lag = max(worst_lag, r.lag_ms)
        assert r.lag_ms >= 0  # never ahead of the input
    out_bytes += len(r.flush())
    assert r.samples_in == 60 * in_rate
    assert out_bytes // 2 == r.samples_out == 60 * out_rate  # exact once flushed
    assert r.lag_ms == 0
    # Before the flush soxr holds back a bounded block (about 73 ms at 'HQ'), never growing.
    assert worst_lag < 100


def test_odd_lengths_are_accounted_to_the_sample() -> None:
    r = StreamResampler(GROK_PCM_RATE, TWILIO_RATE)
    x = tone(300, GROK_PCM_RATE, 1.0).tobytes()
    out = run(r.process, x, 2 * 1001) + r.flush()
    assert abs(len(out) // 2 - GROK_PCM_RATE // 3) <= 1


def test_flush_starts_a_fresh_stream_and_reset_drops_the_tail() -> None:
    x = tone(1000, TWILIO_RATE, 0.5).tobytes()
    r = StreamResampler(TWILIO_RATE, GROK_PCM_RATE)
    first = r.process(x) + r.flush()
    assert r.process(x) + r.flush() == first  # flushed: the next stream starts clean
    r.process(x)
    r.reset()
    assert (r.samples_in, r.samples_out) == (0, 0)
    after = pcm(r.process(bytes(len(x))) + r.flush())
    assert not after.any()  # nothing of the tone leaks into the next stream


def test_resampler_rejects_half_a_sample() -> None:
    with pytest.raises(ValueError):
        StreamResampler(TWILIO_RATE, GROK_PCM_RATE).process(b"\x01\x02\x03")


# --- Quality -----------------------------------------------------------------------------------


def test_8k_to_24k_matches_an_ideal_band_limited_resampler() -> None:
    x = speech_band(TWILIO_RATE, 2.0)
    ref = ideal_upsample(x, 3)
    r = StreamResampler(TWILIO_RATE, GROK_PCM_RATE)
    out = pcm(run(r.process, x.tobytes(), IN_FRAME_BYTES) + r.flush())
    # About 85 dB here (int16 rounding is the limit); ratecv per frame scores below 0 dB.
    assert snr_db(out, ref, edge=GROK_PCM_RATE // 10) > 60


def _down(x: np.ndarray) -> np.ndarray:
    g = GrokToTwilio()
    return pcm(mulaw_to_pcm16(run(g.convert, x.tobytes(), OUT_FRAME_BYTES) + g.flush()))


@pytest.mark.parametrize("freq", [4500, 6000, 11000])
def test_24k_to_8k_removes_what_would_alias(freq: int) -> None:
    x = tone(freq, GROK_PCM_RATE, 1.0, amplitude=16384)
    # ratecv per frame lets a 6 kHz tone through at 0 dB (folded to 2 kHz).
    assert level_db(_down(x), x, skip=TWILIO_RATE // 10) < -50


@pytest.mark.parametrize("freq", [300, 1000, 3000, 3400])
def test_24k_to_8k_passes_the_telephone_band(freq: int) -> None:
    x = tone(freq, GROK_PCM_RATE, 1.0, amplitude=16384)
    assert abs(level_db(_down(x), x, skip=TWILIO_RATE // 10)) < 1


def test_twilio_to_grok_is_limited_only_by_mulaw() -> None:
    x = speech_band(TWILIO_RATE, 1.0)
    t = TwilioToGrok()
    out = pcm(run(t.convert, pcm16_to_mulaw(x.tobytes()), TWILIO_FRAME_BYTES) + t.flush())
    assert out.size == 3 * x.size
    assert snr_db(out, ideal_upsample(x, 3), edge=GROK_PCM_RATE // 10) > 30  # μ-law: ~38 dB


# --- Directions --------------------------------------------------------------------------------


def test_grok_to_twilio_handles_deltas_split_inside_a_sample() -> None:
    x = tone(800, GROK_PCM_RATE, 0.5).tobytes()
    even = GrokToTwilio()
    expected = run(even.convert, x, OUT_FRAME_BYTES) + even.flush()
    odd = GrokToTwilio()
    pieces = [odd.convert(x[:1]), odd.convert(x[1:2])]  # one byte, then its partner
    pieces += [odd.convert(c) for c in chunks(x[2:], 333)]  # every later boundary odd
    pieces.append(odd.flush())
    assert pieces[0] == b""
    assert b"".join(pieces) == expected
    assert len(expected) == len(x) // 2 // 3


def test_grok_to_twilio_drops_a_dangling_half_sample_at_the_end() -> None:
    g = GrokToTwilio()
    out = g.convert(bytes(OUT_FRAME_BYTES) + b"\x01") + g.flush()
    assert out == bytes([MULAW_SILENCE]) * (OUT_FRAME_BYTES // 2 // 3)
    assert g.convert(bytes(6)) + g.flush() == bytes([MULAW_SILENCE])  # no stale byte carried


def test_pcmu_is_identity() -> None:
    inbound, outbound = converters_for(AudioFormat.PCMU)
    frame = bytes(range(TWILIO_FRAME_BYTES))
    for conv in (inbound, outbound, Passthrough()):
        assert conv.convert(frame) == frame
        assert conv.convert(b"\x7f") == b"\x7f"
        assert conv.flush() == b""


def test_pcm24k_gets_a_fresh_pair_per_call() -> None:
    a_in, a_out = converters_for(AudioFormat.PCM24K)
    b_in, b_out = converters_for("pcm24k")
    assert isinstance(a_in, TwilioToGrok)
    assert isinstance(a_out, GrokToTwilio)
    assert a_in is not b_in
    assert a_out is not b_out
    with pytest.raises(ValueError):
        converters_for("opus")
