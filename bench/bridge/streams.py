"""The calls' senders (Twilio's side of a Media Stream, or a client straight to the fake Grok)
and the clock that sends every call's frames on its absolute schedule."""

from __future__ import annotations

import abc
import array
import asyncio
import base64
import contextlib
import json
import math
import secrets
import time
from typing import Any

import httpx

from bench.bridge.config import (
    CALLER_ID,
    FRAME_BYTES,
    FRAME_S,
    MAGIC,
    MARKED_B64_LEN,
    SLOTS,
    TONE,
    TONE_B64,
    b64_len,
)
from bench.bridge.processes import Twilio
from bench.bridge.wsclient import WsClient
from voice_backend.sim.twiml import parse_twiml
from voice_backend.twilio import media as wire
from voice_backend.twilio.signatures import TwilioSignatures


class Stream(abc.ABC):
    """One call's audio: the frames sent (ideal and actual times) and when their echoes came."""

    def __init__(self, index: int, slot: int, exact: bool, greeting_bytes: int) -> None:
        self.index = index
        self.slot = slot
        self.exact = exact  # frames carry their number (pcmu): match echoes exactly
        self.greeting_bytes = greeting_bytes
        self.ws: WsClient | None = None
        self.active = False
        self.next_frame = 0
        self.ideal = array.array("d")
        self.sent = array.array("d")
        self.echoed = array.array("d")
        self.echo_bytes = 0  # pcm24k: audio bytes received so far
        self.frames_back = 0
        self.start_at: float | None = None
        self.first_audio_at: float | None = None
        self.other_bytes = 0
        self.marks = 0
        self.error: str | None = None

    def payload_b64(self, frame: int) -> str:
        """Frame `frame`'s 160 bytes of audio, base64: marked with its number if exact."""
        if self.exact:
            return base64.b64encode(MAGIC + frame.to_bytes(4, "big") + TONE[8:]).decode("ascii")
        return TONE_B64

    @abc.abstractmethod
    def send_frame(self, due: float) -> None:
        """Send the next frame now; `due` is when it should have left."""

    @abc.abstractmethod
    async def hang_up(self) -> None:
        """End the call."""

    def _echo_marked(self, now: float, payload: str) -> None:
        """An audio message back: note which frames it completes."""
        if self.exact:
            if len(payload) == MARKED_B64_LEN:
                head = base64.b64decode(payload[:12])
                if head[:4] == MAGIC:
                    self._arrived(int.from_bytes(head[4:8], "big"), now)
                    return
            self.other_bytes += b64_len(payload)
            return
        self.echo_bytes += b64_len(payload)
        done = (self.echo_bytes - self.greeting_bytes) // FRAME_BYTES
        while self.frames_back < done:
            self._arrived(self.frames_back, now)
            self.frames_back += 1

    def _arrived(self, frame: int, now: float) -> None:
        echoed = self.echoed
        if frame >= len(echoed):
            echoed.extend(bytes(8 * (frame + 1 - len(echoed))))
        if echoed[frame] == 0.0:
            echoed[frame] = now


