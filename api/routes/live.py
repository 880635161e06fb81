"""Live updates of one job as server-sent events, for the dashboard's call board.

Both services write the same store. The process's `LiveHub` follows the store's change feed
(Postgres `LISTEN/NOTIFY`; a cheap change detector on SQLite and Supabase), re-reads a job
once per change whatever the number of its open streams, and wakes them; each stream sends
only what changed since it last sent. An idle stream costs nothing but a keep-alive comment
every `KEEP_ALIVE_SECONDS`.

Events:

* `job`: the job (`JobOut`), first and whenever it changes;
* `provider`: one provider row with its transcript (`ProviderStatusOut`), each when first seen
  and whenever it changes;
* `ready`: the first full picture has been sent (after every connect);
* `gone`: the job no longer exists; the stream ends;
* `reconnect`: the stream is about to end by itself (see below); the page stays live.

A stream ends by itself after `lifetime` seconds (less a random fifth, so the streams of one
page load do not all renew together) and the browser's `EventSource` reconnects after the
`retry` the stream set last (`RENEW_MS` for this planned end), getting the whole picture
again: a stream never holds a server's shutdown for longer than that.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import StreamingResponse

from api.auth.guard import PrincipalDep, authenticate
from api.auth.limits import StreamSlots, TooMany
from api.deps import LiveHubDep, StoreDep
from api.live_hub import LiveHub
from api.routes.jobs import job_or_404

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])

LIFETIME_SECONDS = 25.0
#: Streams of one page load would otherwise all reconnect in the same instant.
LIFETIME_JITTER = 0.2
KEEP_ALIVE_SECONDS = 10.0
RECONNECT_MS = 1000
#: Sent just before a stream ends by itself: the browser comes back at once, so a change
#: landing in that moment is late by milliseconds, not by `RECONNECT_MS` (the next stream
#: sets `RECONNECT_MS` again, for when the server is really away).
RENEW_MS = 50


def _event(kind: str, data: str, event_id: int) -> str:
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


async def job_events(
    hub: LiveHub,
    job_id: str,
    *,
    lifetime: float = LIFETIME_SECONDS,
    keep_alive: float = KEEP_ALIVE_SECONDS,
) -> AsyncIterator[str]:
    """The event stream of one job, as text chunks."""
    loop = asyncio.get_running_loop()
    lifetime *= 1 + random.uniform(-LIFETIME_JITTER, 0)
    deadline = loop.time() + lifetime
    sent_job: str | None = None
    sent: dict[int, str] = {}
    count = 0
    version = 0
    ready = False
    yield f"retry: {RECONNECT_MS}\n\n"
    async with hub.watch(job_id) as channel:
        while True:
            wait = min(keep_alive, deadline - loop.time())
            picture = await channel.next_picture(version, max(wait, 0.0))
            if picture is not None:
                version = picture.version
                if picture.job is None:
                    count += 1
                    yield _event("gone", json.dumps({"job_id": job_id}), count)
                    return
                chunks: list[str] = []
                if picture.job != sent_job:
                    count += 1
                    chunks.append(_event("job", picture.job, count))
                    sent_job = picture.job
                for provider_id, row in picture.providers.items():
                    if sent.get(provider_id) != row:
                        count += 1
                        chunks.append(_event("provider", row, count))
                        sent[provider_id] = row
                if not ready:
                    ready = True
                    count += 1
                    chunks.append(_event("ready", "{}", count))
                if chunks:
                    yield "".join(chunks)
            elif loop.time() < deadline:
                yield ": keep-alive\n\n"  # proxies close silent connections
            if loop.time() >= deadline:
                count += 1
                yield f"retry: {RENEW_MS}\n\n" + _event("reconnect", "{}", count)
                return


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse)
async def stream_job(
    job_id: str, request: Request, store: StoreDep, hub: LiveHubDep, principal: PrincipalDep
) -> StreamingResponse:
    """Server-sent events for one job's board (`404` for an unknown job, or another
    account's; `429` when the account has `MAX_STREAMS_PER_ACCOUNT` open already)."""
    await job_or_404(store, job_id, principal)
    options = getattr(request.app.state, "event_options", {})
    slots: StreamSlots = request.app.state.stream_slots
    held = slots.hold(principal.stream_account)
    try:
        held.__enter__()
    except TooMany as error:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(error)) from None

    async def events() -> AsyncIterator[str]:
        try:
            async for chunk in job_events(hub, job_id, **options):
                yield chunk
        finally:
            held.__exit__(None, None, None)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
