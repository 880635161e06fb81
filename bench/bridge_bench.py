"""Call bridge load benchmark: N concurrent calls of real-time 20 ms frames, echoed by a fake Grok.

Run: `.venv/bin/python bench/bridge_bench.py` (about 5 minutes; `--help` for the knobs), or
`make bench`. Prints one table; `--json FILE` keeps the raw numbers.

Who runs where
--------------
* The voice service under test runs alone in its own process: `python -m uvicorn
  voice_backend.app:app` (default uvicorn options, as in production), configured through the
  environment: TELEPHONY=twilio, AGENT=grok, a SQLite file in a temp dir, silence and time limits
  far beyond the run. Its CPU time is read from /proc/<pid>/stat before and after the window.
* The fake Grok (`tests.fakes.grok_realtime.FakeGrok(echo=True, vad=False, record_audio=False)`)
  runs in a second process. It echoes every `input_audio_buffer.append` straight back as an
  output audio delta, and answers the agent's first `response.create` with a scripted greeting
  (`--greeting-ms` of tone).
* This process plays Twilio for every call. Calls bypass the dispatcher: provider rows are
  written straight into the store in `dialing` with a call SID (claimed by another instance
  id, so the service's start-up sweep leaves them alone), then, as Twilio would once a call is
  answered, each call fetches its signed TwiML (`POST /twiml` with `X-Twilio-Signature` and the
  CallSid), opens the `<Stream>` WebSocket, sends `connected` and `start` with the TwiML's
  `<Parameter>`s, and streams 20 ms μ-law `media` frames. No status callbacks are sent (they
  are per call, not per frame). Calls start at `--ramp-rate` per second, each on a random
  1 ms phase of the 20 ms clock (real calls do not tick in step).
* With two or more CPUs, the service is pinned to CPU 0 and the load (this process and the fake
  Grok) to CPU 1 (`--pin none` to let the kernel choose). The load shares its core between two
  processes: the table shows how busy it was, and its own send lag, so a limit of the load
  generator is not mistaken for one of the bridge.
* On a shared machine other processes take the CPUs too. Before each step the script waits for
  them to go quiet (`--quiet-threshold`, `--quiet-timeout`), and each row shows how long the
  service's and the generator's threads waited for a CPU (`wait%`, `gwait%`, from
  /proc/<pid>/schedstat), the others' CPU and the hypervisor's steal. A step where the service
  waited, the load fell behind or much was stolen is CONTENDED and is run again (`--retries`).
  `--nice -15` and, as root, `--rt` (SCHED_RR for the service, the fake and the load) keep
  other work from delaying them: under EEVDF a nice value does not stop another task from
  finishing its slice before ours runs, so only `--rt` removes those waits.

Why not `TwilioPeer`: it hands received audio to its phone on its playback clock (one frame per
20 ms tick), so the moment an echo arrives is not observable, and it keeps every message it
receives. Here a lean client does the same Twilio protocol on a raw asyncio protocol (a minimal
RFC 6455 client: masked text frames out, frames parsed in place, no task per call) and one
scheduler task sends every call's frames on an absolute schedule: frame k of a call is due at
`first_due + k * 20 ms`; the time it actually left is recorded too. Each `mark` the service
sends is echoed at once (Twilio echoes it once the audio before it has played; the service's
work per mark is the same).

What is measured
----------------
Each frame carries a marker: with `pcmu` the bridge passes bytes through, so the first 8 bytes of
the 160 are a magic and the frame number and each echoed frame is identified exactly. With
`pcm24k` audio is resampled 8 -> 24 kHz on the way to Grok and 24 -> 8 kHz on the way back, so
bytes do not survive: frames are matched by counting, since the echo is sample-exact in length
(frame k is back once `160 * (k + 1)` bytes of echo have arrived, after the greeting's bytes;
the resamplers' buffering thus counts as latency, as it should).

* latency (per frame): arrival of its echo minus the moment it was sent, in ms. It is the whole
  loop: this client -> service -> fake Grok (echo) -> service -> this client, so it is an
  UPPER BOUND of what the bridge adds; `--baseline` also runs the same N streams directly
  against the fake Grok (no service), whose round trip is the fake's and the client's share.
* late: a frame whose echo arrives more than 20 ms after its ideal time, where ideal means the
  arrival of the call's first measured echo plus 20 ms per frame since (the playout schedule of
  a jitter buffer started by the first echo), with frames on their ideal send schedule; a frame
  never echoed counts as late (and as lost). Only frames due in the measurement window count:
  the window opens `--warmup` s after the last call heard its first audio, and lasts
  `--duration` s; frames go on `--grace` s after it, while its last echoes are awaited.
* first audio: time from sending `start` to the first `media` the service sends (the greeting,
  or an echo if that comes first), per call, measured while earlier calls are streaming.
* CPU s per call-minute: the service process's user+system CPU over the window, divided by
  N x window minutes (the steady state of streaming calls; set-up is not in it).
* The largest N with no late frame (the sweep stops after two failing steps in a row;
  `--refine` steps bisect between the last pass and the first failure).
"""

