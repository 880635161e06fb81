"""What routes receive through `Depends`: adapters built once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.voice_client import VoiceServiceClient
from shared.settings import Settings
from shared.storage import Store


def get_store(request: Request) -> Store:
    """The store opened at start-up."""
    store: Store = request.app.state.store
    return store


def get_voice(request: Request) -> VoiceServiceClient:
    """The voice service client built at start-up."""
    voice: VoiceServiceClient = request.app.state.voice
    return voice


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
VoiceDep = Annotated[VoiceServiceClient, Depends(get_voice)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
