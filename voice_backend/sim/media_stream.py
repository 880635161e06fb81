"""Twilio's side of one bidirectional Media Stream (`<Connect><Stream>`), over a real WebSocket.

Twilio → service: `connected`, `start`, then a `media` frame every 20 ms (160 bytes of μ-law,
`chunk` from 1, `timestamp` in ms since the stream started), `mark` echoes, and `stop`.
Service → Twilio: `media` (any size, played in order), `mark`, `clear`.

The messages themselves are built and read by `voice_backend.twilio.media`.

Played audio runs on the same clock as the frames sent: each tick plays up to 160 bytes of
what the service queued, hands them to the phone, and then echoes every mark whose audio has
all played. `clear` drops the queued audio and echoes every pending mark at once. The clock
runs at real time times `speed`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from voice_backend.audio import MULAW_SILENCE, TWILIO_FRAME_BYTES
from voice_backend.sim.phone import FRAME_SECONDS, PhoneSide
from voice_backend.twilio import media as wire

__all__ = ["EndReason", "MediaStreamSession", "Playback", "StreamLog"]

logger = logging.getLogger(__name__)

_FRAME_MS: Final = round(FRAME_SECONDS * 1000)


class EndReason:
    """Why a stream ended."""

    PHONE_HUNG_UP: Final = "phone-hung-up"
    REST_HANG_UP: Final = "rest-hang-up"
    TIME_LIMIT: Final = "time-limit"
    SOCKET_CLOSED: Final = "socket-closed"


@dataclass
class StreamLog:
    """What happened on one stream, for tests to check."""

    stream_sid: str
    custom_parameters: dict[str, str]
    frames_sent: int = 0
    #: (call time in ms, message) for every message the service sent, parsed; media
    #: payloads are decoded to `bytes`.
    received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: (mark name, call time in ms when it was echoed).
    marks_echoed: list[tuple[str, int]] = field(default_factory=list)
    #: (call time in ms, bytes dropped) for each `clear`.
    clears: list[tuple[int, int]] = field(default_factory=list)
    played_bytes: int = 0
    protocol_errors: list[str] = field(default_factory=list)
    stop_sent: bool = False


class Playback:
    """The service's queued audio and marks, in the order they arrived."""

    def __init__(self) -> None:
        self._items: deque[bytes | str] = deque()  # bytes: audio; str: a mark's name
        self.queued_bytes = 0

    def add_audio(self, audio: bytes) -> None:
        """Queue audio to play after everything already queued."""
        if audio:
            self._items.append(audio)
            self.queued_bytes += len(audio)

    def add_mark(self, name: str) -> None:
        """Queue a mark: it is due once the audio queued before it has played."""
        self._items.append(name)

    def play(self, nbytes: int) -> tuple[bytes, list[str]]:
        """Play up to `nbytes` from the front; return that audio and the marks now due (those
        whose audio has all played, including marks between pieces of this tick's audio)."""
        out = bytearray()
        due: list[str] = []
        while self._items and len(out) < nbytes:
            head = self._items.popleft()
            if isinstance(head, str):
                due.append(head)
                continue
            take = head[: nbytes - len(out)]
            out += take
            if len(take) < len(head):
                self._items.appendleft(head[len(take) :])
        self.queued_bytes -= len(out)
        return bytes(out), due + self.due_marks()

    def due_marks(self) -> list[str]:
        """Marks at the front, whose audio has all played; removed from the queue."""
        names: list[str] = []
        while self._items and isinstance(self._items[0], str):
            names.append(str(self._items.popleft()))
        return names

    def clear(self) -> tuple[int, list[str]]:
        """Drop all queued audio; return the bytes dropped and every pending mark, in order."""
        dropped = self.queued_bytes
        names = [item for item in self._items if isinstance(item, str)]
        self._items.clear()
        self.queued_bytes = 0
        return dropped, names


