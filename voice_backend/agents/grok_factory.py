"""Building the Grok Realtime agent from the settings: one `GrokAgent` per provider call."""

from __future__ import annotations

from collections.abc import Callable

from shared.models import Provider
from shared.settings import Settings
from voice_backend.agents.base import Agent, AgentFactory
from voice_backend.agents.grok import GrokAgent


def grok_agent_factory(
    settings: Settings, instructions_for: Callable[[Provider], str]
) -> AgentFactory:
    """An `AgentFactory` building one `GrokAgent` per provider call from `settings`.

    Raises `ValueError` when `XAI_API_KEY` is not set.
    """
    api_key = Settings.secret(settings.xai_api_key)
    if not api_key:
        raise ValueError("XAI_API_KEY is not set: the Grok agent needs it")

    def build(provider: Provider) -> Agent:
        return GrokAgent(
            url=settings.grok_realtime_url,
            api_key=api_key,
            voice=settings.grok_voice,
            instructions=instructions_for(provider),
            audio_format=settings.audio_format,
            label=f"provider {provider.id}",
        )

    return build
