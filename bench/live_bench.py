"""Live updates and analytics under load: N open event streams on one job, and N concurrent
analytics requests, against a real job API process.

Run: `.venv/bin/python bench/live_bench.py` (about a minute per backend; `--help` for the
knobs). Prints one block of figures per backend.

Who runs where
--------------
* The job API under test runs alone in its own process (`uvicorn api.main:app`, default
  options), on an SQLite file in a temp dir, then on a throwaway PostgreSQL server when its
  binaries are installed (`tests/support/postgres.py` starts it).
* This process seeds the store (`--jobs` jobs of `--providers` providers, calls in every
  state, so the analytics have rows to aggregate), opens `--streams` event streams on one job
  with httpx, a client per stream as each browser tab is (each reconnects as `EventSource`
  does when the server ends it, after the `retry` the stream set), and
  plays the voice service: it writes changes through a store connection of its own, as that
  other process does.

What is measured
----------------
* CPU at rest: the API process's user + system CPU (from /proc/<pid>/stat) over `--rest`
  seconds while every stream is open and nothing changes, as a percentage of one core. A
  second window of `--cycle` seconds spans each stream's own reconnect (streams end by
  themselves after ~20-25 s), so the reconnects' cost is counted too.
* Update latency: a provider's transcript is changed (`--changes` times); from just before the
  write to the moment the last of the streams received the new row. The max and median.
* Analytics: `--analytics` concurrent `GET /api/analytics?limit=<--limit>`, each on a
  connection of its own, total wall time and the API's CPU seconds for them: cold (just after
  a write invalidated the cache) and warm. These requests
  go through aiohttp: httpx spends several ms of CPU per new connection, which made the load
  generator, not the API, the bottleneck on a small machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.models import (
    CallStatus,
    CallUpdate,
    JobCreate,
    Outcome,
    ProviderCreate,
    TranscriptTurn,
)
from shared.storage.sql import SQLStore
from tests.support.postgres import find_bin_dir, running_postgres
from tests.support.servers import REPO, VENV_BIN, free_port

#: The operator key the benchmark's job API runs with (a fresh one each run).
OPERATOR_KEY = "hgl_bench-" + secrets.token_urlsafe(24)
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


def _progress(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@contextmanager
def api_process(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`uvicorn api.main:app` as production runs it (its log to a file); its URL and process."""
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("HAGGLE_")} | env
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(VENV_BIN / "uvicorn"), "api.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=child_env | {"HAGGLE_ENV_FILE": ""},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the API exited with {process.returncode}: see {log}")
            try:
                httpx.get(url + "/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Change:
    """The change being waited for: when each stream saw it, and whether all have."""

    marker: str
    expected: int
    seen: list[float] = field(default_factory=list)
    everywhere: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self) -> None:
        self.seen.append(time.perf_counter())
        if len(self.seen) == self.expected:
            self.everywhere.set()


@dataclass
class Stream:
    """One dashboard tab's event stream, reconnecting like `EventSource`."""

    ready: asyncio.Event = field(default_factory=asyncio.Event)
    seen: set[str] = field(default_factory=set)
    connects: int = 0
    #: The longest time from a reconnect's request to its `ready` event.
    slowest_reconnect: float = 0.0

    async def run(self, base_url: str, path: str, markers: list[Change]) -> None:
        # A client per stream, as each tab is: one httpx pool holding 200 streaming
        # connections spends seconds of this process's CPU on each reconnect.
        timeout = httpx.Timeout(60, read=None)
        async with httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=OPERATOR
        ) as client:
            await self._run(client, path, markers)

    async def _run(self, client: httpx.AsyncClient, path: str, markers: list[Change]) -> None:
        retry = 1.0
        while True:
            asked = time.perf_counter()
            try:
                async with client.stream("GET", path) as response:
                    self.connects += 1
                    async for line in response.aiter_lines():
                        if line.startswith("retry: "):
                            retry = int(line.removeprefix("retry: ")) / 1000
                        elif line.startswith("event: ready"):
                            self.ready.set()
                            if self.connects > 1:
                                took = time.perf_counter() - asked
                                self.slowest_reconnect = max(self.slowest_reconnect, took)
                        elif line.startswith("data: ") and markers:
                            change = markers[-1]
                            if change.marker not in self.seen and change.marker in line:
                                self.seen.add(change.marker)
                                change.arrived()
            except httpx.HTTPError:
                pass
            await asyncio.sleep(retry)  # as `EventSource` does