class MediaStreamSession:
    """Runs one stream until the phone or REST hangs up, the time limit, or the socket closes."""

    def __init__(
        self,
        ws: ClientConnection,
        *,
        account_sid: str,
        call_sid: str,
        log: StreamLog,
        phone: PhoneSide,
        speed: float,
        hang_up: asyncio.Event,
        time_limit_seconds: float,
    ) -> None:
        self._ws = ws
        self._account_sid = account_sid
        self._call_sid = call_sid
        self._log = log
        self._phone = phone
        self._tick = FRAME_SECONDS / speed
        self._hang_up = hang_up
        self._max_frames = int(time_limit_seconds / FRAME_SECONDS)
        self._playback = Playback()
        self._sequence = 0
        self._send_lock = asyncio.Lock()
        # The service's end of the socket vanished (a crashed instance sends no close frame).
        self._socket_lost = False

    @property
    def call_ms(self) -> int:
        """Call time since the stream started, in ms."""
        return self._log.frames_sent * _FRAME_MS

    async def run(self) -> str:
        """Play the stream; return its `EndReason`."""
        await self._send(lambda _sequence: wire.connected_message(), sequenced=False)
        await self._send_start()
        receiver = asyncio.create_task(self._receive(), name=f"twilio-peer-recv-{self._call_sid}")
        try:
            reason = await self._pump(receiver)
        finally:
            receiver.cancel()
            (outcome,) = await asyncio.gather(receiver, return_exceptions=True)
        if isinstance(outcome, Exception):
            raise outcome  # a bug in this peer, not the service's doing: let it show
        if reason != EndReason.SOCKET_CLOSED:
            await self._stop()
        return reason

    # --- Twilio → service -------------------------------------------------------------

    async def _send_start(self) -> None:
        await self._send(
            partial(
                wire.start_message,
                stream_sid=self._log.stream_sid,
                account_sid=self._account_sid,
                call_sid=self._call_sid,
                custom_parameters=self._log.custom_parameters,
            )
        )

    async def _pump(self, receiver: asyncio.Task[None]) -> str:
        """The clock: one frame out and up to one frame played per tick."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            reason = self._ended(receiver)
            if reason:
                return reason
            delay = started + self._log.frames_sent * self._tick - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
                continue  # re-check: the socket or a hang-up may have come meanwhile
            await asyncio.sleep(0)  # catching up: still let the receiver run between frames
            await self._send_frame()
            await self._play_frame()

    def _ended(self, receiver: asyncio.Task[None]) -> str | None:
        if receiver.done() or self._socket_lost:
            return EndReason.SOCKET_CLOSED
        if self._hang_up.is_set():
            return EndReason.REST_HANG_UP
        if self._phone.hung_up:
            return EndReason.PHONE_HUNG_UP
        if self._log.frames_sent >= self._max_frames:
            return EndReason.TIME_LIMIT
        return None

    async def _send_frame(self) -> None:
        frame = _exact_frame(self._phone.next_frame())
        chunk = self._log.frames_sent + 1
        self._log.frames_sent = chunk
        payload = base64.b64encode(frame).decode("ascii")
        await self._send(
            lambda sequence: wire.inbound_media_message(
                sequence, self._log.stream_sid, chunk, payload
            )
        )

    async def _play_frame(self) -> None:
        played, due = self._playback.play(TWILIO_FRAME_BYTES)
        if played:
            self._log.played_bytes += len(played)
            self._phone.heard(played)
        await self._echo(due)

    async def _echo(self, names: list[str]) -> None:
        for name in names:
            self._log.marks_echoed.append((name, self.call_ms))
            await self._send(
                partial(wire.mark_echo_message, stream_sid=self._log.stream_sid, name=name)
            )

    async def _stop(self) -> None:
        try:
            await self._send(
                partial(
                    wire.stop_message,
                    stream_sid=self._log.stream_sid,
                    account_sid=self._account_sid,
                    call_sid=self._call_sid,
                )
            )
            self._log.stop_sent = True
            await self._ws.close()
        except ConnectionClosed:
            pass

    async def _send(self, build: Callable[[int], str], *, sequenced: bool = True) -> None:
        """Send one message built for its sequence number; every one after `connected` carries
        the next one."""
        async with self._send_lock:
            if sequenced:
                self._sequence += 1
            try:
                await self._ws.send(build(self._sequence))
            except ConnectionClosed:
                self._socket_lost = True

    # --- service → Twilio -------------------------------------------------------------

    async def _receive(self) -> None:
        """Read the service's messages until the socket closes."""
        try:
            async for raw in self._ws:
                await self._handle(raw)
        except ConnectionClosed:
            pass

    async def _handle(self, raw: str | bytes) -> None:
        try:
            command = wire.parse_command(raw)
        except wire.MalformedMessage as error:
            self._error(str(error))
            return
        if command.stream_sid != self._log.stream_sid:
            event = command.raw.get("event")
            self._error(f"{event} with streamSid {command.stream_sid!r}")
        if isinstance(command, wire.PlayAudio):
            self._on_media(command)
        elif isinstance(command, wire.PlaceMark):
            await self._on_mark(command)
        elif isinstance(command, wire.ClearAudio):
            await self._on_clear(command)
        else:
            self._log.received.append((self.call_ms, command.raw))
            self._error(f"unknown event {command.event!r}")

    def _on_media(self, command: wire.PlayAudio) -> None:
        if command.payload is None:
            self._error("media without a base64 payload")
            return
        message = command.raw
        media = message["media"]
        self._log.received.append(
            (self.call_ms, {**message, "media": {**media, "payload": command.payload}})
        )
        self._playback.add_audio(command.payload)

    async def _on_mark(self, command: wire.PlaceMark) -> None:
        self._log.received.append((self.call_ms, command.raw))
        if command.name is None:
            self._error("mark without a name")
            return
        self._playback.add_mark(command.name)
        await self._echo(self._playback.due_marks())  # nothing queued before it: due now

    async def _on_clear(self, command: wire.ClearAudio) -> None:
        self._log.received.append((self.call_ms, command.raw))
        dropped, names = self._playback.clear()
        self._log.clears.append((self.call_ms, dropped))
        await self._echo(names)

    def _error(self, text: str) -> None:
        logger.warning("media stream %s: %s", self._log.stream_sid, text)
        self._log.protocol_errors.append(text)


def _exact_frame(frame: bytes) -> bytes:
    """Twilio always sends 160 bytes: pad a short frame with silence, cut a long one."""
    if len(frame) >= TWILIO_FRAME_BYTES:
        return bytes(frame[:TWILIO_FRAME_BYTES])
    return bytes(frame) + bytes([MULAW_SILENCE]) * (TWILIO_FRAME_BYTES - len(frame))