from __future__ import annotations

import abc
import argparse
import array
import asyncio
import base64
import contextlib
import hashlib
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import numpy as np

from shared.models import CallUpdate, JobCreate, ProviderCreate
from shared.settings import Settings
from shared.storage import make_store
from voice_backend.audio import pcm16_to_mulaw
from voice_backend.sim.twiml import parse_twiml
from voice_backend.twilio.signatures import TwilioSignatures

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the fake Grok lives in tests/, which is not installed
    sys.path.insert(0, str(ROOT))

try:
    from websockets.speedups import apply_mask as _apply_mask
except ImportError:  # pure-Python fallback

    def _apply_mask(data: bytes, mask: bytes) -> bytes:
        n = len(data)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
        return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


FRAME_S = 0.020
FRAME_BYTES = 160
SLOTS = 20  # 1 ms phases of the 20 ms clock
LATE_S = 0.020
MAGIC = b"HgBn"
CALLER_ID = "+15005550006"
BENCH_OWNER = "bridge-bench"  # claims the rows, so the service's restart sweep skips them
SERVICE_INSTANCE = "bench-voice"
CLK_TCK = os.sysconf("SC_CLK_TCK")
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFAULT_SWEEP = "10,25,50,100,150,200,300"


def _tone_mulaw() -> bytes:
    """One 20 ms frame of a 400 Hz tone (8 whole cycles, so frames join seamlessly)."""
    t = np.arange(FRAME_BYTES) / 8000
    pcm = (np.sin(2 * math.pi * 400 * t) * 6000).astype("<i2").tobytes()
    return pcm16_to_mulaw(pcm)


TONE = _tone_mulaw()
TONE_B64 = base64.b64encode(TONE).decode("ascii")
MARKED_B64_LEN = len(base64.b64encode(bytes(FRAME_BYTES)))  # 216


def _b64_len(text: str) -> int:
    """Decoded length of padded base64 text, without decoding it."""
    pad = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    return len(text) * 3 // 4 - pad


# --- Processes -----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_queue_wait(pid: int) -> float:
    """Seconds a process's main thread (the event loop) has been runnable but not running."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[1]) / 1e9


def _own_cpu() -> float:
    """CPU seconds of this process and its spinners."""
    return time.process_time() + sum(cpu_seconds(spinner.pid) for spinner in SPINNERS)


def machine_cpu() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (all CPUs), and stolen by the hypervisor."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


async def wait_for_quiet(threshold_pct: float, within: float) -> float:
    """Wait (up to `within` s) until the rest of the machine uses under `threshold_pct` of
    one core over a second; the last second's figure."""
    deadline = time.monotonic() + within
    while True:
        own0, (busy0, _) = _own_cpu(), machine_cpu()
        await asyncio.sleep(1.0)
        own1, (busy1, _) = _own_cpu(), machine_cpu()
        others = 100 * (busy1 - busy0 - (own1 - own0))
        if others < threshold_pct or time.monotonic() > deadline:
            return others


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pin(pid: int, cpus: set[int] | None) -> None:
    """Pin every thread of a process (threads started before keep their own affinity)."""
    if not cpus:
        return
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task), cpus)