async def seed(store: SQLStore, jobs: int, per_job: int) -> tuple[str, int]:
    """Jobs with calls in every state; the job and provider the streams watch."""
    done, failed = CallStatus.COMPLETED, CallStatus.FAILED
    kinds = [
        CallUpdate(
            call_status=done, outcome=Outcome.AGREED, negotiated_price=150, minimum_quote=200
        ),
        CallUpdate(call_status=done, outcome=Outcome.NO_AGREEMENT, minimum_quote=180),
        CallUpdate(call_status=failed, outcome=Outcome.NO_ANSWER),
        CallUpdate(call_status=CallStatus.IN_PROGRESS),
        None,
    ]
    watched: tuple[str, int] | None = None
    for number in range(jobs):
        job = await store.create_job(JobCreate(problem=f"job {number}", zip_code="94110"))
        added = await store.add_providers(
            job,
            [
                ProviderCreate(service_provider=f"P{i}", phone_number=f"+1415555{i:04d}")
                for i in range(per_job)
            ],
        )
        for index, provider in enumerate(added):
            update = kinds[index % len(kinds)]
            if update is not None:
                await store.update_call(provider.id, update)
        watched = (job.id, added[-1].id)
    assert watched is not None
    return watched


async def measure(database_url: str, args: argparse.Namespace) -> dict[str, float]:
    """Every figure for one backend."""
    store = SQLStore(database_url)
    await store.open()
    job_id, provider_id = await seed(store, args.jobs, args.providers)
    env = {
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "warning",
        "DATA_DIR": args.tmp,
        "HAGGLE_API_KEY": OPERATOR_KEY,
        # Every stream and request is the operator's: the per-account limits must not be
        # what is measured.
        "MAX_STREAMS_PER_ACCOUNT": str(args.streams + 10),
        "REQUESTS_PER_MINUTE": str(100 * (args.streams + args.analytics)),
    }
    figures: dict[str, float] = {}
    with api_process(env, Path(args.tmp) / "api.log") as (url, process):
        markers: list[Change] = []
        streams = [Stream() for _ in range(args.streams)]
        tasks = [
            asyncio.create_task(s.run(url, f"/api/jobs/{job_id}/events", markers)) for s in streams
        ]
        try:
            async with asyncio.timeout(120):
                await asyncio.gather(*(s.ready.wait() for s in streams))
            _progress(f"{len(streams)} streams open")
            await asyncio.sleep(2)  # let the connects settle
            for name, seconds in (("rest", args.rest), ("cycle", args.cycle)):
                if seconds <= 0:
                    continue
                connects = sum(s.connects for s in streams)
                before, began = cpu_seconds(process.pid), time.perf_counter()
                await asyncio.sleep(seconds)
                used = cpu_seconds(process.pid) - before
                figures[f"cpu_{name}_pct"] = 100 * used / (time.perf_counter() - began)
                figures[f"reconnects_{name}"] = sum(s.connects for s in streams) - connects
            latencies = []
            for change in range(args.changes):
                waited = Change(f"marker-{change}-{time.time_ns()}", len(streams))
                markers.append(waited)
                turn = TranscriptTurn(role="assistant", text=waited.marker)
                began = time.perf_counter()
                await store.update_call(provider_id, CallUpdate(transcript_turns=[turn]))
                async with asyncio.timeout(30):
                    await waited.everywhere.wait()
                latencies.append(max(waited.seen) - began)
                arrivals = sorted(1000 * (at - began) for at in waited.seen)
                _progress(
                    f"change {change}: first {arrivals[0]:.0f} ms, median "
                    f"{arrivals[len(arrivals) // 2]:.0f} ms, last {arrivals[-1]:.0f} ms"
                )
                await asyncio.sleep(1)
            _progress("changes seen")
            figures["slowest_reconnect_ms"] = 1000 * max(s.slowest_reconnect for s in streams)
            figures["update_max_ms"] = 1000 * max(latencies)
            figures["update_median_ms"] = 1000 * statistics.median(latencies)

            async def burst() -> tuple[float, float]:
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(
                    url, connector=connector, headers=OPERATOR
                ) as session:

                    async def one() -> int:
                        query = {"limit": args.limit}
                        async with session.get("/api/analytics", params=query) as answer:
                            await answer.read()
                            return answer.status

                    began, cpu = time.perf_counter(), cpu_seconds(process.pid)
                    codes = await asyncio.gather(*(one() for _ in range(args.analytics)))
                    elapsed = time.perf_counter() - began
                assert codes == [200] * args.analytics, codes
                return elapsed, cpu_seconds(process.pid) - cpu

            # A write invalidates the cache: the first burst computes it once.
            await store.update_call(provider_id, CallUpdate(conditions="bench"))
            await asyncio.sleep(1)
            figures["analytics_cold_s"], figures["analytics_cold_cpu"] = await burst()
            figures["analytics_warm_s"], figures["analytics_warm_cpu"] = await burst()
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    await store.close()
    return figures


