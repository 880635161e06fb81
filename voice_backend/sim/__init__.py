"""Simulated telephony: Twilio's side of a call and the provider's phone, on real sockets.

`TwilioPeer` speaks Twilio's webhooks and Media Streams protocol to the voice service exactly
as Twilio does, so the service cannot tell a simulated call from a real one. Tests drive it
through the fake Twilio REST API; the offline mode (`TELEPHONY=sim`) will drive it directly.
"""

from voice_backend.sim.media_stream import EndReason, StreamLog
from voice_backend.sim.phone import PhoneSide, ScriptedPhone, Silence, Until, tone, voice_like
from voice_backend.sim.twilio_peer import (
    Callback,
    CallScenario,
    PeerCall,
    PeerResult,
    Tunnel,
    TwilioPeer,
    new_call_sid,
)

__all__ = [
    "CallScenario",
    "Callback",
    "EndReason",
    "PeerCall",
    "PeerResult",
    "PhoneSide",
    "ScriptedPhone",
    "Silence",
    "StreamLog",
    "Tunnel",
    "TwilioPeer",
    "Until",
    "new_call_sid",
    "tone",
    "voice_like",
]