def _realtime(pid: int) -> bool:
    """Put every thread of a process under SCHED_RR (priority 1); False if not allowed."""
    done = False
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(int(task), os.SCHED_RR, os.sched_param(1))
            done = True
    return done


#: Keeps one CPU out of its idle halt, yielding at once to any other task (SCHED_IDLE).
_SPINNER = "import os\nos.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\nwhile 1: pass"


def start_spinners(cpus: set[int]) -> list[subprocess.Popen[bytes]]:
    """One SCHED_IDLE busy loop per CPU: a halted virtual CPU takes long to wake (here a
    cross-CPU wake-up costs ~100 us at p50 and ms at p99 when the target CPU idles), and
    every frame crosses CPUs four times. Like idle=poll on a host: it only uses idle time."""
    spinners = []
    for cpu in sorted(cpus):
        spinner = subprocess.Popen([sys.executable, "-c", _SPINNER])
        _pin(spinner.pid, {cpu})
        spinners.append(spinner)
    return spinners


SPINNERS: list[subprocess.Popen[bytes]] = []
#: The CPUs this script may use, read before it pins itself to the load's CPU.
CPUS = sorted(os.sched_getaffinity(0))


def _autogroup() -> str:
    try:
        with open("/proc/self/autogroup") as group:
            return group.read().strip().lstrip("/")
    except OSError:
        return "no autogroup"


def _run_loop(main: Coroutine[Any, Any, Any]) -> Any:
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

    _run_loop(serve())


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


class ServiceProcess:
    """The voice service under test: `python -m uvicorn voice_backend.app:app`."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        grok: GrokProcess,
        twilio: Twilio,
        audio_format: str,
        log_level: str,
        uvicorn_ws: str,
        trace_gc: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "service.log"
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
            # Never called: calls end with Twilio's `stop`, so the service does not hang up.
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
            "PUBLIC_BASE_URL": self.url,
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
        uvicorn = ["voice_backend.app:app", "--host", "127.0.0.1", "--port", str(self.port)]
        uvicorn += ["--ws", uvicorn_ws, "--log-level", log_level]
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


# --- A minimal WebSocket client ---------------------------------------------------------------


class WsClient(asyncio.Protocol):
    """RFC 6455 client on a raw transport: text frames out (masked), frames parsed in place."""

    def __init__(self, url: str, headers: dict[str, str], on_text: Callable[[bytes], None]):
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._target = parts.path + (f"?{parts.query}" if parts.query else "")
        self._headers = headers
        self._on_text = on_text
        self._key = base64.b64encode(os.urandom(16)).decode()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._open = False
        self._fragments: bytearray | None = None
        self._mask_bytes = random.Random().randbytes

    async def connect(self, within: float = 10.0) -> None:
        """Open the TCP connection and complete the opening handshake."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(within):
            await loop.create_connection(lambda: self, self.host, self.port)
            await self.opened

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [
            f"GET {self._target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in self._headers.items()),
        ]
        self._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._open:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
            del buffer[: end + 4]
            accept = base64.b64encode(hashlib.sha1(self._key.encode() + WS_GUID).digest())
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head)
            }
            if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != (
                accept.decode()
            ):
                self.opened.set_exception(ConnectionError(f"handshake refused: {head[0]}"))
                assert self._transport is not None
                self._transport.close()
                return
            self._open = True
            self.opened.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buffer = self._buffer
        size = len(buffer)
        pos = 0
        while size - pos >= 2:
            first, length = buffer[pos], buffer[pos + 1] & 0x7F
            header = 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = (buffer[pos + 2] << 8) | buffer[pos + 3], 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            end = pos + header + length
            if end > size:
                break
            payload = bytes(buffer[pos + header : end])
            pos = end
            opcode, fin = first & 0x0F, first & 0x80
            if opcode == 1 and fin:
                self._on_text(payload)
            elif opcode in (0, 1, 2):
                self._fragments = (self._fragments or bytearray()) + payload
                if fin:
                    message, self._fragments = bytes(self._fragments), None
                    self._on_text(message)
            elif opcode == 9:  # ping
                self._write(payload, 0xA)
            elif opcode == 8:  # close: answer it and let the server close the connection
                self._write(payload[:2], 0x8)
        if pos:
            del buffer[:pos]

    def _write(self, payload: bytes, opcode: int) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        size = len(payload)
        if size < 126:
            header = bytes((0x80 | opcode, 0x80 | size))
        elif size < 65536:
            header = bytes((0x80 | opcode, 0xFE)) + size.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0xFF)) + size.to_bytes(8, "big")
        mask = self._mask_bytes(4)
        transport.write(header + mask + _apply_mask(payload, mask))

    def send_text(self, text: str) -> None:
        """Send one text message (ASCII)."""
        self._write(text.encode("ascii"), 0x1)

    async def close(self, within: float = 2.0) -> None:
        """Send a close frame, wait for the server to close, then drop the connection."""
        self._write((1000).to_bytes(2, "big"), 0x8)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.closed
        if self._transport is not None:
            self._transport.close()


