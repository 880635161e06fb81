"""A round-robin TCP load balancer on loopback, as in front of several voice services.

Protocol-blind (HTTP and WebSocket upgrades pass alike); a backend that refuses the connection
(a dead instance) is skipped, as a load balancer's health checks would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@asynccontextmanager
async def balancer(backends: list[tuple[str, int]]) -> AsyncIterator[str]:
    """Listen on a free loopback port; yield its `http://` base URL."""
    turn = itertools.cycle(range(len(backends)))
    tasks: set[asyncio.Task[None]] = set()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        for _ in range(len(backends)):
            host, port = backends[next(turn)]
            try:
                server_r, server_w = await asyncio.open_connection(host, port)
            except OSError:
                continue
            both = asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))
            await both
            return
        client_w.close()

    def spawn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(handle(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(spawn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await server.wait_closed()
