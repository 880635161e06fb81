"""What the voice service's routes receive through `Depends`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from shared.settings import Settings
from shared.storage import Store
from voice_backend.call.services import CallServices
from voice_backend.dispatcher import Dispatcher
from voice_backend.security import bearer_ok
from voice_backend.twilio.signatures import TwilioSignatures


def _ready(request: Request) -> None:
    problem = request.app.state.not_ready
    if problem:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"cannot place calls: {problem}")


def require_bearer(authorization: str | None, settings: Settings) -> None:
    """Refuse (401) a request without the voice service's bearer token, when one is set."""
    if not bearer_ok(authorization, Settings.secret(settings.voice_backend_token)):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def get_services(request: Request) -> CallServices:
    """The call services built in the lifespan."""
    _ready(request)
    services: CallServices = request.app.state.services
    return services


def get_dispatcher(request: Request) -> Dispatcher:
    """The dispatcher that queues and places calls."""
    _ready(request)
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


def get_signatures(request: Request) -> TwilioSignatures:
    """Twilio's request signature checker."""
    _ready(request)
    signatures: TwilioSignatures = request.app.state.signatures
    return signatures


def get_store(request: Request) -> Store:
    """The store."""
    _ready(request)
    store: Store = request.app.state.services.store
    return store


def get_app_settings(request: Request) -> Settings:
    """The service's settings."""
    settings: Settings = request.app.state.settings
    return settings


ServicesDep = Annotated[CallServices, Depends(get_services)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
SignaturesDep = Annotated[TwilioSignatures, Depends(get_signatures)]
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