# --- The streams -------------------------------------------------------------------------------


class Stream(abc.ABC):
    """One call's audio: the frames sent (ideal and actual times) and when their echoes came."""

    def __init__(self, index: int, slot: int, exact: bool, greeting_bytes: int) -> None:
        self.index = index
        self.slot = slot
        self.exact = exact  # frames carry their number (pcmu): match echoes exactly
        self.greeting_bytes = greeting_bytes
        self.ws: WsClient | None = None
        self.active = False
        self.next_frame = 0
        self.ideal = array.array("d")
        self.sent = array.array("d")
        self.echoed = array.array("d")
        self.echo_bytes = 0  # pcm24k: audio bytes received so far
        self.frames_back = 0
        self.start_at: float | None = None
        self.first_audio_at: float | None = None
        self.other_bytes = 0
        self.marks = 0
        self.error: str | None = None

    def payload_b64(self, frame: int) -> str:
        """Frame `frame`'s 160 bytes of audio, base64: marked with its number if exact."""
        if self.exact:
            return base64.b64encode(MAGIC + frame.to_bytes(4, "big") + TONE[8:]).decode("ascii")
        return TONE_B64

    @abc.abstractmethod
    def send_frame(self, due: float) -> None:
        """Send the next frame now; `due` is when it should have left."""

    def _echo_marked(self, now: float, payload: str) -> None:
        """An audio message back: note which frames it completes."""
        if self.exact:
            if len(payload) == MARKED_B64_LEN:
                head = base64.b64decode(payload[:12])
                if head[:4] == MAGIC:
                    self._arrived(int.from_bytes(head[4:8], "big"), now)
                    return
            self.other_bytes += _b64_len(payload)
            return
        self.echo_bytes += _b64_len(payload)
        done = (self.echo_bytes - self.greeting_bytes) // FRAME_BYTES
        while self.frames_back < done:
            self._arrived(self.frames_back, now)
            self.frames_back += 1

    def _arrived(self, frame: int, now: float) -> None:
        echoed = self.echoed
        if frame >= len(echoed):
            echoed.extend(bytes(8 * (frame + 1 - len(echoed))))
        if echoed[frame] == 0.0:
            echoed[frame] = now


