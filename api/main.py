"""The public job API (port 8000): `uvicorn api.main:app --port 8000`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.routes import jobs
from api.voice_client import VoiceServiceClient
from shared.logs import configure_logging
from shared.settings import Settings, settings_or_exit
from shared.storage import make_store


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
    )
    app.state.settings = settings
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    app.include_router(jobs.router)
    return app


_settings = settings_or_exit()
configure_logging(_settings)
logging.getLogger(__name__).debug("job API configured")
app = create_app(_settings)