class TwilioStream(Stream):
    """Twilio's side of one Media Stream."""

    def __init__(self, *args: Any, provider_id: int, call_sid: str) -> None:
        super().__init__(*args)
        self.provider_id = provider_id
        self.call_sid = call_sid
        self.stream_sid = "MZ" + secrets.token_hex(16)
        self.sequence = 0

    def _next_sequence(self) -> int:
        """The sequence number of the next message after `connected`."""
        self.sequence += 1
        return self.sequence

    async def open(
        self, http: httpx.AsyncClient, service_url: str, twilio: Twilio, signer: TwilioSignatures
    ) -> None:
        """Answer the call as Twilio does: signed TwiML fetch, the stream, `connected`, `start`."""
        url = f"{service_url}/twiml?provider_id={self.provider_id}"
        params = {
            "AccountSid": twilio.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Called": f"+1555{self.index:07d}",
            "Caller": CALLER_ID,
            "Direction": "outbound-api",
            "From": CALLER_ID,
            "To": f"+1555{self.index:07d}",
        }
        headers = {"X-Twilio-Signature": signer.sign(url, params)}
        response = await http.post(url, data=params, headers=headers)
        response.raise_for_status()
        stream = parse_twiml(response.text)
        if stream is None:
            raise RuntimeError(f"TwiML without a stream: {response.text}")
        ws_headers = {
            "User-Agent": "Twilio.TmeWs/1.0",
            "X-Twilio-Signature": signer.sign(stream.url, {}),
        }
        self.ws = WsClient(stream.url, ws_headers, self.on_text)
        await self.ws.connect()
        self.ws.send_text(wire.connected_message())
        self.ws.send_text(
            wire.start_message(
                self._next_sequence(),
                self.stream_sid,
                account_sid=twilio.account_sid,
                call_sid=self.call_sid,
                custom_parameters=stream.parameters,
            )
        )
        self.start_at = time.perf_counter()
        self.active = True

    def send_frame(self, due: float) -> None:
        frame = self.next_frame
        self.next_frame = frame + 1
        self.sequence += 1
        now = time.perf_counter()
        assert self.ws is not None
        self.ws.send_text(
            wire.inbound_media_message(
                self.sequence, self.stream_sid, frame + 1, self.payload_b64(frame)
            )
        )
        self.ideal.append(due)
        self.sent.append(now)

    def on_text(self, raw: bytes) -> None:
        """A message from the service: time audio, echo marks."""
        now = time.perf_counter()
        event, argument = wire.peek_command(raw)
        if event == "media":
            if self.first_audio_at is None:
                self.first_audio_at = now
            self._echo_marked(now, argument)
        elif event == "mark":
            self.marks += 1
            assert self.ws is not None
            self.ws.send_text(
                wire.mark_echo_message(self._next_sequence(), self.stream_sid, argument)
            )

    async def hang_up(self) -> None:
        """End the call as Twilio does when the callee hangs up: `stop`, then close."""
        if self.ws is None:
            return
        self.active = False
        with contextlib.suppress(Exception):
            self.ws.send_text(
                wire.stop_message(
                    self._next_sequence(), self.stream_sid, account_sid="", call_sid=self.call_sid
                )
            )
            await self.ws.close()


class GrokStream(Stream):
    """A client straight to the fake Grok (the baseline: the fake's share of the round trip)."""

    def __init__(self, *args: Any, pcm24k: bool) -> None:
        super().__init__(*args)
        self.exact = True
        self._pad = b"\x00" * (960 - 8) if pcm24k else TONE[8:]

    async def open(self, url: str, api_key: str) -> None:
        """Connect straight to the fake Grok."""
        self.ws = WsClient(url, {"Authorization": f"Bearer {api_key}"}, self.on_text)
        await self.ws.connect()
        self.start_at = time.perf_counter()
        self.active = True

    def send_frame(self, due: float) -> None:
        frame = self.next_frame
        self.next_frame = frame + 1
        now = time.perf_counter()
        audio = base64.b64encode(MAGIC + frame.to_bytes(4, "big") + self._pad).decode("ascii")
        assert self.ws is not None
        self.ws.send_text(f'{{"type":"input_audio_buffer.append","audio":"{audio}"}}')
        self.ideal.append(due)
        self.sent.append(now)

    def on_text(self, raw: bytes) -> None:
        """A server event from the fake: time the echoed audio."""
        now = time.perf_counter()
        message = json.loads(raw)
        if message.get("type") == "response.output_audio.delta":
            if self.first_audio_at is None:
                self.first_audio_at = now
            head = base64.b64decode(message["delta"][:12])
            if head[:4] == MAGIC:
                self._arrived(int.from_bytes(head[4:8], "big"), now)

    async def hang_up(self) -> None:
        """Close the connection."""
        self.active = False
        if self.ws is not None:
            await self.ws.close()


class Clock:
    """Sends every active stream's frames on an absolute 20 ms schedule, 1 ms phase slots."""

    def __init__(self, streams: list[Stream]) -> None:
        self.slots: list[list[Stream]] = [[] for _ in range(SLOTS)]
        for stream in streams:
            self.slots[stream.slot].append(stream)
        self.origin = time.perf_counter()
        self.stop_at = math.inf
        self.ticks_behind = 0

    async def run(self) -> None:
        """Tick every millisecond until `stop_at`, sending the frames due in that slot."""
        tick = 0
        while True:
            due = self.origin + tick * (FRAME_S / SLOTS)
            if due >= self.stop_at:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                self.ticks_behind += delay < -0.002
                await asyncio.sleep(0)  # behind: still let the receivers run between slots
            for stream in self.slots[tick % SLOTS]:
                if stream.active:
                    try:
                        stream.send_frame(due)
                    except Exception as error:  # a closed socket: that call is over
                        stream.active = False
                        stream.error = stream.error or repr(error)
            tick += 1