@contextmanager
def backends(args: argparse.Namespace) -> Iterator[list[tuple[str, str]]]:
    """(name, DATABASE_URL) of each backend to measure."""
    found = [("sqlite", f"sqlite:///{Path(args.tmp) / 'haggle.db'}")]
    if "postgres" in args.backends and find_bin_dir() is not None:
        with running_postgres() as server:
            yield [b for b in found if b[0] in args.backends] + [("postgres", server.url())]
        return
    if "postgres" in args.backends:
        print("postgres: skipped (PostgreSQL binaries not found)")
    yield [b for b in found if b[0] in args.backends]


def main() -> None:
    """Parse the knobs, measure each backend, print the figures."""
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--streams", type=int, default=200, help="event streams on one job")
    parser.add_argument("--rest", type=float, default=10.0, help="seconds of the rest window")
    parser.add_argument(
        "--cycle", type=float, default=30.0, help="seconds of a window spanning reconnects"
    )
    parser.add_argument(
        "--changes", type=int, default=10, help="writes timed until every stream has them"
    )
    parser.add_argument(
        "--analytics", type=int, default=200, help="concurrent GET /api/analytics requests"
    )
    parser.add_argument(
        "--limit", type=int, default=100, help="the analytics requests' `limit` (newest jobs)"
    )
    parser.add_argument("--jobs", type=int, default=100, help="jobs seeded in the store")
    parser.add_argument("--providers", type=int, default=10, help="providers per seeded job")
    parser.add_argument(
        "--backends", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="haggle-live-bench-") as tmp:
        args.tmp = tmp
        with backends(args) as chosen:
            for name, url in chosen:
                figures = asyncio.run(measure(url, args))
                print(
                    f"\n{name}: {args.streams} streams on one job, {args.jobs} jobs x "
                    f"{args.providers} providers"
                )
                for rest in ("rest", "cycle"):
                    if f"cpu_{rest}_pct" in figures:
                        seconds = args.rest if rest == "rest" else args.cycle
                        print(
                            f"  API CPU at rest over {seconds:.0f} s: "
                            f"{figures[f'cpu_{rest}_pct']:.2f}% of a core "
                            f"({figures[f'reconnects_{rest}']:.0f} stream reconnects)"
                        )
                print(
                    f"  slowest stream reconnect to its first picture: "
                    f"{figures['slowest_reconnect_ms']:.0f} ms"
                )
                print(
                    f"  update reached all streams: max {figures['update_max_ms']:.0f} ms, "
                    f"median {figures['update_median_ms']:.0f} ms ({args.changes} changes)"
                )
                print(
                    f"  {args.analytics} concurrent analytics requests (limit {args.limit}): "
                    f"{figures['analytics_cold_s']:.2f} s cold "
                    f"(API CPU {figures['analytics_cold_cpu']:.2f} s), "
                    f"{figures['analytics_warm_s']:.2f} s warm "
                    f"(API CPU {figures['analytics_warm_cpu']:.2f} s)"
                )


if __name__ == "__main__":
    main()
