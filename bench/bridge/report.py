"""The printed table: the header, one row per step, and the summary."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

import numpy as np

from bench.bridge.cpu import CPUS, autogroup
from bench.bridge.measure import StepResult
from bench.bridge.processes import DEFAULT_WS, REFERENCE_APP, SERVICE_APP


def _ms(values: dict[str, float], key: str) -> str:
    return f"{values[key]:.1f}" if key in values else "-"


def print_header(args: argparse.Namespace) -> None:
    split = args.pin == "split" and len(CPUS) >= 2
    try:
        import uvloop

        loop = f"uvloop {uvloop.__version__}"
    except ImportError:
        loop = "asyncio"
    import uvicorn
    import websockets

    print(
        f"bridge benchmark: AUDIO_FORMAT={args.audio_format}, {args.duration:g} s window per N "
        f"after {args.warmup:g} s warm-up, calls opened at {args.ramp_rate:g}/s, "
        f"greeting {args.greeting_ms} ms"
    )
    print(
        f"machine: {os.cpu_count()} CPUs; "
        + (
            f"service pinned to CPU {CPUS[0]}; load generator + fake Grok share CPUs {CPUS[1:]}"
            if split
            else "no pinning: service, fake Grok and load generator share every CPU"
        )
        + f"; nice {os.getpriority(os.PRIO_PROCESS, 0)} ({autogroup()})"
        + ("; all three under SCHED_RR" if args.rt else "")
        + ("; idle CPUs kept awake" if args.keep_awake else "")
    )
    print(
        f"service: uvicorn {uvicorn.__version__} (--ws {_ws(args.uvicorn_ws)}, websockets "
        f"{websockets.__version__}), {loop}, LOG_LEVEL={args.log_level}; "
        f"Python {sys.version.split()[0]}"
    )
    print(
        "latency = send -> echo back (client -> service -> fake Grok -> service -> client): an "
        "upper bound of the bridge's share; late = echo > 20 ms behind the playout schedule "
        "started by the call's first measured echo (lost frames count as late)"
    )
    print()


def _ws(chosen: str | None) -> str:
    if chosen:
        return f"{chosen} for both"
    return f"{DEFAULT_WS[SERVICE_APP]}; reference: {DEFAULT_WS[REFERENCE_APP]}"


COLUMNS = (
    f"{'N':>5} {'up':>5} {'svc CPU%':>8} {'CPU s/call-min':>14} {'us/frame':>8} "
    f"{'lat p50':>7} {'p99':>6} {'max':>6} {'late':>6} {'lost':>5} "
    f"{'1st audio p50':>13} {'p99':>6} {'lag p99':>7} {'max':>6} "
    f"{'fake%':>5} {'gen%':>5} {'wait%':>5} {'gwait%':>6} {'other%':>6} {'steal%':>6} "
    f"{'RSS MB':>6}  verdict"
)


def print_row(r: StepResult) -> None:
    verdict = "ok" if r.passed else f"LATE ({r.late_calls} calls)" if r.late else "FAIL"
    if r.start_errors:
        verdict += f"; {len(r.start_errors)} calls failed to start"
    if r.contended:
        verdict += "; CONTENDED (machine busy: rerun)"
    if r.mode == "reference":
        verdict += "  <- reference bridge"
    print(
        f"{r.n:>5} {r.calls_up:>5} {r.service_cpu_pct:>8.1f} {r.cpu_s_per_call_min:>14.3f} "
        f"{r.service_cpu_us_per_frame:>8.0f} "
        f"{_ms(r.latency_ms, 'p50'):>7} {_ms(r.latency_ms, 'p99'):>6} "
        f"{_ms(r.latency_ms, 'max'):>6} {r.late:>6} {r.lost:>5} "
        f"{_ms(r.first_audio_ms, 'p50'):>13} {_ms(r.first_audio_ms, 'p99'):>6} "
        f"{_ms(r.send_lag_ms, 'p99'):>7} {_ms(r.send_lag_ms, 'max'):>6} "
        f"{r.fake_cpu_pct:>5.0f} {r.loadgen_cpu_pct:>5.0f} {r.service_wait_pct:>5.0f} "
        f"{r.loadgen_wait_pct:>6.0f} "
        f"{r.others_cpu_pct:>6.0f} {r.steal_pct:>6.0f} {r.service_rss_mb:>6.0f}  {verdict}",
        flush=True,
    )


def print_baseline(r: StepResult) -> None:
    print(
        f"{'':>5} baseline, N={r.n} straight to the fake Grok: round trip p50 "
        f"{_ms(r.latency_ms, 'p50')} p99 {_ms(r.latency_ms, 'p99')} max "
        f"{_ms(r.latency_ms, 'max')} ms, late {r.late}, fake {r.fake_cpu_pct:.0f}% CPU, "
        f"gen {r.loadgen_cpu_pct:.0f}%",
        flush=True,
    )


def print_comparison(bridge: StepResult, reference: StepResult) -> None:
    """The voice service against the reference bridge on the same load, as ratios."""

    def ratio(ours: float, theirs: float) -> str:
        return f"{ours / theirs:.2f}" if theirs else "-"

    print(
        f"{'':>5} voice service / reference at N={bridge.n}: CPU per call-minute "
        f"{ratio(bridge.cpu_s_per_call_min, reference.cpu_s_per_call_min)} "
        f"({bridge.service_cpu_us_per_frame:.0f} vs {reference.service_cpu_us_per_frame:.0f} "
        f"us/frame); echo p99 {_ms(bridge.latency_ms, 'p99')} vs "
        f"{_ms(reference.latency_ms, 'p99')} ms; lost {bridge.lost} vs {reference.lost}; "
        f"first audio p50 {_ms(bridge.first_audio_ms, 'p50')} vs "
        f"{_ms(reference.first_audio_ms, 'p50')} ms",
        flush=True,
    )


def print_pairs(pairs: list[tuple[StepResult, StepResult]]) -> None:
    """Over several service/reference pairs of one N, those where neither step was contended:
    the median ratio and its range, how often the service's echo p99 was at or below the
    reference's, and the frames lost."""
    clean = [
        (b, r) for b, r in pairs if not b.contended and not r.contended and r.cpu_s_per_call_min
    ]
    left_out = f" ({len(pairs) - len(clean)} left out)" if len(clean) < len(pairs) else ""
    ratios = sorted(b.cpu_s_per_call_min / r.cpu_s_per_call_min for b, r in clean)
    if not ratios:
        print(f"{'':>5} over {len(pairs)} pairs: none uncontended, no ratio", flush=True)
        return
    inf = float("inf")
    at_or_below = sum(b.latency_ms.get("p99", inf) <= r.latency_ms.get("p99", 0) for b, r in clean)
    print(
        f"{'':>5} over {len(clean)} pairs at N={clean[0][0].n}{left_out}: CPU per call-minute "
        f"ratio median {float(np.median(ratios)):.2f} ({ratios[0]:.2f}-{ratios[-1]:.2f}); "
        f"echo p99 median {_median_p99(b for b, _ in clean)} vs "
        f"{_median_p99(r for _, r in clean)} ms, at or below the reference's in {at_or_below} "
        f"of {len(clean)}; lost "
        f"{sum(b.lost for b, _ in clean)} vs {sum(r.lost for _, r in clean)}",
        flush=True,
    )


