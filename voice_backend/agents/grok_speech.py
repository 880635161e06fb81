"""The agent's speech as it comes from Grok: its audio per item, converted for the phone line,
and what barge-in truncation needs.

`GrokSpeech` counts the audio the model sent for each item (in the wire's bytes, read as the
model's milliseconds when a truncation is clamped to it), drops the audio of an item the caller
interrupted that was still in flight, and, under `pcm24k`, converts each delta with the
stateful resampler and hands back its last few ms when a response is over. With `pcmu` the
base64 text passes as Grok sent it.
"""

from __future__ import annotations

from collections.abc import Callable

from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import AgentAudio
from voice_backend.audio import AudioConverter
from voice_backend.wire_audio import decoded_length


class GrokSpeech:
    """The audio of one Grok session's responses, on its way to the caller."""

    def __init__(
        self, from_grok: AudioConverter, passthrough: bool, wire_ms: Callable[[int], float]
    ) -> None:
        self._from_grok = from_grok
        self._passthrough = passthrough  # μ-law both ways: no conversion
        self._wire_ms = wire_ms  # milliseconds of audio in so many bytes of the wire format
        self._item_bytes: dict[str, int] = {}  # audio Grok sent per item (wire bytes)
        self._truncated: set[str] = set()
        self._last_audio: tuple[str | None, str | None] | None = None

    def audio(self, event: wire.AudioDelta) -> AgentAudio | None:
        """The caller-side audio of one delta; None when there is nothing to play (a truncated
        item's, or the resampler still filling)."""
        item = event.item_id
        if self._passthrough:  # μ-law already: Twilio gets the base64 text as Grok sent it
            if not self.passed(event.b64, item, event.response_id):
                return None
            return AgentAudio(None, item, event.response_id, b64=event.b64)
        if not self._counted(item, event.response_id, event.nbytes):
            return None
        mulaw = self._from_grok.convert(event.audio)
        return AgentAudio(mulaw, item, event.response_id) if mulaw else None

    def passed(self, b64: str, item: str | None, response: str | None) -> int:
        """(`pcmu` only) A delta's base64 μ-law, counted: the bytes to play as it is, 0 when
        there is nothing to play (a truncated item's, or an empty delta)."""
        nbytes = decoded_length(b64)
        return nbytes if self._counted(item, response, nbytes) else 0

    def _counted(self, item: str | None, response: str | None, nbytes: int) -> bool:
        """`nbytes` of `item`'s audio counted as sent; False (not counted) for an item the
        caller interrupted: in flight then, playing it would be stale."""
        if item is not None:
            if item in self._truncated:
                return False
            self._item_bytes[item] = self._item_bytes.get(item, 0) + nbytes
        self._last_audio = (item, response)
        return True

    def truncate(self, item_id: str, audio_end_ms: int) -> int | None:
        """The caller heard only `audio_end_ms` of `item_id`: its later audio is dropped, and
        the end to tell Grok is returned, clamped to what Grok sent for the item (None when it
        sent none, and there is nothing to truncate)."""
        sent_bytes = self._item_bytes.get(item_id)
        if sent_bytes is None:
            return None
        sent_ms = self._wire_ms(sent_bytes)
        self._truncated.add(item_id)
        # The bridge cleared Twilio's buffer: what the filter still holds must not play later.
        self._from_grok.reset()
        self._last_audio = None
        return max(0, min(int(audio_end_ms), int(sent_ms)))

    def response_over(self) -> AgentAudio | None:
        """A response is done: under `pcm24k`, the filter's last few ms end the turn."""
        tail = self._from_grok.flush()
        last, self._last_audio = self._last_audio, None
        if tail and last is not None:
            return AgentAudio(tail, *last)
        return None
