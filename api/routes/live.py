"""Live updates of one job as server-sent events, for the dashboard's call board.

Both services write the same store, so the stream watches the store itself: it reads the job
and its providers every `poll` seconds and sends only what changed. That works across
processes and with every backend (SQLite, Postgres, Supabase) at the cost of one small query
pair per open stream per tick.

Events:

* `job`: the job (`JobOut`), first and whenever it changes;
* `provider`: one provider row with its transcript (`ProviderStatusOut`), each when first seen
  and whenever it changes;
* `ready`: the first full picture has been sent (after every connect);
* `gone`: the job no longer exists; the stream ends;
* `reconnect`: the stream is about to end by itself (see below); the page stays live.

A stream ends by itself after `lifetime` seconds and the browser's `EventSource` reconnects
(`retry` below), getting the whole picture again: a stream never holds a server's shutdown
for longer than that.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import StreamingResponse

from api.auth.guard import PrincipalDep, authenticate
from api.auth.limits import StreamSlots, TooMany
from api.deps import StoreDep
from api.routes.jobs import job_or_404
from api.schemas import JobOut, ProviderStatusOut
from shared.storage import Store, StoreError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])

POLL_SECONDS = 0.5
LIFETIME_SECONDS = 25.0
KEEP_ALIVE_SECONDS = 10.0
RECONNECT_MS = 1000


def _event(kind: str, data: str, event_id: int) -> str:
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


async def job_events(
    store: Store,
    job_id: str,
    *,
    poll: float = POLL_SECONDS,
    lifetime: float = LIFETIME_SECONDS,
) -> AsyncIterator[str]:
    """The event stream of one job, as text chunks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    quiet_since = loop.time()
    sent_job: str | None = None
    sent: dict[int, str] = {}
    count = 0
    ready = False
    yield f"retry: {RECONNECT_MS}\n\n"
    while True:
        chunks: list[str] = []
        try:
            job = await store.get_job(job_id)
            providers = await store.list_providers(job_id) if job else []
        except StoreError as error:  # a busy store: try again next tick
            logger.warning("event stream could not read the store: %s", error)
            job, providers = None, None
        if job is None and providers is not None:
            count += 1
            yield _event("gone", json.dumps({"job_id": job_id}), count)
            return
        if job is not None and providers is not None:
            job_json = JobOut.of(job).model_dump_json()
            if job_json != sent_job:
                count += 1
                chunks.append(_event("job", job_json, count))
                sent_job = job_json
            for provider in providers:
                row = ProviderStatusOut.of(provider).model_dump_json()
                if sent.get(provider.id) != row:
                    count += 1
                    chunks.append(_event("provider", row, count))
                    sent[provider.id] = row
            if not ready:
                ready = True
                count += 1
                chunks.append(_event("ready", "{}", count))
        now = loop.time()
        if chunks:
            yield "".join(chunks)
            quiet_since = now
        elif now - quiet_since >= KEEP_ALIVE_SECONDS:
            yield ": keep-alive\n\n"  # proxies close silent connections
            quiet_since = now
        if now >= deadline:
            count += 1
            yield _event("reconnect", "{}", count)
            return
        await asyncio.sleep(poll)


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse)
async def stream_job(
    job_id: str, request: Request, store: StoreDep, principal: PrincipalDep
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
            async for chunk in job_events(store, job_id, **options):
                yield chunk
        finally:
            held.__exit__(None, None, None)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