def _median_p99(results: Iterable[StepResult]) -> str:
    p99s = [r.latency_ms["p99"] for r in results if "p99" in r.latency_ms]
    return f"{float(np.median(p99s)):.1f}" if p99s else "-"


def print_details(result: StepResult, trace_gc: bool) -> None:
    """The lines under a step's row: when its late frames were due, GC pauses, problems."""
    if result.late and not result.lost:
        busy = [f"{i}s:{c}" for i, c in enumerate(result.late_per_second) if c]
        print(f"{'':>5} late frames by second of the window: {' '.join(busy[:12])}")
    if trace_gc:
        pauses = [f"{at:.1f}s:gen{gen}:{ms:.0f}ms" for at, gen, ms in result.gc_pauses]
        print(f"{'':>5} service GC pauses > 2 ms in the window: {' '.join(pauses[:12])}")
        print(f"{'':>5} service GC over its life: {'; '.join(result.gc_summary)}")
    for line in result.service_problems[:3]:
        print(f"{'':>5} service log: {line[:160]}")
    for error in result.start_errors[:3]:
        print(f"{'':>5} start error: {error[:160]}")


def print_summary(results: list[StepResult]) -> bool:
    """The verdict under the table; whether some N passed."""
    bridge = [r for r in results if r.mode == "bridge"]
    passed = [r.n for r in bridge if r.passed]
    print()
    if passed:
        best = max(passed)
        ok = next(r for r in bridge if r.n == best and r.passed)
        print(
            f"largest N with no late frame: {best} "
            f"(service at {ok.service_cpu_pct:.0f}% of one core, "
            f"{ok.cpu_s_per_call_min:.3f} CPU s per call-minute)"
        )
        below = sorted({r.n for r in bridge if r.n < best and not r.passed and not r.contended})
        if below:
            print(f"  ... but smaller N failed without contention: {below}")
    else:
        print("no N ran without late frames")
    nearly = [r.n for r in bridge if r.nearly_passed]
    if nearly:
        print(
            f"largest N with no frame lost and at most 0.1% late (a short stall, not overload): "
            f"{max(nearly)}"
        )
    clean = [r for r in bridge if not r.contended and r.frames and r.service_cpu_pct < 90]
    if clean:
        per_frame = float(np.median([r.service_cpu_us_per_frame for r in clean]))
        print(
            f"CPU-bound ceiling: {per_frame:.0f} us of service CPU per frame (median of "
            f"uncontended steps below 90% CPU) -> at most {1e6 / (per_frame * 50):.0f} calls "
            "per core at 100% CPU"
        )
    print(
        "columns: up = calls streaming; svc CPU% = service process, % of one core over the "
        "window; us/frame = service CPU per 20 ms frame round trip; lat = echo latency (ms); "
        "late/lost = frames; 1st audio = `start` -> first media (ms); lag = load generator's "
        "send lag behind schedule (ms); fake%/gen% = CPU of the fake Grok and of the load "
        "generator; wait% = time the service's event loop was runnable but not running (CPU "
        "contention); gwait% = the same for the load generator; other% = CPU used by other "
        "processes on the machine; steal% = stolen by "
        "the hypervisor (all % of one core); RSS = service memory at the end"
    )
    return bool(passed)
