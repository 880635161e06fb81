"""The local voice agent: through the call bridge against a scripted phone on the fake Twilio
(as the Grok agent is tested), and on its own, fed line audio frame by frame."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.models import Provider, utcnow
from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import running_rig
from voice_backend.agents.base import (
    AgentAudio,
    AgentEvent,
    AgentSaid,
    HangUpKind,
    HangUpRequested,
    ProviderSaid,
    ResponseDone,
    WrapUp,
)
from voice_backend.agents.local import AGENT_VOICE, LocalAgent, NegotiationPolicy
from voice_backend.audio import TWILIO_FRAME_BYTES
from voice_backend.sim import ScriptedPhone, Silence, Until, tone
from voice_backend.speech import Recognizer, get_recognizer
from voice_backend.speech.expect import Expect
from voice_backend.speech.tts import get_synthesizer

#: Real speech recognised in line time: these tests share one xdist worker (pyproject.toml).
pytestmark = pytest.mark.xdist_group("speech")

ACE = ("Ace Plumbing", "+14155550100")
SILENT_FRAME = b"\xff" * TWILIO_FRAME_BYTES


def say(text: str) -> bytes:
    """The provider's words, spoken by the offline voice as μ-law."""
    return get_synthesizer().synthesize(text, AGENT_VOICE)


class AgentTurns:
    """Counts the agent's turns as the phone hears them: a turn is over after 0.7 s of quiet.

    `watch` runs on every frame (as the phone's `hang_up_when`, always False); `over(n)` is a
    script condition: the agent's n-th turn has been heard out.
    """

    def __init__(self) -> None:
        self.turns = 0
        self._heard = 0.0
        self._quiet_from = 0.0
        self._speaking = False

    def watch(self, phone: ScriptedPhone) -> bool:
        if phone.heard_seconds > self._heard:
            if not self._speaking:
                self.turns += 1
            self._speaking = True
            self._heard = phone.heard_seconds
            self._quiet_from = phone.elapsed_seconds
        elif self._speaking and phone.elapsed_seconds - self._quiet_from >= 0.7:
            self._speaking = False
        return False

    def over(self, turn: int) -> Callable[[ScriptedPhone], bool]:
        return lambda _phone: self.turns >= turn and not self._speaking


async def test_a_call_through_the_bridge_with_the_local_agent(tmp_path: Path) -> None:
    lines = [
        "Yes, this is Joe.",
        "Sure, we can fix that.",
        "That would be one hundred forty dollars.",
    ]
    turns = AgentTurns()
    script: list[object] = []
    for turn, line in enumerate(lines, start=1):
        script += [Until(turns.over(turn), timeout_seconds=30), Silence(0.3), say(line)]
    script += [Until(turns.over(len(lines) + 1), timeout_seconds=30), say("Sorry, bye.")]
    script.append(Silence(1.5))
    async with running_rig(tmp_path, twilio_speed=2.0, agent="local") as rig:
        rig.twilio.lines[ACE[1]] = Line(
            phone=lambda: ScriptedPhone(
                script,  # type: ignore[arg-type]
                hang_up_when=turns.watch,
                hang_up_when_done=True,
            )
        )
        job_id = await rig.job(ACE)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=90)
    transcript = row["call_transcript"].splitlines()
    assert row["call_status"] == "completed", row
    assert transcript[0] == "1. [ASSISTANT]: Hi, is this Ace Plumbing?"
    roles = [line.split("[", 1)[1].split("]", 1)[0] for line in transcript]
    assert roles[:8] == ["ASSISTANT", "USER"] * 4, transcript
    assert "one hundred forty" in transcript[5], transcript
    assert row["estimated_price"] == 140
    assert rig.twilio.peer_errors() == []


async def _feed(agent: LocalAgent, audio: bytes, *, speed: float = 10.0) -> None:
    """Send line audio in 20 ms frames at `speed` times real time."""
    for start in range(0, len(audio), TWILIO_FRAME_BYTES):
        await agent.send_audio(audio[start : start + TWILIO_FRAME_BYTES].ljust(160, b"\xff"))
        await asyncio.sleep(0.02 / speed)


async def _collect(agent: LocalAgent, into: list[AgentEvent]) -> None:
    async for event in agent.events():
        into.append(event)


def _provider(max_price: float | None = 150) -> Provider:
    return Provider(
        id=7,
        job_id="job",
        service_provider="Ace Plumbing",
        phone_number="+14155550100",
        problem="my toilet keeps running",
        zip_code="94110",
        max_price=max_price,
        created_at=utcnow(),
    )


