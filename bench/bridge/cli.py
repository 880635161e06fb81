"""The benchmark's flags, the sweep over N, and `main`."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path

from bench.bridge.config import DEFAULT_SWEEP
from bench.bridge.cpu import CPUS, SPINNERS, start_spinners, wait_for_quiet
from bench.bridge.measure import StepResult
from bench.bridge.processes import run_loop
from bench.bridge.report import (
    COLUMNS,
    print_baseline,
    print_comparison,
    print_details,
    print_header,
    print_pairs,
    print_row,
    print_summary,
)
from bench.bridge.step import run_step


async def sweep(args: argparse.Namespace) -> list[StepResult]:
    """Run every N (and the refinement), printing rows as they come."""
    results: list[StepResult] = []
    final: dict[int, StepResult] = {}  # the last run of each N
    failures_in_a_row = 0
    for n in args.n:
        result = await _step(n, args, results, final)
        failures_in_a_row = 0 if result.passed else failures_in_a_row + 1
        if failures_in_a_row >= 2 and not args.keep_going:
            print(f"{'':>5} (two failing steps in a row: larger N skipped)")
            break
    for _ in range(args.refine):
        middle = _bisect(final)
        if middle is None:
            break
        await _step(middle, args, results, final)
    return results


async def _step(
    n: int, args: argparse.Namespace, results: list[StepResult], final: dict[int, StepResult]
) -> StepResult:
    """Run N, then (with `--compare`) the reference on the same load, `--pairs` times in
    turn; then its baseline if asked. The step that counts for the sweep is N's last run, or
    its first with late frames."""
    pairs: list[tuple[StepResult, StepResult]] = []
    for _ in range(args.pairs if args.compare else 1):
        bridge = await _measured(n, args, results)
        if n not in final or final[n].passed:
            final[n] = bridge
        if args.compare:
            reference = await _measured(n, args, results, reference=True)
            print_comparison(bridge, reference)
            pairs.append((bridge, reference))
    if len(pairs) > 1:
        print_pairs(pairs)
    if args.baseline:
        base = await run_step(n, args, baseline=True)
        results.append(base)
        print_baseline(base)
    return final[n]


async def _measured(
    n: int, args: argparse.Namespace, results: list[StepResult], *, reference: bool = False
) -> StepResult:
    """One step of N through the service (or the reference), printed; run again while it is
    contended (and, for the service, late), up to `--retries` times."""
    for attempt in range(1 + args.retries):
        if args.quiet_timeout > 0:
            others = await wait_for_quiet(args.quiet_threshold, args.quiet_timeout)
            if others >= args.quiet_threshold:
                print(f"{'':>5} (other processes use {others:.0f}% of a core: running anyway)")
        result = await run_step(n, args, reference=reference)
        results.append(result)
        print_row(result)
        print_details(result, args.trace_gc)
        if not result.contended or (result.passed and not reference):
            break
        if attempt < args.retries:
            print(f"{'':>5} (contended: N={n} again)")
    return result


def _bisect(final: dict[int, StepResult]) -> int | None:
    """The N halfway between the last pass and the first failure above it; `None` when they
    are close enough (or there is no such pair)."""
    passed = [n for n, r in final.items() if r.passed]
    failed = [n for n, r in final.items() if not r.passed and n > max(passed, default=0)]
    if not passed or not failed:
        return None
    low, high = max(passed), min(failed)
    if high - low <= max(2, low // 20):
        return None
    return (low + high) // 2


def build_parser(description: str) -> argparse.ArgumentParser:
    """Every flag of `bench/bridge_bench.py`."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _load_options(parser)
    _machine_options(parser)
    _run_options(parser)
    return parser


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--n",
        type=lambda text: [int(part) for part in text.split(",") if part],
        default=[int(part) for part in DEFAULT_SWEEP.split(",")],
        help=f"concurrent calls per step, comma-separated (default {DEFAULT_SWEEP})",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="window per N, s")
    parser.add_argument("--warmup", type=float, default=2.0, help="s after the last first audio")
    parser.add_argument("--grace", type=float, default=1.0, help="s to wait for late echoes")
    parser.add_argument("--ramp-rate", type=float, default=50.0, help="calls opened per second")
    parser.add_argument("--audio-format", choices=("pcmu", "pcm24k"), default="pcmu")
    parser.add_argument("--greeting-ms", type=int, default=300, help="the fake's greeting")


def _machine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pin",
        choices=("split", "none"),
        default="split",
        help="split: service on CPU 0, load on CPU 1 (default); none: no pinning",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the service, the fake and the load at this nice value (e.g. -15 as root on "
        "a shared machine: other work then only gets the CPU the benchmark leaves idle)",
    )
    parser.add_argument(
        "--rt",
        action="store_true",
        help="run the service, the fake Grok and the load under SCHED_RR (needs root): on a "
        "shared machine, other processes' time slices then cannot delay their wakeups (EEVDF "
        "lets a running task finish its slice, whatever the nice values)",
    )
    parser.add_argument(
        "--trace-gc",
        action="store_true",
        help="time the service's garbage collections and list the pauses over 2 ms against "
        "the window (investigation)",
    )
    parser.add_argument(
        "--keep-awake",
        action="store_true",
        help="keep every CPU out of its idle halt with a SCHED_IDLE busy loop (virtual "
        "machines: waking a halted virtual CPU adds latency to every cross-CPU message)",
    )


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    parser.add_argument(
        "--uvicorn-ws",
        help="uvicorn's --ws for the service and the reference alike (default: production's "
        "for the service, voice_backend.websocket_protocol:PicowsProtocol; uvicorn's auto for "
        "the reference)",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="after each N, run the same load through the minimal reference bridge "
        "(bench/reference_bridge.py, written like the vendors' samples) and print the ratios",
    )
    parser.add_argument(
        "--pairs",
        type=_positive,
        default=1,
        help="with --compare: run the service and the reference in turn this many times per N "
        "and summarise the pairs (the machine's drift hits both alike)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run each N straight against the fake Grok (its share of the round trip)",
    )
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=15.0,
        help="before each step, wait until other processes use less than this %% of a core",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=120.0, help="... for at most this long, s (0: never)"
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="runs of a step again while it is contended"
    )
    parser.add_argument("--refine", type=int, default=2, help="bisection steps after the sweep")
    parser.add_argument("--keep-going", action="store_true", help="run every N regardless")
    parser.add_argument("--seed", type=int, default=1, help="seed of the calls' clock phases")
    parser.add_argument("--json", type=Path, help="write every step's numbers here")
    parser.add_argument("--keep-logs", type=Path, help="copy each step's service log here")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _apply_nice(nice: int) -> None:
    """Run this process (and the service and fake it starts later) at this nice value."""
    # Inherited by the service and the fake Grok, which start later. With autogroup
    # scheduling a nice value only counts within its session: set the session's too.
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except PermissionError:
        print(f"(cannot set nice {nice}: needs root; running at the usual priority)")
    with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as group:
        group.write(str(nice))


def main(argv: list[str] | None = None, description: str = "") -> int:
    """Run the benchmark; 0 when some N ran without late frames."""
    args = build_parser(description).parse_args(argv)
    if args.nice:
        _apply_nice(args.nice)
    # A plain `kill` must still stop the service, the fake and the spinners (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.keep_awake:
        SPINNERS.extend(start_spinners(set(CPUS)))
    print_header(args)
    print(COLUMNS)
    try:
        results = run_loop(sweep(args))
    finally:
        for spinner in SPINNERS:
            spinner.kill()
            spinner.wait()
    passed = print_summary(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if passed else 1
