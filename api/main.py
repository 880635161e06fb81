"""The public job API (port 8000): `uvicorn api.main:app --port 8000`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api.analytics_cache import AnalyticsCache
from api.auth.guard import authenticate
from api.auth.hosts import AllowedHosts
from api.auth.limits import RateLimiter, StreamSlots
from api.intake import make_intake, make_provider_search
from api.live_hub import LiveHub
from api.locks import KeyedLocks
from api.routes import account, attempts, dashboard, export, insights, intake, jobs, live
from api.startup import exit_if_exposed
from api.voice_client import VoiceServiceClient
from shared.http_errors import install_error_handlers, strict_json_body
from shared.integrations import integration_problems
from shared.logs import configure_logging
from shared.metrics import guarded_metrics
from shared.settings import Settings, settings_or_exit
from shared.storage import StoreError, make_store, store_setting
from shared.storage.changes import make_change_feed

#: Logins tried per user name and client address a minute.
LOGIN_ATTEMPTS_PER_MINUTE = 10


def create_app(settings: Settings) -> FastAPI:
    """Build the job API for these settings (tests build their own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = make_store(settings)
        await store.open()
        voice = VoiceServiceClient(
            settings.call_backend_url, Settings.secret(settings.voice_backend_token)
        )
        app.state.store, app.state.voice = store, voice
        app.state.intake = make_intake(settings)
        app.state.provider_search = make_provider_search(settings)
        app.state.job_locks = KeyedLocks()
        app.state.rate_limiter = RateLimiter(settings.requests_per_minute)
        app.state.login_limiter = RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE)
        app.state.stream_slots = StreamSlots(settings.max_streams_per_account)
        hub = LiveHub(store, make_change_feed(store))
        cache = AnalyticsCache(store, settings.daily_spend_cap)
        hub.subscribe(cache.invalidate)
        await hub.start()
        app.state.live_hub, app.state.analytics_cache = hub, cache
        try:
            yield
        finally:
            await hub.stop()
            await voice.aclose()
            await store.close()

    app = FastAPI(
        title="Haggle job API",
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,  # oversized bodies get 413 before parsing
        # The API's description is served to signed-in callers only (below).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(strict_json_body)],  # NaN, Infinity, lone surrogates: 422
    )
    # JSON 422 and 503 (storage), never a plain-text 500; one line if the store cannot open
    install_error_handlers(app, store_setting(settings))
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    # Outermost: a forged Host (DNS rebinding) is refused before anything else runs.
    app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    app.include_router(jobs.public)
    app.include_router(account.pages)
    app.include_router(account.router)
    app.include_router(jobs.router)
    app.include_router(attempts.router)
    app.include_router(export.router)
    app.include_router(intake.router)
    app.include_router(live.router)
    app.include_router(insights.router)
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the store answers and no integration is half configured.

        The voice service's state is reported, not required: the API serves jobs and results
        without it.
        """
        problems = integration_problems(settings)
        try:
            await request.app.state.store.ping()
        except StoreError as error:
            problems.append(f"store unreachable: {error}")
        voice = "reachable" if await request.app.state.voice.alive() else "unreachable"
        body = {
            "status": "ready" if not problems else "not_ready",
            "voice_service": voice,
            "problems": problems,
        }
        return JSONResponse(body, status_code=200 if not problems else 503)

    app.add_route(
        "/metrics",
        guarded_metrics(Settings.secret(settings.metrics_token)),
        include_in_schema=False,
    )

    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(authenticate)])
    async def openapi() -> JSONResponse:
        """The API's OpenAPI description (signed-in callers only)."""
        return JSONResponse(app.openapi())

    @app.get("/api/docs", include_in_schema=False, dependencies=[Depends(authenticate)])
    async def docs() -> HTMLResponse:
        """Swagger UI over the description (signed-in callers only)."""
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="Haggle job API")

    return app


_settings = settings_or_exit()
exit_if_exposed(_settings)
configure_logging(_settings)
app = create_app(_settings)