class TwilioStream(Stream):
    """Twilio's side of one Media Stream."""

    def __init__(self, *args: Any, provider_id: int, call_sid: str) -> None:
        super().__init__(*args)
        self.provider_id = provider_id
        self.call_sid = call_sid
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.sequence = 0

    def _send(self, body: str) -> None:
        """A message after `connected`: event, sequenceNumber, body, streamSid (Twilio's order)."""
        self.sequence += 1
        assert self.ws is not None
        self.ws.send_text(body.replace("#SEQ#", str(self.sequence), 1))

    async def open(
        self, http: httpx.AsyncClient, service_url: str, twilio: Twilio, signer: TwilioSignatures
    ) -> None:
        """Answer the call as Twilio does: signed TwiML fetch, the stream, `connected`, `start`."""
        url = f"{service_url}/twiml?provider_id={self.provider_id}"
        params = {
            "AccountSid": twilio.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": f"+1555{self.index:07d}",
            "Caller": CALLER_ID,
            "Direction": "outbound-api",
            "From": CALLER_ID,
            "To": f"+1555{self.index:07d}",
        }
        headers = {"X-Twilio-Signature": signer.sign(url, params)}
        response = await http.post(url, data=params, headers=headers)
        response.raise_for_status()
        stream = parse_twiml(response.text)
        if stream is None:
            raise RuntimeError(f"TwiML without a stream: {response.text}")
        ws_headers = {
            "User-Agent": "Twilio.TmeWs/1.0",
            "X-Twilio-Signature": signer.sign(stream.url, {}),
        }
        self.ws = WsClient(stream.url, ws_headers, self.on_text)
        await self.ws.connect()
        self.ws.send_text(
            json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        )
        start = {
            "streamSid": self.stream_sid,
            "accountSid": twilio.account_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": stream.parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        body = json.dumps(start)
        self._send(
            f'{{"event":"start","sequenceNumber":"#SEQ#","start":{body},'
            f'"streamSid":"{self.stream_sid}"}}'
        )
        self.start_at = time.perf_counter()
        self.active = True

    def send_frame(self, due: float) -> None:
        frame = self.next_frame
        self.next_frame = frame + 1
        self.sequence += 1
        now = time.perf_counter()
        assert self.ws is not None
        self.ws.send_text(
            f'{{"event":"media","sequenceNumber":"{self.sequence}","media":{{"track":"inbound",'
            f'"chunk":"{frame + 1}","timestamp":"{frame * 20}",'
            f'"payload":"{self.payload_b64(frame)}"}},"streamSid":"{self.stream_sid}"}}'
        )
        self.ideal.append(due)
        self.sent.append(now)

    def on_text(self, raw: bytes) -> None:
        """A message from the service: time audio, echo marks."""
        now = time.perf_counter()
        message = json.loads(raw)
        event = message.get("event")
        if event == "media":
            if self.first_audio_at is None:
                self.first_audio_at = now
            self._echo_marked(now, message["media"]["payload"])
        elif event == "mark":
            self.marks += 1
            name = json.dumps(message["mark"]["name"])
            self._send(
                f'{{"event":"mark","sequenceNumber":"#SEQ#","mark":{{"name":{name}}},'
                f'"streamSid":"{self.stream_sid}"}}'
            )

    async def hang_up(self) -> None:
        """End the call as Twilio does when the callee hangs up: `stop`, then close."""
        if self.ws is None:
            return
        self.active = False
        with contextlib.suppress(Exception):
            self._send(
                '{"event":"stop","sequenceNumber":"#SEQ#","stop":{"accountSid":"","callSid":'
                f'"{self.call_sid}"}},"streamSid":"{self.stream_sid}"}}'
            )
            await self.ws.close()


class GrokStream(Stream):
    """A client straight to the fake Grok (the baseline: the fake's share of the round trip)."""

    def __init__(self, *args: Any, pcm24k: bool) -> None:
        super().__init__(*args)
        self.exact = True
        self._pad = b"\x00" * (960 - 8) if pcm24k else TONE[8:]

    async def open(self, url: str, api_key: str) -> None:
        """Connect straight to the fake Grok."""
        self.ws = WsClient(url, {"Authorization": f"Bearer {api_key}"}, self.on_text)
        await self.ws.connect()
        self.start_at = time.perf_counter()
        self.active = True

    def send_frame(self, due: float) -> None:
        frame = self.next_frame
        self.next_frame = frame + 1
        now = time.perf_counter()
        audio = base64.b64encode(MAGIC + frame.to_bytes(4, "big") + self._pad).decode("ascii")
        assert self.ws is not None
        self.ws.send_text(f'{{"type":"input_audio_buffer.append","audio":"{audio}"}}')
        self.ideal.append(due)
        self.sent.append(now)

    def on_text(self, raw: bytes) -> None:
        """A server event from the fake: time the echoed audio."""
        now = time.perf_counter()
        message = json.loads(raw)
        if message.get("type") == "response.output_audio.delta":
            if self.first_audio_at is None:
                self.first_audio_at = now
            head = base64.b64decode(message["delta"][:12])
            if head[:4] == MAGIC:
                self._arrived(int.from_bytes(head[4:8], "big"), now)

    async def hang_up(self) -> None:
        """Close the connection."""
        self.active = False
        if self.ws is not None:
            await self.ws.close()


class Clock:
    """Sends every active stream's frames on an absolute 20 ms schedule, 1 ms phase slots."""

    def __init__(self, streams: list[Stream]) -> None:
        self.slots: list[list[Stream]] = [[] for _ in range(SLOTS)]
        for stream in streams:
            self.slots[stream.slot].append(stream)
        self.origin = time.perf_counter()
        self.stop_at = math.inf
        self.ticks_behind = 0

    async def run(self) -> None:
        """Tick every millisecond until `stop_at`, sending the frames due in that slot."""
        tick = 0
        while True:
            due = self.origin + tick * (FRAME_S / SLOTS)
            if due >= self.stop_at:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.ticks_behind += delay < -0.002
                await asyncio.sleep(0)  # behind: still let the receivers run between slots
            for stream in self.slots[tick % SLOTS]:
                if stream.active:
                    try:
                        stream.send_frame(due)
                    except Exception as error:  # a closed socket: that call is over
                        stream.active = False
                        stream.error = stream.error or repr(error)
            tick += 1


# --- One step of the sweep ---------------------------------------------------------------------


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


async def run_step(n: int, args: argparse.Namespace, *, baseline: bool = False) -> StepResult:
    """Run N calls for the window; return what was measured."""
    result = StepResult(n, args.audio_format, "baseline" if baseline else "bridge")
    rng = random.Random(args.seed + n)
    pcm24k = args.audio_format == "pcm24k"
    greeting_bytes = args.greeting_ms * 8
    split = args.pin == "split" and len(CPUS) >= 2
    service_cpus, load_cpus = ({CPUS[0]}, set(CPUS[1:])) if split else (None, None)
    _pin(os.getpid(), load_cpus)
    if args.rt:
        _realtime(os.getpid())
    twilio = Twilio()
    with tempfile.TemporaryDirectory(prefix="bridge-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir}/haggle.db"
        calls = [] if baseline else await seed_calls(database_url, n)
        grok = GrokProcess(args.greeting_ms)
        service: ServiceProcess | None = None
        streams: list[Stream] = []
        clock_task: asyncio.Task[None] | None = None
        try:
            _pin(grok.pid, load_cpus)
            if args.rt:
                _realtime(grok.pid)
            if baseline:
                streams = [
                    GrokStream(i, rng.randrange(SLOTS), True, 0, pcm24k=pcm24k) for i in range(n)
                ]
            else:
                service = ServiceProcess(
                    workdir,
                    database_url,
                    grok,
                    twilio,
                    args.audio_format,
                    args.log_level,
                    args.uvicorn_ws,
                    args.trace_gc,
                )
                _pin(service.pid, service_cpus)
                if args.rt and not _realtime(service.pid):
                    print(f"{'':>5} (could not make the service real-time: needs root)")
                streams = [
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
            clock = Clock(streams)
            clock_task = asyncio.create_task(clock.run())
            limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
            async with httpx.AsyncClient(timeout=30, limits=limits) as http:
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
                result.start_errors = await _open_all(streams, opener, args.ramp_rate)
            result.calls_up = sum(1 for s in streams if s.active)
            if not baseline:
                await _wait_first_audio(streams, within=30)
            await asyncio.sleep(args.warmup)

            pids = {"fake": grok.pid} | ({"service": service.pid} if service else {})
            cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            own0 = time.process_time()
            spin0 = {s.pid: cpu_seconds(s.pid) for s in SPINNERS}
            machine0 = machine_cpu()
            wait0 = run_queue_wait(service.pid) if service else 0.0
            gen_wait0 = run_queue_wait(os.getpid())
            w0 = time.perf_counter()
            result.window_start_epoch = time.time()
            w1 = w0 + args.duration
            # Audio goes on through the grace period: a resampler holding the window's last
            # frames needs what follows to push them out (only frames due by w1 count).
            clock.stop_at = w1 + args.grace
            await asyncio.sleep(w1 - time.perf_counter())
            elapsed = time.perf_counter() - w0
            cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            own1 = time.process_time()
            spin1 = {s.pid: cpu_seconds(s.pid) for s in SPINNERS}
            machine1 = machine_cpu()
            wait1 = run_queue_wait(service.pid) if service else 0.0
            gen_wait1 = run_queue_wait(os.getpid())
            result.window_s = elapsed
            await clock_task
            result.clock_ticks_behind = clock.ticks_behind
            summarise(result, streams, w0, w1)
            result.fake_cpu_pct = 100 * (cpu1["fake"] - cpu0["fake"]) / elapsed
            result.loadgen_cpu_pct = 100 * (own1 - own0) / elapsed
            ours = sum(cpu1[name] - cpu0[name] for name in cpu0) + own1 - own0
            ours += sum(spin1[pid] - spin0[pid] for pid in spin0)
            result.others_cpu_pct = 100 * (machine1[0] - machine0[0] - ours) / elapsed
            result.steal_pct = 100 * (machine1[1] - machine0[1]) / elapsed
            result.service_wait_pct = 100 * (wait1 - wait0) / elapsed
            result.loadgen_wait_pct = 100 * (gen_wait1 - gen_wait0) / elapsed
            if service is not None:
                used = cpu1["service"] - cpu0["service"]
                result.service_cpu_s = used
                result.service_cpu_pct = 100 * used / elapsed
                result.cpu_s_per_call_min = used / (n * elapsed / 60)
                result.service_cpu_us_per_frame = 1e6 * used / max(result.frames, 1)
                result.service_rss_mb = rss_mb(service.pid)
            await asyncio.gather(*(s.hang_up() for s in streams), return_exceptions=True)
        finally:
            if clock_task is not None:
                clock_task.cancel()
            if service is not None:
                service.stop()
                result.service_problems = service.problems()
                if args.trace_gc:
                    _read_gc_trace(result, service.log_path, args.duration)
                if args.keep_logs:
                    args.keep_logs.mkdir(parents=True, exist_ok=True)
                    name = f"service-{args.audio_format}-{n}.log"
                    (args.keep_logs / name).write_bytes(service.log_path.read_bytes())
            grok.stop()
    return result


def _read_gc_trace(result: StepResult, log: Path, duration: float) -> None:
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("GC-PAUSE "):
            _, at, gen, ms = line.split()
            offset = float(at) - result.window_start_epoch
            if 0 <= offset <= duration:
                result.gc_pauses.append((round(offset, 3), int(gen), float(ms)))
        elif line.startswith("GC-SUMMARY "):
            result.gc_summary.append(line.removeprefix("GC-SUMMARY "))


# --- Output --------------------------------------------------------------------------------------


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
        + f"; nice {os.getpriority(os.PRIO_PROCESS, 0)} ({_autogroup()})"
        + ("; all three under SCHED_RR" if args.rt else "")
        + ("; idle CPUs kept awake" if args.keep_awake else "")
    )
    print(
        f"service: uvicorn {uvicorn.__version__} (--ws {args.uvicorn_ws}, websockets "
        f"{websockets.__version__}), {loop}, LOG_LEVEL={args.log_level}; "
        f"Python {sys.version.split()[0]}"
    )
    print(
        "latency = send -> echo back (client -> service -> fake Grok -> service -> client): an "
        "upper bound of the bridge's share; late = echo > 20 ms behind the playout schedule "
        "started by the call's first measured echo (lost frames count as late)"
    )
    print()


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


# --- Main ----------------------------------------------------------------------------------------


async def sweep(args: argparse.Namespace) -> list[StepResult]:
    """Run every N (and the refinement), printing rows as they come."""
    results: list[StepResult] = []
    final: dict[int, StepResult] = {}  # the last run of each N
    failures_in_a_row = 0

    async def step(n: int) -> StepResult:
        for attempt in range(1 + args.retries):
            if args.quiet_timeout > 0:
                others = await wait_for_quiet(args.quiet_threshold, args.quiet_timeout)
                if others >= args.quiet_threshold:
                    print(f"{'':>5} (other processes use {others:.0f}% of a core: running anyway)")
            result = await run_step(n, args)
            results.append(result)
            final[n] = result
            print_row(result)
            if result.late and not result.lost:
                busy = [f"{i}s:{c}" for i, c in enumerate(result.late_per_second) if c]
                print(f"{'':>5} late frames by second of the window: {' '.join(busy[:12])}")
            if args.trace_gc:
                pauses = [f"{at:.1f}s:gen{gen}:{ms:.0f}ms" for at, gen, ms in result.gc_pauses]
                print(f"{'':>5} service GC pauses > 2 ms in the window: {' '.join(pauses[:12])}")
                print(f"{'':>5} service GC over its life: {'; '.join(result.gc_summary)}")
            for line in result.service_problems[:3]:
                print(f"{'':>5} service log: {line[:160]}")
            for error in result.start_errors[:3]:
                print(f"{'':>5} start error: {error[:160]}")
            if result.passed or not result.contended:
                break
            if attempt < args.retries:
                print(f"{'':>5} (contended: N={n} again)")
        if args.baseline:
            base = await run_step(n, args, baseline=True)
            results.append(base)
            print_baseline(base)
        return final[n]

    for n in args.n:
        result = await step(n)
        failures_in_a_row = 0 if result.passed else failures_in_a_row + 1
        if failures_in_a_row >= 2 and not args.keep_going:
            print(f"{'':>5} (two failing steps in a row: larger N skipped)")
            break
    for _ in range(args.refine):
        passed = [n for n, r in final.items() if r.passed]
        failed = [n for n, r in final.items() if not r.passed and n > max(passed, default=0)]
        if not passed or not failed:
            break
        low, high = max(passed), min(failed)
        if high - low <= max(2, low // 20):
            break
        await step((low + high) // 2)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    parser.add_argument("--uvicorn-ws", default="auto", help="uvicorn's --ws (default auto)")
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
    args = parser.parse_args(argv)
    if args.nice:
        # Inherited by the service and the fake Grok, which start later. With autogroup
        # scheduling a nice value only counts within its session: set the session's too.
        try:
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except PermissionError:
            print(f"(cannot set nice {args.nice}: needs root; running at the usual priority)")
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as group:
            group.write(str(args.nice))

    # A plain `kill` must still stop the service, the fake and the spinners (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.keep_awake:
        SPINNERS.extend(start_spinners(set(CPUS)))
    print_header(args)
    print(COLUMNS)
    try:
        results = _run_loop(sweep(args))
    finally:
        for spinner in SPINNERS:
            spinner.kill()
            spinner.wait()
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
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
