"""The voice service (port 6000): `uvicorn voice_backend.app:app --port 6000`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from pricing import make_extractor
from shared.http_errors import install_error_handlers, strict_json_body
from shared.integrations import integration_problems, voice_refusal
from shared.logs import configure_logging
from shared.metrics import guarded_metrics
from shared.settings import AgentKind, Settings, Telephony, settings_or_exit
from shared.storage import StoreError, make_store, store_setting
from voice_backend.agents.base import AgentFactory
from voice_backend.call.outcome import EndReason
from voice_backend.call.registry import ActiveCalls
from voice_backend.call.results import ResultWriter
from voice_backend.call.services import CallServices
from voice_backend.dispatcher import Dispatcher
from voice_backend.followups import AfterCall
from voice_backend.routes import directory, jobs, twilio
from voice_backend.security import CallTokens
from voice_backend.spending import SpendGuard
from voice_backend.telephony.base import Telephony as TelephonyPort
from voice_backend.twilio.signatures import TwilioSignatures
from voice_backend.webhook import JobWebhook

logger = logging.getLogger(__name__)


class NotConfigured(RuntimeError):
    """The settings do not allow this part of the service to run."""


def _token_secret(settings: Settings) -> bytes:
    explicit = Settings.secret(settings.call_token_secret)
    if explicit:
        return explicit.encode()
    auth_token = Settings.secret(settings.twilio_auth_token)
    if auth_token:
        # Instances sharing a Twilio account share this key, so any of them can admit a stream.
        return hashlib.sha256(b"haggle call tokens\0" + auth_token.encode()).digest()
    return secrets.token_bytes(32)


def _signing_token(settings: Settings) -> str:
    """The key Twilio (or our simulated Twilio) signs webhooks with."""
    return Settings.secret(settings.twilio_auth_token) or secrets.token_hex(16)


def _telephony(settings: Settings, signing_token: str) -> TelephonyPort:
    if settings.telephony is Telephony.TWILIO:
        from voice_backend.twilio.rest import TwilioTelephony

        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", Settings.secret(settings.twilio_auth_token)),
                ("TWILIO_PHONE_NUMBER", settings.twilio_phone_number),
            )
            if not value
        ]
        if missing:
            raise NotConfigured(f"TELEPHONY=twilio needs {', '.join(missing)}")
        if not settings.public_base_url:
            raise NotConfigured(
                "TELEPHONY=twilio needs PUBLIC_BASE_URL (or DOMAIN): Twilio must reach us"
            )
        return TwilioTelephony(
            settings.twilio_account_sid or "",
            Settings.secret(settings.twilio_auth_token) or "",
            settings.twilio_phone_number or "",
            settings.twilio_api_base_url,
        )
    return _sim_telephony(settings, signing_token)


#: Where the voice service is reached in sim mode when PUBLIC_BASE_URL is not set.
SIM_PUBLIC_BASE_URL = "http://127.0.0.1:6000"


def _with_offline_defaults(settings: Settings) -> Settings:
    """Sim mode needs no public address: the simulated Twilio runs on this machine."""
    if settings.telephony is Telephony.SIM and not settings.public_base_url:
        return settings.model_copy(update={"public_base_url": SIM_PUBLIC_BASE_URL})
    return settings


def _sim_telephony(settings: Settings, signing_token: str) -> TelephonyPort:
    from voice_backend.sim.persona import PersonaError, load_personas
    from voice_backend.sim.telephony import SimTelephony

    try:
        personas = load_personas(settings.sim_personas_dir)
    except PersonaError as error:
        raise NotConfigured(f"TELEPHONY=sim cannot load its personas: {error}") from None
    if not personas:
        raise NotConfigured("TELEPHONY=sim found no persona files (*.toml)")
    return SimTelephony(
        public_base_url=settings.public_base_url or SIM_PUBLIC_BASE_URL,
        auth_token=signing_token,
        personas=personas,
        speed=settings.sim_speed,
    )


def _freeze_start_up_heap() -> None:
    """Take what start-up built (modules, the app, settings, the store's engine: most of the
    heap, and it lives as long as the service) out of the collector's reach (`gc.freeze`): a
    full collection, which the first calls' objects soon trigger, then walks only what came
    after. Without it, one paused the event loop for up to 130 ms while 30 calls opened at
    once (every call's audio waits meanwhile). The garbage of start-up is collected first."""
    gc.collect()
    gc.freeze()


def _warm_speech(settings: Settings) -> asyncio.Future[None] | None:
    """With speech on this machine (the local agent, or simulated providers), start loading
    the voice and the recogniser now, in the background: the first calls would otherwise wait
    on them (seconds)."""
    if settings.agent is not AgentKind.LOCAL and settings.telephony is not Telephony.SIM:
        return None
    from voice_backend.speech import get_recognizer, speech_executor
    from voice_backend.speech.tts import get_synthesizer

    def warm() -> None:
        get_synthesizer().warm_up()
        get_recognizer().warm_up()

    loop = asyncio.get_running_loop()
    return loop.run_in_executor(speech_executor(), warm)


def _job_webhook(settings: Settings) -> JobWebhook | None:
    secret = Settings.secret(settings.job_webhook_secret)
    if not settings.job_webhook_url or not secret:
        return None
    return JobWebhook(settings.job_webhook_url, secret, attempts=settings.job_webhook_attempts)


def _agents(settings: Settings) -> AgentFactory:
    if settings.agent is AgentKind.GROK:
        from voice_backend.agents.grok_factory import grok_agent_factory
        from voice_backend.prompt import build_instructions

        if not settings.xai_api_key:
            raise NotConfigured("AGENT=grok needs XAI_API_KEY")
        return grok_agent_factory(settings, build_instructions)
    from voice_backend.agents.local import local_agent_factory

    return local_agent_factory()


def create_app(settings: Settings) -> FastAPI:
    """Build the voice service for these settings (tests build their own). Settings that would
    let it dial openly, or fall back to simulated calls or the offline agent without being
    asked to, raise `NotConfigured`: the service never runs open."""
    refusal = voice_refusal(settings)
    if refusal:
        raise NotConfigured(refusal)
    # Sim mode with no public address: the simulated Twilio learns the port actually served.
    learn_address = settings.telephony is Telephony.SIM and not settings.public_base_url
    settings = _with_offline_defaults(settings)
    signing_token = _signing_token(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = make_store(settings)
        await store.open()
        app.state.store = store
        try:
            telephony, agents = _telephony(settings, signing_token), _agents(settings)
        except NotConfigured as error:
            # The service still starts (health, and a clear 503 on every call route).
            logger.error("cannot place calls: %s", error)
            app.state.not_ready = str(error)
            try:
                yield
            finally:
                await store.close()
            return
        results = ResultWriter(store, Path(settings.data_dir) / "pending-results")
        registry = ActiveCalls()
        wake = asyncio.Event()  # due follow-ups wake the dispatcher
        after_call = AfterCall(store, settings, _job_webhook(settings), wake.set)
        dispatcher = Dispatcher(
            store,
            telephony,
            settings,
            registry,
            settings.instance_id,
            wake=wake,
            on_call_ended=after_call.call_ended,
            refusal=SpendGuard(store, settings.daily_spend_cap).refusal,
        )
        services = CallServices(
            settings=settings,
            store=store,
            telephony=telephony,
            tokens=CallTokens(_token_secret(settings), settings.call_token_ttl_seconds),
            agent_factory=agents,
            extractor=make_extractor(settings),
            results=results,
            registry=registry,
            on_call_finished=dispatcher.call_finished,
        )
        app.state.services, app.state.dispatcher = services, dispatcher
        if learn_address:
            app.state.sim = telephony
        app.state.signatures = TwilioSignatures(
            signing_token, settings.public_base_url or "http://localhost:6000"
        )
        await results.flush()
        results.start()
        await dispatcher.start()
        after_call.start()
        warming = _warm_speech(settings)
        _freeze_start_up_heap()
        try:
            yield
        finally:
            gc.unfreeze()
            if warming is not None:
                warming.cancel()
            await dispatcher.stop()
            await after_call.stop()
            for bridge in registry.all():
                bridge.end(EndReason.SHUTDOWN)
            await _drain(registry)
            await results.stop()
            await telephony.close()
            await store.close()

    app = FastAPI(
        title="Haggle voice service",
        version="0.1.0",
        lifespan=lifespan,
        # Twilio and the job API need no schema: nothing about the service is shown to strangers.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(strict_json_body)],  # NaN, Infinity, lone surrogates: 422
    )
    # JSON 422 and 503 (storage), never a plain-text 500; one line if the store cannot open
    install_error_handlers(app, store_setting(settings))
    app.state.settings = settings
    app.state.not_ready = None
    app.state.sim = None
    if learn_address:
        app.middleware("http")(_tell_sim_its_address)
    app.include_router(jobs.router)
    app.include_router(twilio.router)
    app.include_router(directory.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: the store answers and the settings allow placing calls."""
        problems = integration_problems(settings)
        if request.app.state.not_ready:
            problems.append(request.app.state.not_ready)
        store = getattr(request.app.state, "store", None)
        if store is None:
            problems.append("the store is not open")
        else:
            try:
                await store.ping()
            except StoreError as error:
                problems.append(f"store unreachable: {error}")
        body = {
            "status": "ready" if not problems else "not_ready",
            "telephony": settings.telephony,
            "agent": settings.agent,
            "problems": problems,
        }
        return JSONResponse(body, status_code=200 if not problems else 503)

    app.add_route(
        "/metrics",
        guarded_metrics(Settings.secret(settings.metrics_token)),
        include_in_schema=False,
    )

    return app


async def _tell_sim_its_address(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Sim mode without PUBLIC_BASE_URL: the simulated Twilio posts its webhooks to the
    address this request reached (the port the service really listens on)."""
    sim = request.app.state.sim
    server = request.scope.get("server")
    if sim is not None and server and server[1]:
        host = f"[{server[0]}]" if ":" in str(server[0]) else server[0]
        sim.listening_at(f"http://{host}:{server[1]}")
    return await call_next(request)


async def _drain(registry: ActiveCalls, seconds: float = 10.0) -> None:
    """Give ending bridges a moment to write their results."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await registry.wait_idle()


def _create_or_exit(settings: Settings) -> FastAPI:
    try:
        return create_app(settings)
    except NotConfigured as error:
        print(f"haggle: {error}", file=sys.stderr)
        raise SystemExit(2) from None


_settings = settings_or_exit()
configure_logging(_settings)
app = _create_or_exit(_settings)
