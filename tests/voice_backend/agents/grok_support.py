"""What the GrokAgent tests share: an agent pointed at the fake Grok Realtime server."""

from __future__ import annotations

from typing import Any

from shared.settings import AudioFormat
from tests.fakes.grok_realtime import FakeGrok
from voice_backend.agents.grok import GrokAgent


def make_agent(fake: FakeGrok, **overrides: Any) -> GrokAgent:
    """A GrokAgent for `fake`, μ-law, with short time-outs; `overrides` replace any option."""
    options: dict[str, Any] = {
        "url": fake.url,
        "api_key": fake.api_key,
        "voice": "Rex",
        "instructions": "You negotiate plumbing prices.",
        "audio_format": AudioFormat.PCMU,
        "connect_timeout": 2.0,
        "session_timeout": 2.0,
    } | overrides
    return GrokAgent(**options)
