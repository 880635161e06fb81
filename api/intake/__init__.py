"""Job intake: the task, clarifying questions and problem statement (`Intake`), and provider
search (`ProviderSearch`), each by Grok when configured and offline otherwise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.intake.base import Clarification, FoundProvider, Intake, ProviderSearch
from api.intake.offline import OfflineIntake
from shared.settings import ProviderSearch as SearchKind
from shared.settings import Settings

if TYPE_CHECKING:  # xai-sdk (and grpc) load only when Grok is configured
    from shared.xai import XaiChat

__all__ = [
    "Clarification",
    "FoundProvider",
    "Intake",
    "ProviderSearch",
    "make_intake",
    "make_provider_search",
]


def _chat(settings: Settings) -> XaiChat:
    from shared.xai import XaiChat

    return XaiChat(
        Settings.secret(settings.xai_api_key) or "",
        model=settings.intake_model,
        api_host=settings.xai_api_host,
        timeout=settings.intake_timeout_seconds,
    )


def make_intake(settings: Settings) -> Intake:
    """Grok's intake when `XAI_API_KEY` is set, else the offline one."""
    if settings.xai_api_key is None:
        return OfflineIntake()
    from api.intake.grok import GrokIntake

    return GrokIntake(_chat(settings))


def make_provider_search(settings: Settings) -> ProviderSearch | None:
    """The provider search `PROVIDER_SEARCH` names, or `None` when providers are added by hand."""
    if settings.provider_search is not SearchKind.GROK or settings.xai_api_key is None:
        return None
    from api.intake.grok_search import GrokProviderSearch

    return GrokProviderSearch(_chat(settings), country=settings.default_region)
