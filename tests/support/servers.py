"""Real uvicorn servers on loopback, in the test's event loop or as child processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Literal

import httpx
import uvicorn
from starlette.types import ASGIApp

from cli.commands.serve import SERVICES, WEBSOCKETS

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


#: The voice service's WebSocket implementation, as production runs it (`haggle serve voice`).
VOICE_WS = WEBSOCKETS["voice"]


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bound_socket() -> tuple[socket.socket, str]:
    """A socket bound to a free loopback port, and the base URL it will serve.

    For apps that must know their own address before they are built (the voice service puts
    it in TwiML and callback URLs).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serve(
    app: ASGIApp,
    *,
    lifespan: Literal["auto", "on", "off"] = "on",
    sock: socket.socket | None = None,
    ws: str = "auto",
) -> AsyncIterator[str]:
    """Run `app` under uvicorn on a loopback port in this event loop; yield its base URL.
    `ws`: uvicorn's WebSocket implementation (`VOICE_WS` for the voice service's own)."""
    if sock is None:
        sock, _ = bound_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan=lifespan, log_level="warning", ws_ping_interval=None, ws=ws
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises the start-up error
                raise RuntimeError("server stopped during start-up")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=15)
        sock.close()


@contextmanager
def uvicorn_process(
    target: str, env: dict[str, str], *, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `uvicorn target` as a child process, as a user would (with the service's WebSocket
    implementation, as `haggle serve` runs it); yield its URL and process."""
    with uvicorn_processes(target, {"only": (env, port or free_port())}) as started:
        yield started["only"]


@contextmanager
def uvicorn_processes(
    target: str, instances: Mapping[str, tuple[dict[str, str], int]]
) -> Iterator[dict[str, tuple[str, subprocess.Popen[bytes]]]]:
    """Run `uvicorn target` once per instance (its environment and port), all starting at
    once; yield each one's URL and process, by name, once every one answers."""
    started: dict[str, tuple[str, subprocess.Popen[bytes]]] = {}
    try:
        for name, (env, port) in instances.items():
            started[name] = (f"http://127.0.0.1:{port}", _spawn(target, env, port))
        # Several start-ups share the machine's cores: a little longer for each.
        deadline = time.monotonic() + 30 + 15 * (len(started) - 1)
        for url, process in started.values():
            _wait_until_answering(target, url, process, deadline)
        yield started
    finally:
        for _, process in started.values():
            if process.poll() is None:
                process.terminate()
        for _, process in started.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _spawn(target: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    ws = next((WEBSOCKETS[name] for name, (app, _) in SERVICES.items() if app == target), "auto")
    child_env = (
        {key: value for key, value in os.environ.items() if not key.startswith("HAGGLE_")}
        | {"HAGGLE_ENV_FILE": ""}
        | env
    )
    return subprocess.Popen(
        [str(VENV_BIN / "uvicorn"), target, "--host", "127.0.0.1", "--port", str(port), "--ws", ws],
        cwd=REPO,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_until_answering(
    target: str, url: str, process: subprocess.Popen[bytes], deadline: float
) -> None:
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"{target} exited with {process.returncode}: {output}")
        try:
            httpx.get(url + "/", timeout=0.5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
