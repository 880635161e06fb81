"""The processes of a step: the voice service under test, the fake Grok, and the calls seeded
into the store as if the dispatcher had placed them."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.bridge.config import BENCH_OWNER, CALLER_ID, SERVICE_INSTANCE
from shared.models import CallUpdate, JobCreate, ProviderCreate
from shared.settings import Settings
from shared.storage import make_store

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_loop(main: Coroutine[Any, Any, Any]) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _grok_child(conn: multiprocessing.connection.Connection, greeting_ms: int) -> None:
    """The fake Grok's process: serve until terminated."""
    from tests.fakes.grok_realtime import FakeGrok

    async def serve() -> None:
        fake = FakeGrok(echo=True, vad=False, record_audio=False, chunk_ms=100, pace=0.0)
        fake.on_response(say="Hello, this is the benchmark calling.", audio_ms=greeting_ms)
        async with fake:
            conn.send((fake.url, fake.api_key))
            await asyncio.Event().wait()

    run_loop(serve())


#: Runs uvicorn (argv after -c) with gc.callbacks timing every collection; at exit, one line
#: `GC-PAUSE <epoch> <generation> <ms>` per pause over 2 ms, then a summary per generation.
_GC_TRACER = """
import atexit, gc, runpy, sys, time
_start = [0.0]
_pauses = []
def _timed(phase, info):
    if phase == "start":
        _start[0] = time.perf_counter()
    else:
        _pauses.append((time.time(), info["generation"], time.perf_counter() - _start[0]))
gc.callbacks.append(_timed)
def _report():
    for at, gen, took in _pauses:
        if took > 0.002:
            print(f"GC-PAUSE {at:.3f} {gen} {took * 1000:.1f}", file=sys.stderr)
    for gen in (0, 1, 2):
        took = [p[2] for p in _pauses if p[1] == gen]
        if took:
            print(f"GC-SUMMARY gen{gen}: {len(took)} collections, {sum(took) * 1000:.0f} ms, "
                  f"max {max(took) * 1000:.1f} ms", file=sys.stderr)
atexit.register(_report)
sys.argv = ["uvicorn", *sys.argv[1:]]
runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)
"""


class GrokProcess:
    """`FakeGrok` in echo mode, in a process of its own."""

    def __init__(self, greeting_ms: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._process = ctx.Process(target=_grok_child, args=(child, greeting_ms), daemon=True)
        self._process.start()
        if not parent.poll(30):
            self.stop()
            raise RuntimeError("the fake Grok did not start")
        self.url, self.api_key = parent.recv()

    @property
    def pid(self) -> int:
        """The fake's process id."""
        assert self._process.pid is not None
        return self._process.pid

    def stop(self) -> None:
        """Terminate the fake."""
        self._process.terminate()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


@dataclass(frozen=True)
class Twilio:
    """The (made-up) Twilio account the service and this client share."""

    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))


#: The voice service's ASGI app, and the reference bridge of `--compare`.
SERVICE_APP = "voice_backend.app:app"
REFERENCE_APP = "bench.reference_bridge:app"
#: uvicorn's options as in production (docker-compose.yml, `haggle serve`).
PRODUCTION_OPTIONS = ["--loop", "uvloop", "--http", "httptools"]
PRODUCTION_OPTIONS += ["--ws-per-message-deflate", "false"]
#: The WebSocket implementation each app runs on unless `--uvicorn-ws` names one for both: the
#: voice service's own (production's), and uvicorn's default for the reference, as its sample
#: would be run.
DEFAULT_WS = {SERVICE_APP: "voice_backend.websocket_protocol:PicowsProtocol", REFERENCE_APP: "auto"}


class ServiceProcess:
    """The service under test: `python -m uvicorn voice_backend.app:app` (or `app`)."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        grok: GrokProcess,
        twilio: Twilio,
        audio_format: str,
        log_level: str,
        uvicorn_ws: str | None,
        trace_gc: bool = False,
        app: str = SERVICE_APP,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "service.log"
        env = _service_env(database_url, grok, twilio, self.url, audio_format, log_level, workdir)
        uvicorn = [app, "--host", "127.0.0.1", "--port", str(self.port), *PRODUCTION_OPTIONS]
        uvicorn += ["--ws", uvicorn_ws or DEFAULT_WS[app], "--log-level", log_level]
        if trace_gc:  # the same uvicorn, with the collector's pauses written to the log
            command = [sys.executable, "-c", _GC_TRACER, *uvicorn]
        else:
            command = [sys.executable, "-m", "uvicorn", *uvicorn]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the voice service exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the voice service did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        """The service's process id."""
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the service's log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def problems(self) -> list[str]:
        """Warning, error and traceback lines of the service's log."""
        marks = (" WARNING ", " ERROR ", "WARNING:", "ERROR:", "Traceback", "CRITICAL")
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if any(mark in line for mark in marks)]

    def stop(self) -> None:
        """Stop the service as Ctrl+C would (graceful shutdown), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _service_env(
    database_url: str,
    grok: GrokProcess,
    twilio: Twilio,
    url: str,
    audio_format: str,
    log_level: str,
    workdir: Path,
) -> dict[str, str]:
    """The service's environment: this one without any setting of ours, plus the bench's."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env |= {
        "HAGGLE_ENV_FILE": "",
        "DATABASE_URL": database_url,
        "TELEPHONY": "twilio",
        "AGENT": "grok",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_PHONE_NUMBER": CALLER_ID,
        # Required with Twilio configured (the service refuses to start without it); unused here.
        "VOICE_BACKEND_TOKEN": secrets.token_urlsafe(24),
        # Never called: calls end with Twilio's `stop`, so the service does not hang up.
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "PUBLIC_BASE_URL": url,
        "XAI_API_KEY": grok.api_key,
        "GROK_REALTIME_URL": grok.url,
        "XAI_API_HOST": f"127.0.0.1:{free_port()}",  # no price model: a closed port
        "AUDIO_FORMAT": audio_format,
        "SILENCE_LIMIT_SECONDS": "3600",
        "CALL_TIME_LIMIT_SECONDS": "14400",
        "CALL_TOKEN_TTL_SECONDS": "3600",
        "CALLS_PER_SECOND": "1000",
        "MAX_CONCURRENT_CALLS": "10000",
        "INSTANCE_ID": SERVICE_INSTANCE,
        "DATA_DIR": str(workdir / "data"),
        "LOG_LEVEL": log_level,
    }
    return env


async def seed_calls(database_url: str, count: int) -> list[tuple[int, str]]:
    """N provider rows in `dialing` with a call SID, as if the dispatcher had placed them."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, supabase_url=None, supabase_key=None
    )
    store = make_store(settings)
    await store.open()
    try:
        job = await store.create_job(
            JobCreate(problem="my toilet keeps running", zip_code="94110", max_price=150)
        )
        providers = await store.add_providers(
            job,
            [
                ProviderCreate(service_provider=f"Bench Plumbing {i}", phone_number=f"+1555{i:07d}")
                for i in range(count)
            ],
        )
        await store.queue_calls(job.id)
        calls = []
        for provider in providers:
            await store.claim_call(provider.id, BENCH_OWNER)
            call_sid = "CA" + secrets.token_hex(16)
            await store.update_call(provider.id, CallUpdate(call_sid=call_sid))
            calls.append((provider.id, call_sid))
        return calls
    finally:
        await store.close()
