"""Prometheus metrics of both services (served at `/metrics`)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

CALLS = Counter("haggle_calls_total", "Calls that reached a final state, by outcome.", ["outcome"])
CALLS_IN_FLIGHT = Gauge("haggle_calls_in_flight", "Calls placed and not yet over (this process).")
DIAL_ERRORS = Counter(
    "haggle_dial_errors_total", "Calls that could not be placed, by cause.", ["cause"]
)
AGENT_ERRORS = Counter(
    "haggle_agent_errors_total",
    "Agent (Grok Realtime or local) sessions that failed, by kind.",
    ["agent", "kind"],
)
GROK_ERRORS = Counter(
    "haggle_grok_errors_total",
    "Errors Grok Realtime sent, by what they concern (benign, optional: survived; fatal).",
    ["kind"],
)
TWILIO_BAD_FRAMES = Counter(
    "haggle_twilio_bad_frames_total",
    "Malformed Media Stream frames from Twilio, skipped without ending the call.",
)
FIRST_AUDIO = Histogram(
    "haggle_first_agent_audio_seconds",
    "Time from the call's media stream starting (answer) to the agent's first audio.",
    buckets=(0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
)
FRAME_LATENCY = Histogram(
    "haggle_bridge_frame_seconds",
    "Time the bridge takes to pass one audio chunk on, by direction (the first, then one in 50).",
    ["direction"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05),
)
PRICE_EXTRACTIONS = Counter(
    "haggle_price_extractions_total",
    "Price extractions, by the path that produced the result (grok or offline).",
    ["path"],
)
PRICE_EXTRACTION_FAILURES = Counter(
    "haggle_price_extraction_failures_total",
    "Price extractions that failed: Grok falling back offline, or no result at all.",
    ["path"],
)
JOBS_CREATED = Counter("haggle_jobs_created_total", "Jobs created through the job API.")
CALL_STARTS = Counter(
    "haggle_call_starts_total",
    "start-calls requests, by what the voice service answered.",
    ["result"],
)


async def metrics_endpoint(_request: Request) -> Response:
    """`GET /metrics`, unguarded (see `guarded_metrics`)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


_FORWARDED = ("forwarded", "x-forwarded-for", "x-real-ip", "via")


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        direct = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    # Through a proxy on this machine every client looks local: then a token is needed.
    return direct and not any(name in request.headers for name in _FORWARDED)


def guarded_metrics(token: str | None) -> Callable[[Request], Awaitable[Response]]:
    """`GET /metrics` for loopback clients, or anyone sending `Authorization: Bearer <token>`
    when `METRICS_TOKEN` is set; others get `401`."""

    async def endpoint(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if (
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(given.encode(), token.encode())
        ):
            return await metrics_endpoint(request)
        if _loopback(request):
            return await metrics_endpoint(request)
        return PlainTextResponse(
            "metrics need a loopback client or the metrics token",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    return endpoint