async def test_it_opens_after_a_silence_and_says_goodbye_when_asked() -> None:
    agent = LocalAgent(NegotiationPolicy(_provider()))
    events: list[AgentEvent] = []
    await agent.start()
    reader = asyncio.create_task(_collect(agent, events))
    await _feed(agent, SILENT_FRAME * 75)  # 1.5 s: nobody said hello
    said = [e.text for e in events if isinstance(e, AgentSaid)]
    assert said == ["Hi, is this Ace Plumbing?"]
    audio = [e for e in events if isinstance(e, AgentAudio)]
    assert audio and {e.item_id for e in audio} == {audio[0].item_id}
    assert sum(len(e.payload) for e in audio) > 8000  # a second or more of speech
    await agent.request_goodbye(WrapUp.SILENCE)
    # The closing is synthesised as it is asked for: a neural voice takes a moment.
    for _ in range(40):
        await _feed(agent, SILENT_FRAME * 25)
        if events and isinstance(events[-1], HangUpRequested):
            break
    assert isinstance(events[-1], HangUpRequested)
    closing = [e.text for e in events if isinstance(e, AgentSaid)][-1]
    assert "call you back" in closing
    assert sum(isinstance(e, ResponseDone) for e in events) == 2
    await agent.close()
    await asyncio.wait_for(reader, 5)


async def test_a_voicemail_is_heard_out_and_hung_up_on_without_a_message() -> None:
    agent = LocalAgent(NegotiationPolicy(_provider()))
    events: list[AgentEvent] = []
    await agent.start()
    reader = asyncio.create_task(_collect(agent, events))
    greeting = say(
        "Hi, you've reached Main Street Plumbing. Please leave a message after the beep."
    )
    # At 3x line time: the agent must have recognised the greeting before it judges the
    # silence after the beep, and stay on the line 4 s more (faster, a busy machine's decoder
    # falls behind the line).
    await _feed(
        agent, SILENT_FRAME * 10 + greeting + tone(1000, 0.5, 0.5) + SILENT_FRAME * 600, speed=3.0
    )
    heard = [e.text for e in events if isinstance(e, ProviderSaid)]
    assert any("message" in text for text in heard), heard
    assert not [e for e in events if isinstance(e, AgentAudio)]
    hang_ups = [e for e in events if isinstance(e, HangUpRequested)]
    assert len(hang_ups) == 1 and hang_ups[0].reason == "voicemail"
    assert hang_ups[0].kind is HangUpKind.VOICEMAIL
    await agent.close()
    await asyncio.wait_for(reader, 5)


class BehindTheLine:
    """The real recogniser on a machine too busy to keep up: each utterance takes a second
    longer to come back (as with many calls decoding on two cores)."""

    def __init__(self, real: Recognizer) -> None:
        self._real = real

    def warm_up(self) -> None:
        self._real.warm_up()

    async def learn_async(self, text: str) -> list[str]:
        return await self._real.learn_async(text)

    async def recognize(self, pcm: bytes, expect: Expect = Expect.ANYTHING) -> str:
        await asyncio.sleep(1.0)
        return await self._real.recognize(pcm, expect)


async def test_the_last_words_before_a_hang_up_are_heard_out_not_answered() -> None:
    # The provider answers and hangs up at once: one utterance still being recognised, the
    # next cut by the hang-up. Both reach the transcript; the agent says nothing more.
    agent = LocalAgent(NegotiationPolicy(_provider()), recognizer=BehindTheLine(get_recognizer()))
    events: list[AgentEvent] = []
    await agent.start()
    reader = asyncio.create_task(_collect(agent, events))
    await _feed(agent, SILENT_FRAME * 75)  # the agent opens
    await _feed(agent, SILENT_FRAME * 150)  # its opening plays out
    await _feed(agent, say("Yes, this is Joe.") + SILENT_FRAME * 40 + say("Sorry, bye now"))
    reader.cancel()  # the line closed: the bridge reads no more events
    spoken = sum(isinstance(e, AgentAudio) for e in events)
    left = await agent.hear_out(10)
    heard = [e for e in [*events, *left] if isinstance(e, ProviderSaid)]
    # (The words themselves are the recogniser's business, measured by `make bench-personas`.)
    assert len({e.item_id for e in heard}) == 2, heard
    assert [e for e in left if isinstance(e, ProviderSaid)], "the cut utterance was lost"
    assert not [e for e in left if isinstance(e, AgentAudio)]
    assert sum(isinstance(e, AgentAudio) for e in events) == spoken
    await agent.close()
