"""The public job API (port 8000): `uvicorn api.main:app --port 8000`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from api.intake import make_intake, make_provider_search
from api.locks import KeyedLocks
from api.routes import dashboard, insights, intake, jobs, live
from api.voice_client import VoiceServiceClient
from shared.http_errors import install_error_handlers, strict_json_body
from shared.logs import configure_logging
from shared.metrics import metrics_endpoint
from shared.settings import Settings, settings_or_exit
from shared.storage import StoreError, make_store


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
        try:
            yield
        finally:
            await voice.aclose()
            await store.close()

    app = FastAPI(
        title="Haggle job API",
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=settings.max_body_bytes,  # oversized bodies get 413 before parsing
        dependencies=[Depends(strict_json_body)],  # NaN, Infinity, lone surrogates: 422
    )
    install_error_handlers(app)  # JSON 422 and 503 (storage), never a plain-text 500
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    app.include_router(jobs.router)
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
        """Readiness: the store answers.

        The voice service's state is reported, not required: the API serves jobs and results
        without it.
        """
        problems = []
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

    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    return app


_settings = settings_or_exit()
configure_logging(_settings)
app = create_app(_settings)
