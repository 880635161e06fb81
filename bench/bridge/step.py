"""One step of the sweep: N calls through the service (or, as the baseline, straight to the
fake Grok), the measurement window, and the processes stopped again."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

from bench.bridge.config import SLOTS
from bench.bridge.cpu import CPUS, CpuSnapshot, pin, realtime
from bench.bridge.measure import StepResult, account_cpu, read_gc_trace, summarise
from bench.bridge.processes import (
    REFERENCE_APP,
    SERVICE_APP,
    GrokProcess,
    ServiceProcess,
    Twilio,
    seed_calls,
)
from bench.bridge.streams import Clock, GrokStream, Stream, TwilioStream
from voice_backend.twilio.signatures import TwilioSignatures


async def _open_all(
    streams: list[Stream], opener: Callable[[Stream], Coroutine[Any, Any, None]], rate: float
) -> list[str]:
    """Open the streams at `rate` per second; the errors of those that failed."""
    loop_start = time.perf_counter()
    tasks = []
    for i, stream in enumerate(streams):
        delay = loop_start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(opener(stream)))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    errors = []
    for stream, outcome in zip(streams, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            stream.error = f"{type(outcome).__name__}: {outcome}"
            errors.append(stream.error)
    return errors


async def _wait_first_audio(streams: list[Stream], within: float) -> None:
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        if all(s.first_audio_at is not None for s in streams if s.active):
            return
        await asyncio.sleep(0.05)


async def run_step(
    n: int, args: argparse.Namespace, *, baseline: bool = False, reference: bool = False
) -> StepResult:
    """Run N calls for the window; return what was measured. `baseline`: straight to the fake
    Grok; `reference`: through the minimal reference bridge instead of the voice service."""
    mode = "baseline" if baseline else "reference" if reference else "bridge"
    result = StepResult(n, args.audio_format, mode)
    rng = random.Random(args.seed + n)
    split = args.pin == "split" and len(CPUS) >= 2
    service_cpus, load_cpus = ({CPUS[0]}, set(CPUS[1:])) if split else (None, None)
    pin(os.getpid(), load_cpus)
    if args.rt:
        realtime(os.getpid())
    twilio = Twilio()
    with tempfile.TemporaryDirectory(prefix="bridge-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir}/haggle.db"
        calls = [] if baseline else await seed_calls(database_url, n)
        grok = GrokProcess(args.greeting_ms)
        service: ServiceProcess | None = None
        clock_task: asyncio.Task[None] | None = None
        try:
            pin(grok.pid, load_cpus)
            if args.rt:
                realtime(grok.pid)
            if baseline:
                streams = _grok_streams(n, rng, args)
            else:
                app = REFERENCE_APP if reference else SERVICE_APP
                service = _start_service(
                    workdir, database_url, grok, twilio, args, service_cpus, app
                )
                streams = _twilio_streams(calls, rng, args)
            clock = Clock(streams)
            clock_task = asyncio.create_task(clock.run())
            result.start_errors = await _open_streams(streams, args, grok, service, twilio)
            result.calls_up = sum(1 for s in streams if s.active)
            if not baseline:
                await _wait_first_audio(streams, within=30)
            await asyncio.sleep(args.warmup)
            await _measure_window(result, args, streams, clock, clock_task, grok, service)
            await asyncio.gather(*(s.hang_up() for s in streams), return_exceptions=True)
        finally:
            if clock_task is not None:
                clock_task.cancel()
            if service is not None:
                _stop_service(service, result, args)
            grok.stop()
    return result


def _grok_streams(n: int, rng: random.Random, args: argparse.Namespace) -> list[Stream]:
    pcm24k = args.audio_format == "pcm24k"
    return [GrokStream(i, rng.randrange(SLOTS), True, 0, pcm24k=pcm24k) for i in range(n)]


def _twilio_streams(
    calls: list[tuple[int, str]], rng: random.Random, args: argparse.Namespace
) -> list[Stream]:
    pcm24k = args.audio_format == "pcm24k"
    greeting_bytes = args.greeting_ms * 8
    return [
        TwilioStream(
            i,
            rng.randrange(SLOTS),
            not pcm24k,
            greeting_bytes,
            provider_id=provider_id,
            call_sid=call_sid,
        )
        for i, (provider_id, call_sid) in enumerate(calls)
    ]


def _start_service(
    workdir: Path,
    database_url: str,
    grok: GrokProcess,
    twilio: Twilio,
    args: argparse.Namespace,
    cpus: set[int] | None,
    app: str,
) -> ServiceProcess:
    service = ServiceProcess(
        workdir,
        database_url,
        grok,
        twilio,
        args.audio_format,
        args.log_level,
        args.uvicorn_ws,
        args.trace_gc,
        app,
    )
    pin(service.pid, cpus)
    if args.rt and not realtime(service.pid):
        print(f"{'':>5} (could not make the service real-time: needs root)")
    return service


async def _open_streams(
    streams: list[Stream],
    args: argparse.Namespace,
    grok: GrokProcess,
    service: ServiceProcess | None,
    twilio: Twilio,
) -> list[str]:
    """Open every call (through the service, or straight to the fake); the errors."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        opener: Callable[[Stream], Coroutine[Any, Any, None]]
        if service is not None:
            signer = TwilioSignatures(twilio.auth_token, service.url)
            url = service.url

            async def open_call(stream: Stream) -> None:
                assert isinstance(stream, TwilioStream)
                await stream.open(http, url, twilio, signer)

            opener = open_call
        else:

            async def open_direct(stream: Stream) -> None:
                assert isinstance(stream, GrokStream)
                await stream.open(grok.url, grok.api_key)

            opener = open_direct
        return await _open_all(streams, opener, args.ramp_rate)


async def _measure_window(
    result: StepResult,
    args: argparse.Namespace,
    streams: list[Stream],
    clock: Clock,
    clock_task: asyncio.Task[None],
    grok: GrokProcess,
    service: ServiceProcess | None,
) -> None:
    """The window: CPU counters at its start and end, then every frame due in it."""
    pids = {"fake": grok.pid} | ({"service": service.pid} if service else {})
    service_pid = service.pid if service else None
    before = CpuSnapshot.take(pids, service_pid)
    w0 = time.perf_counter()
    result.window_start_epoch = time.time()
    w1 = w0 + args.duration
    # Audio goes on through the grace period: a resampler holding the window's last
    # frames needs what follows to push them out (only frames due by w1 count).
    clock.stop_at = w1 + args.grace
    await asyncio.sleep(w1 - time.perf_counter())
    elapsed = time.perf_counter() - w0
    after = CpuSnapshot.take(pids, service_pid)
    result.window_s = elapsed
    await clock_task
    result.clock_ticks_behind = clock.ticks_behind
    summarise(result, streams, w0, w1)
    account_cpu(result, before, after, elapsed, service_pid)


def _stop_service(service: ServiceProcess, result: StepResult, args: argparse.Namespace) -> None:
    service.stop()
    result.service_problems = service.problems()
    if args.trace_gc:
        read_gc_trace(result, service.log_path, args.duration)
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
        name = f"{result.mode}-{args.audio_format}-{result.n}.log"
        (args.keep_logs / name).write_bytes(service.log_path.read_bytes())
