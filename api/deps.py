"""What routes receive through `Depends`: adapters built once in the app's lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.analytics_cache import AnalyticsCache
from api.intake import Intake, ProviderSearch
from api.live_hub import LiveHub
from api.locks import KeyedLocks
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


def get_intake(request: Request) -> Intake:
    """The intake (Grok or offline) built at start-up."""
    intake: Intake = request.app.state.intake
    return intake


def get_provider_search(request: Request) -> ProviderSearch | None:
    """The provider search, or `None` when providers are added by hand."""
    search: ProviderSearch | None = request.app.state.provider_search
    return search


def get_job_locks(request: Request) -> KeyedLocks:
    """Per-job locks of this process."""
    locks: KeyedLocks = request.app.state.job_locks
    return locks


def get_live_hub(request: Request) -> LiveHub:
    """The live picture of watched jobs, fed by the store's change feed."""
    hub: LiveHub = request.app.state.live_hub
    return hub


def get_analytics_cache(request: Request) -> AnalyticsCache:
    """The analytics, cached until the next change."""
    cache: AnalyticsCache = request.app.state.analytics_cache
    return cache


StoreDep = Annotated[Store, Depends(get_store)]
VoiceDep = Annotated[VoiceServiceClient, Depends(get_voice)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
IntakeDep = Annotated[Intake, Depends(get_intake)]
SearchDep = Annotated[ProviderSearch | None, Depends(get_provider_search)]
JobLocksDep = Annotated[KeyedLocks, Depends(get_job_locks)]
LiveHubDep = Annotated[LiveHub, Depends(get_live_hub)]
AnalyticsDep = Annotated[AnalyticsCache, Depends(get_analytics_cache)]
