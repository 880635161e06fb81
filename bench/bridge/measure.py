"""What one step measured, and how the frames' times become latency and lateness."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.bridge.config import LATE_S
from bench.bridge.cpu import CpuSnapshot, rss_mb
from bench.bridge.streams import Stream


@dataclass
class StepResult:
    """One N of the sweep."""

    n: int
    audio_format: str
    mode: str  # "bridge" | "baseline"
    calls_up: int = 0
    start_errors: list[str] = field(default_factory=list)
    window_s: float = 0.0
    frames: int = 0
    echoed: int = 0
    lost: int = 0
    late: int = 0
    late_calls: int = 0
    #: Late frames per second of the window (by when they were due): stalls show as spikes.
    late_per_second: list[int] = field(default_factory=list)
    latency_ms: dict[str, float] = field(default_factory=dict)
    lateness_ms_max: float = 0.0
    send_lag_ms: dict[str, float] = field(default_factory=dict)
    first_audio_ms: dict[str, float] = field(default_factory=dict)
    service_cpu_s: float = 0.0
    cpu_s_per_call_min: float = 0.0
    service_cpu_pct: float = 0.0
    service_cpu_us_per_frame: float = 0.0
    service_rss_mb: float = 0.0
    service_wait_pct: float = 0.0
    loadgen_wait_pct: float = 0.0
    fake_cpu_pct: float = 0.0
    loadgen_cpu_pct: float = 0.0
    others_cpu_pct: float = 0.0
    steal_pct: float = 0.0
    clock_ticks_behind: int = 0
    marks: int = 0
    other_audio_bytes: int = 0
    service_problems: list[str] = field(default_factory=list)
    window_start_epoch: float = 0.0
    #: With --trace-gc: (seconds into the window, generation, ms) of each pause over 2 ms.
    gc_pauses: list[tuple[float, int, float]] = field(default_factory=list)
    gc_summary: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every call up, and no frame late."""
        return self.calls_up == self.n and self.frames > 0 and self.late == 0

    @property
    def nearly_passed(self) -> bool:
        """No frame lost and at most 0.1% late: the strict test failed on a short stall."""
        return (
            self.calls_up == self.n
            and self.frames > 0
            and not self.lost
            and (self.late <= self.frames / 1000)
        )

    @property
    def contended(self) -> bool:
        """Others took CPU the run needed (the service waited for a CPU, the load fell behind,
        or the hypervisor stole time): its numbers are not the service's own."""
        lag = self.send_lag_ms.get("p99", 0.0)
        return self.service_wait_pct > 10 or lag > 10 or self.steal_pct > 10


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {}
    p50, p99 = np.percentile(values, [50, 99])
    return {"p50": float(p50), "p99": float(p99), "max": float(values.max())}


def summarise(result: StepResult, streams: list[Stream], w0: float, w1: float) -> None:
    """Latency, lateness and send lag of the frames due in [w0, w1)."""
    latencies, lags = [], []
    late_at: list[np.ndarray] = []
    for stream in streams:
        ideal = np.frombuffer(stream.ideal, dtype=np.float64)
        sent = np.frombuffer(stream.sent, dtype=np.float64)
        echoed = np.zeros(ideal.size)
        got = np.frombuffer(stream.echoed, dtype=np.float64)[: ideal.size]
        echoed[: got.size] = got
        window = (ideal >= w0) & (ideal < w1)
        if not window.any():
            continue
        ideal, sent, echoed = ideal[window], sent[window], echoed[window]
        back = echoed > 0
        result.frames += int(window.sum())
        result.echoed += int(back.sum())
        result.lost += int((~back).sum())
        lags.append(sent - ideal)
        latencies.append((echoed - sent)[back])
        late = ~back
        if back.any():
            offset = echoed[back] - ideal[back]  # arrival against the ideal schedule
            lateness = offset - offset[0]  # ... relative to the first echoed frame
            result.lateness_ms_max = max(result.lateness_ms_max, float(lateness.max()) * 1000)
            late[back] = lateness > LATE_S
        result.late += int(late.sum())
        late_at.append(ideal[late] - w0)
        result.late_calls += bool(late.any())
    if late_at:
        seconds = math.ceil(w1 - w0)
        counts = np.histogram(np.concatenate(late_at), bins=seconds, range=(0, seconds))[0]
        result.late_per_second = [int(c) for c in counts]
    if latencies:
        result.latency_ms = _percentiles(np.concatenate(latencies) * 1000)
        result.send_lag_ms = _percentiles(np.concatenate(lags) * 1000)
    firsts = [
        s.first_audio_at - s.start_at
        for s in streams
        if s.first_audio_at is not None and s.start_at is not None
    ]
    result.first_audio_ms = _percentiles(np.array(firsts) * 1000)
    result.marks = sum(s.marks for s in streams)
    result.other_audio_bytes = sum(s.other_bytes for s in streams)


def read_gc_trace(result: StepResult, log: Path, duration: float) -> None:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("GC-PAUSE "):
            _, at, gen, ms = line.split()
            offset = float(at) - result.window_start_epoch
            if 0 <= offset <= duration:
                result.gc_pauses.append((round(offset, 3), int(gen), float(ms)))
        elif line.startswith("GC-SUMMARY "):
            result.gc_summary.append(line.removeprefix("GC-SUMMARY "))


def account_cpu(
    result: StepResult,
    before: CpuSnapshot,
    after: CpuSnapshot,
    elapsed: float,
    service_pid: int | None,
) -> None:
    """The CPU figures of the window, from the counters read at its start and end."""
    result.fake_cpu_pct = 100 * (after.processes["fake"] - before.processes["fake"]) / elapsed
    result.loadgen_cpu_pct = 100 * (after.own - before.own) / elapsed
    ours = sum(after.processes[name] - before.processes[name] for name in before.processes)
    ours += after.own - before.own
    ours += sum(after.spinners[pid] - before.spinners[pid] for pid in before.spinners)
    result.others_cpu_pct = 100 * (after.machine[0] - before.machine[0] - ours) / elapsed
    result.steal_pct = 100 * (after.machine[1] - before.machine[1]) / elapsed
    result.service_wait_pct = 100 * (after.service_wait - before.service_wait) / elapsed
    result.loadgen_wait_pct = 100 * (after.loadgen_wait - before.loadgen_wait) / elapsed
    if service_pid is not None:
        used = after.processes["service"] - before.processes["service"]
        result.service_cpu_s = used
        result.service_cpu_pct = 100 * used / elapsed
        result.cpu_s_per_call_min = used / (result.n * elapsed / 60)
        result.service_cpu_us_per_frame = 1e6 * used / max(result.frames, 1)
        result.service_rss_mb = rss_mb(service_pid)
