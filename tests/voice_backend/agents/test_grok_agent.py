"""GrokAgent against the scripted fake Grok Realtime server (a real WebSocket on loopback)."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pytest

from shared.models import Provider
from shared.settings import AudioFormat, Settings
from tests.fakes.grok_realtime import FakeGrok, FakeSession
from tests.support.servers import free_port
from tests.voice_backend.agents.grok_support import make_agent
from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import (
    AgentAudio,
    AgentError,
    AgentEvent,
    AgentFailed,
    AgentSaid,
    HangUpKind,
    HangUpRequested,
    ProviderSaid,
    ProviderStartedSpeaking,
    ProviderStoppedSpeaking,
    ResponseDone,
    WrapUp,
)
from voice_backend.agents.grok import GrokAgent
from voice_backend.agents.grok_factory import grok_agent_factory
from voice_backend.audio import pcm16_to_mulaw
from voice_backend.prompt import WRAP_UP_TIME

E = TypeVar("E")
FRAME = 160  # one 20 ms Twilio frame of μ-law


class Events:
    """Reads an agent's events in the background so tests can wait for particular ones."""

    def __init__(self, agent: GrokAgent) -> None:
        self.seen: list[AgentEvent] = []
        self._queue: asyncio.Queue[AgentEvent | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._pump(agent))

    async def _pump(self, agent: GrokAgent) -> None:
        async for event in agent.events():
            self.seen.append(event)
            await self._queue.put(event)
        await self._queue.put(None)

    async def upto(self, kind: type[object], *, within: float = 5.0) -> list[AgentEvent]:
        """Events up to and including the next one of `kind`."""
        got: list[AgentEvent] = []
        async with asyncio.timeout(within):
            while not (got and isinstance(got[-1], kind)):
                event = await self._queue.get()
                assert event is not None, f"events ended before a {kind.__name__}: {got}"
                got.append(event)
        return got

    async def next(self, kind: type[E], *, within: float = 5.0) -> E:
        """The next event of `kind` (skipping others)."""
        return last(await self.upto(kind, within=within), kind)

    async def rest(self, *, within: float = 5.0) -> list[AgentEvent]:
        """Every remaining event, once the iterator has ended."""
        got: list[AgentEvent] = []
        async with asyncio.timeout(within):
            while (event := await self._queue.get()) is not None:
                got.append(event)
        return got

    def stop(self) -> None:
        self._task.cancel()


@pytest.fixture
async def fake() -> AsyncIterator[FakeGrok]:
    async with FakeGrok(vad=False) as server:
        yield server


async def started(fake: FakeGrok, **overrides: Any) -> tuple[GrokAgent, FakeSession]:
    agent = make_agent(fake, **overrides)
    await agent.start()
    return agent, fake.session


def last(got: list[AgentEvent], kind: type[E]) -> E:
    """The last event of `got`, which must be a `kind`."""
    assert got and isinstance(got[-1], kind), got
    return got[-1]


def audio_of(events: list[AgentEvent]) -> bytes:
    return b"".join(event.payload for event in events if isinstance(event, AgentAudio))


def tone_mulaw(ms: int, hz: float = 300.0, amplitude: int = 6000) -> bytes:
    t = np.arange(8 * ms) / 8000
    pcm = (np.sin(2 * math.pi * hz * t) * amplitude).astype("<i2").tobytes()
    return pcm16_to_mulaw(pcm)


async def send_in_frames(agent: GrokAgent, mulaw: bytes) -> None:
    for start in range(0, len(mulaw), FRAME):
        await agent.send_audio(mulaw[start : start + FRAME])


# --- Session set-up ---------------------------------------------------------------------------


async def test_session_update_has_xai_shape_for_pcmu(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    config = session.config
    assert config is not None
    assert config["voice"] == "Rex"
    assert config["instructions"] == "You negotiate plumbing prices."
    assert config["turn_detection"] == {"type": "server_vad"}
    assert config["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert config["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    # Only what xAI documents: no transcription options (no `language_hint`).
    assert config["audio"]["input"] == {"format": {"type": "audio/pcmu"}}
    assert set(config) == {"voice", "instructions", "turn_detection", "audio", "tools"}
    assert "input_audio_format" not in config and "output_audio_format" not in config
    [tool] = config["tools"]
    assert tool["type"] == "function" and tool["name"] == "end_call"
    assert tool["parameters"]["properties"]["reason"]["type"] == "string"
    await agent.close()


async def test_session_update_asks_for_24k_pcm_under_pcm24k(fake: FakeGrok) -> None:
    agent, session = await started(fake, audio_format=AudioFormat.PCM24K)
    assert session.config is not None
    assert session.config["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session.config["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}
    await agent.close()


async def test_refuses_to_greet_when_grok_ignored_the_format() -> None:
    async with FakeGrok(ignore_formats=True) as fake:
        agent = make_agent(fake)
        with pytest.raises(AgentError, match="ignored the audio format"):
            await agent.start()
        session = fake.session
        await asyncio.wait_for(session.closed.wait(), 5)
        assert session.received("response.create") == []


async def test_greets_only_after_session_updated() -> None:
    async with FakeGrok(session_updated_delay=0.2) as fake:
        agent, session = await started(fake)
        await session.wait_for("response.create")
        updated = session.timeline.index(("out", "session.updated"))
        assert session.timeline.index(("in", "response.create")) > updated
        assert session.timeline.index(("in", "session.update")) < updated
        await agent.close()


async def test_unconfirmed_session_is_an_error() -> None:
    async with FakeGrok(answer_session_update=False) as fake:
        agent = make_agent(fake, session_timeout=0.3)
        with pytest.raises(AgentError, match="did not confirm"):
            await agent.start()
        await asyncio.wait_for(fake.session.closed.wait(), 5)
        assert fake.session.received("response.create") == []


async def test_bad_key_is_refused(fake: FakeGrok) -> None:
    agent = make_agent(fake, api_key="xai-wrong-secret")
    with pytest.raises(AgentError, match="HTTP 401") as raised:
        await agent.start()
    assert "xai-wrong-secret" not in str(raised.value)
    assert fake.rejected == ["bad key"]
    assert fake.sessions == []


async def test_missing_model_is_refused(fake: FakeGrok) -> None:
    with pytest.raises(AgentError, match="HTTP 400"):
        await make_agent(fake, url=fake.base_url).start()
    assert fake.rejected == ["bad model None"]


async def test_unreachable_server_is_an_agent_error() -> None:
    agent = GrokAgent(f"ws://127.0.0.1:{free_port()}/v1/realtime?model=m", "k", "Rex", "hi")
    with pytest.raises(AgentError, match="cannot reach"):
        await agent.start()


async def test_start_twice_is_refused(fake: FakeGrok) -> None:
    agent, _session = await started(fake)
    with pytest.raises(AgentError, match="only once"):
        await agent.start()
    await agent.close()


# --- Audio ------------------------------------------------------------------------------------


async def test_pcmu_caller_audio_passes_through_unchanged(fake: FakeGrok) -> None:
    agent = make_agent(fake)
    await agent.send_audio(b"\x01" * FRAME)  # before the session exists: dropped, no error
    await agent.start()
    session = fake.session
    sent = bytes(range(256)) * 25
    await send_in_frames(agent, sent)
    await session.wait_for_audio(len(sent))
    assert bytes(session.audio_in) == sent
    assert session.appends == math.ceil(len(sent) / FRAME)
    await agent.close()


async def test_pcmu_agent_audio_passes_through_unchanged(fake: FakeGrok) -> None:
    fake.on_response(say="Hi, is this Ace Plumbing?", audio_ms=1000)
    agent, session = await started(fake)
    events = Events(agent)
    got = await events.upto(ResponseDone)
    [(item_id, sent)] = session.audio_out.items()
    assert audio_of(got) == bytes(sent)
    assert len(sent) == 8000
    assert {event.item_id for event in got if isinstance(event, AgentAudio)} == {item_id}
    await agent.close()


async def test_pcm24k_caller_audio_is_upsampled(fake: FakeGrok) -> None:
    agent, session = await started(fake, audio_format=AudioFormat.PCM24K)
    await send_in_frames(agent, tone_mulaw(1000))  # 8000 μ-law bytes
    expected = 1000 * 48  # 16-bit PCM at 24 kHz
    lag_allowance = 80 * 48  # the resampler holds back a bounded few tens of ms
    await session.wait_for_audio(expected - lag_allowance)
    assert expected - lag_allowance <= len(session.audio_in) <= expected
    assert len(session.audio_in) % 2 == 0
    await agent.close()


async def test_pcm24k_agent_audio_is_downsampled_across_odd_chunks() -> None:
    async with FakeGrok(chunk_bytes=4801, vad=False) as fake:  # deltas split mid-sample
        fake.on_response(say="Hello there", audio_ms=1000)
        agent, session = await started(fake, audio_format=AudioFormat.PCM24K)
        events = Events(agent)
        got = await events.upto(ResponseDone)
        assert sum(len(sent) for sent in session.audio_out.values()) == 48000
        assert abs(len(audio_of(got)) - 8000) <= 2  # 1 s of μ-law at 8 kHz, tail flushed
        await agent.close()


async def test_older_audio_event_name_is_understood() -> None:
    async with FakeGrok(audio_event="response.audio.delta", vad=False) as fake:
        fake.on_response(say="Hi", audio_ms=200)
        agent, _session = await started(fake)
        events = Events(agent)
        got = await events.upto(ResponseDone)
        assert len(audio_of(got)) == 1600
        await agent.close()


async def test_echo_mode_returns_the_callers_audio() -> None:
    async with FakeGrok(echo=True) as fake:
        agent, _session = await started(fake)
        events = Events(agent)
        await events.upto(ResponseDone)  # the (empty) greeting
        sent = tone_mulaw(200)
        await send_in_frames(agent, sent)
        echoed = b""
        while len(echoed) < len(sent):
            audio = await events.next(AgentAudio)
            echoed += audio.payload
        assert echoed == sent
        await agent.close()


async def test_pcmu_audio_passes_between_the_wires_as_base64_text() -> None:
    async with FakeGrok(echo=True) as fake:
        agent, _session = await started(fake)
        events = Events(agent)
        await events.upto(ResponseDone)  # the (empty) greeting
        sent = tone_mulaw(100)
        frames = [
            base64.b64encode(sent[i : i + FRAME]).decode() for i in range(0, len(sent), FRAME)
        ]
        for frame in frames:
            await agent.send_audio_b64(frame)
        echoed = [(await events.next(AgentAudio)).b64 for _ in frames]
        assert echoed == frames  # Twilio gets back the very text Grok sent
        await agent.close()


async def test_pcm24k_agent_takes_base64_audio_too() -> None:
    async with FakeGrok(echo=True) as fake:
        agent, _session = await started(fake, audio_format=AudioFormat.PCM24K)
        events = Events(agent)
        await events.upto(ResponseDone)
        sent = tone_mulaw(400)
        for i in range(0, len(sent), FRAME):
            await agent.send_audio_b64(base64.b64encode(sent[i : i + FRAME]).decode())
        echoed = 0
        while echoed < len(sent) // 2:  # resampled both ways: the length, not the bytes, survive
            echoed += (await events.next(AgentAudio)).nbytes
        await agent.close()


# --- Transcripts ------------------------------------------------------------------------------


async def test_agent_words_come_from_the_deltas_when_done_has_none(fake: FakeGrok) -> None:
    fake.on_response(say="Hi, is this Ace Plumbing?", audio_ms=600, transcript_in_done=False)
    agent, session = await started(fake)
    events = Events(agent)
    got = await events.upto(AgentSaid)
    said = last(got, AgentSaid)
    assert said.text == "Hi, is this Ace Plumbing?"
    [item_id] = session.audio_out
    assert said.item_id == item_id and said.response_id is not None
    assert [type(event) for event in got].count(AgentSaid) == 1
    await agent.close()


async def test_interrupted_turn_still_reports_what_was_said() -> None:
    async with FakeGrok(pace=1.0, vad=False) as fake:
        fake.on_response(say="one two three four five six seven eight nine ten", audio_ms=2000)
        agent, session = await started(fake)
        events = Events(agent)
        for _ in range(5):  # half a second in: two or three words said
            await events.upto(AgentAudio)
        await session.provider_says("sorry who is this", respond=False)
        got = await events.upto(ResponseDone)
        said = [event for event in got if isinstance(event, AgentSaid)]
        assert len(said) == 1 and said[0].text.startswith("one")
        assert said[0].text != "one two three four five six seven eight nine ten"
        await agent.close()


async def test_provider_partials_are_not_final_and_finals_are_reported_once(
    fake: FakeGrok,
) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    item_id = await session.provider_says("we charge two hundred dollars", respond=False)
    got = await events.upto(ProviderSaid)
    said = last(got, ProviderSaid)
    assert said == ProviderSaid("we charge two hundred dollars", item_id)
    assert [type(event) for event in got][-3:] == [
        ProviderStartedSpeaking,
        ProviderStoppedSpeaking,
        ProviderSaid,
    ]
    assert ProviderStartedSpeaking(item_id) in got
    completed = "conversation.item.input_audio_transcription.completed"
    # The same final again is a duplicate; a corrected final replaces it (same item).
    await session.send({"type": completed, "item_id": item_id, "transcript": said.text})
    await session.send(
        {"type": completed, "item_id": item_id, "transcript": "we charge $250", "status": "x"}
    )
    await session.send({"type": completed, "item_id": item_id, "transcript": "we charge $250"})
    got = await events.upto(ProviderSaid)
    corrected = last(got, ProviderSaid)
    assert corrected == ProviderSaid("we charge $250", item_id)
    assert [event for event in got if isinstance(event, ProviderSaid)] == [corrected]
    await agent.close()


async def test_a_partial_without_final_is_kept_when_the_next_utterance_starts(
    fake: FakeGrok,
) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await session.send(
        {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": "item_a",
            "transcript": "it would be about",
            "status": "in_progress",
        }
    )
    await session.provider_says("three hundred", item_id="item_b", respond=False)
    assert await events.next(ProviderSaid) == ProviderSaid("it would be about", "item_a")
    got = await events.upto(ProviderSaid)
    assert last(got, ProviderSaid) == ProviderSaid("three hundred", "item_b")
    assert ProviderStartedSpeaking("item_b") in got
    await agent.close()


async def test_fake_vad_turns_loud_audio_into_a_scripted_utterance() -> None:
    async with FakeGrok(vad=True, vad_silence_ms=200) as fake:
        fake.on_response(say="Hi, is this Ace Plumbing?", audio_ms=300)
        fake.on_response(say="Two hundred works for us.", audio_ms=300)
        fake.on_speech("yes it is, we charge two hundred")
        agent, _session = await started(fake)
        events = Events(agent)
        await events.upto(ResponseDone)
        await send_in_frames(agent, tone_mulaw(400) + b"\xff" * (8 * 400))
        got = await events.upto(ProviderSaid)
        heard = last(got, ProviderSaid)
        assert heard.text == "yes it is, we charge two hundred"
        assert ProviderStartedSpeaking(heard.item_id) in got
        said = await events.next(AgentSaid)
        assert said.text == "Two hundred works for us."
        await agent.close()


# --- Barge-in ---------------------------------------------------------------------------------


async def test_truncation_is_clamped_to_the_audio_grok_sent(fake: FakeGrok) -> None:
    fake.on_response(say="Hello", audio_ms=1000)
    agent, session = await started(fake)
    events = Events(agent)
    await events.next(ResponseDone)
    [item_id] = session.audio_out
    await agent.truncate(item_id, 60_000)
    await agent.truncate(item_id, 400)
    await agent.truncate("item_never_seen", 100)  # nothing of it was sent: nothing to do
    await session.wait_for("conversation.item.truncate", 2)
    assert [(t["item_id"], t["content_index"], t["audio_end_ms"]) for t in session.truncations] == [
        (item_id, 0, 1000),
        (item_id, 0, 400),
    ]
    assert session.errors_sent == []
    await agent.close()


async def test_barge_in_truncates_within_bounds_and_drops_stale_audio() -> None:
    async with FakeGrok(pace=1.0, chunk_ms=40, vad=False) as fake:
        fake.on_response(say="Let me tell you about our job in detail", audio_ms=3000)
        agent, session = await started(fake)
        events = Events(agent)
        first = await events.next(AgentAudio)
        interrupt = asyncio.create_task(session.provider_says("wait", respond=False))
        got = await events.upto(ProviderStartedSpeaking)
        await interrupt
        played_ms = (len(audio_of(got)) + len(first.payload)) // 8
        assert first.item_id is not None
        await agent.truncate(first.item_id, played_ms + 10_000)  # a generous guess: clamped
        truncation = await session.wait_for("conversation.item.truncate")
        assert truncation["audio_end_ms"] <= session.audio_out_ms[first.item_id]
        assert session.errors_sent == []
        # Audio of the interrupted item that was still in flight is never played.
        await session.send(session._audio_delta("resp_late", first.item_id, b"\x00" * 800))
        await session.respond(say="Sorry, go ahead.", audio_ms=200)
        got = await events.upto(AgentSaid)
        assert all(e.item_id != first.item_id for e in got if isinstance(e, AgentAudio))
        await agent.close()


# --- Tools and goodbyes -----------------------------------------------------------------------


async def test_end_call_is_answered_and_starts_no_new_turn(fake: FakeGrok) -> None:
    fake.on_response(say="Thanks, goodbye!", audio_ms=300, end_call="agreed on $200")
    agent, session = await started(fake)
    events = Events(agent)
    got = await events.upto(HangUpRequested)
    hang_up = last(got, HangUpRequested)
    assert hang_up.reason == "agreed on $200" and hang_up.call_id
    assert any(isinstance(event, AgentSaid) for event in got)
    output = await session.wait_for("conversation.item.create")
    assert output["item"]["type"] == "function_call_output"
    assert output["item"]["call_id"] == hang_up.call_id
    assert json.loads(output["item"]["output"])["ok"] is True
    await events.upto(ResponseDone)
    assert len(session.received("response.create")) == 1  # the greeting only
    await agent.close()


async def test_end_call_in_a_response_of_its_own(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    call_id = await session.request_end_call("no answer to the price")
    hang_up = await events.next(HangUpRequested)
    assert hang_up == HangUpRequested(call_id, "no answer to the price")
    await session.wait_until(lambda: len(session.function_outputs) == 1)
    assert session.function_outputs[0]["call_id"] == call_id
    await agent.close()


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("price agreed", HangUpKind.GOODBYE),
        ("Reached a Voicemail greeting", HangUpKind.VOICEMAIL),
    ],
)
async def test_end_call_is_a_goodbye_unless_its_reason_names_a_voicemail(
    fake: FakeGrok, reason: str, kind: HangUpKind
) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    call_id = await session.request_end_call(reason)
    hang_up = await events.next(HangUpRequested)
    assert hang_up == HangUpRequested(call_id, reason, kind)
    await agent.close()


async def test_goodbye_request_waits_for_the_running_turn() -> None:
    async with FakeGrok(pace=1.0, vad=False) as fake:
        fake.on_response(say="Hi there", audio_ms=600)
        fake.on_response(say="I have to go, goodbye!", audio_ms=200, end_call="time limit")
        agent, session = await started(fake)
        events = Events(agent)
        await events.upto(AgentAudio)
        await agent.request_goodbye(WrapUp.TIME)
        await agent.request_goodbye(WrapUp.SILENCE)  # only the first request counts
        assert len(session.received("response.create")) == 1
        await events.upto(ResponseDone)
        hang_up = await events.next(HangUpRequested)
        assert hang_up.reason == "time limit"
        assert len(session.received("response.create")) == 2
        [note] = session.messages
        assert WRAP_UP_TIME in note and "end_call" in note
        assert session.errors_sent == []
        await agent.close()


# --- Errors and endings -----------------------------------------------------------------------


async def test_benign_and_rejected_event_errors_do_not_end_the_session(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    await session.send_error("response_cancel_not_active", error_type="invalid_request_error")
    await session.send_error("conversation_already_has_active_response")
    await session.send_error("invalid_value", "bad field", error_type="invalid_request_error")
    await session.respond(say="Still here.", audio_ms=100)
    said = await events.next(AgentSaid)
    assert said.text == "Still here."
    assert not any(isinstance(event, AgentFailed) for event in events.seen)
    await agent.close()


async def test_a_session_error_fails_the_agent_and_ends_its_events(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await session.send_error("session_expired", "Session reached its maximum duration")
    failed = await events.next(AgentFailed)
    assert "session_expired" in failed.message
    assert await events.rest() == []
    await asyncio.wait_for(session.closed.wait(), 5)


async def test_an_abrupt_disconnect_fails_the_agent(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    await session.drop()
    failed = await events.next(AgentFailed)
    assert "unexpectedly" in failed.message and "1006" in failed.message
    assert await events.rest() == []
    await agent.send_audio(b"\xff" * FRAME)  # writers just stop: no exception
    await agent.truncate("item_1", 10)
    await agent.close()


async def test_a_clean_close_by_grok_is_still_unexpected(fake: FakeGrok) -> None:
    agent, session = await started(fake)
    events = Events(agent)
    await session.close(1011, "internal error")
    failed = await events.next(AgentFailed)
    assert "1011" in failed.message


async def test_close_is_idempotent_and_ends_events_quietly(fake: FakeGrok) -> None:
    fake.on_response(say="Hello", audio_ms=100)
    agent, session = await started(fake)
    events = Events(agent)
    await events.upto(ResponseDone)
    await asyncio.gather(agent.close(), agent.close())
    await agent.close()
    assert await events.rest() == []
    await asyncio.wait_for(session.closed.wait(), 5)
    await agent.send_audio(b"\xff" * FRAME)
    await agent.request_goodbye(WrapUp.TIME)


async def test_events_before_start_is_a_programming_error(fake: FakeGrok) -> None:
    with pytest.raises(RuntimeError, match="start"):
        await anext(make_agent(fake).events())


# --- Many calls, factory ----------------------------------------------------------------------


async def test_one_fake_serves_many_concurrent_sessions(fake: FakeGrok) -> None:
    fake.on_response(say="Hi", audio_ms=100)
    agents = [make_agent(fake) for _ in range(20)]
    await asyncio.gather(*(agent.start() for agent in agents))
    readers = [Events(agent) for agent in agents]
    for reader in readers:
        await reader.next(AgentSaid)
    for index, agent in enumerate(agents):
        await agent.send_audio(bytes([index]) * FRAME)
    sessions = [await fake.wait_session(index) for index in range(20)]
    for session in sessions:
        await session.wait_for_audio(FRAME)
    assert sorted(session.audio_in[0] for session in sessions) == list(range(20))
    assert len({session.id for session in sessions}) == 20
    await asyncio.gather(*(agent.close() for agent in agents))


async def test_factory_builds_agents_from_settings(fake: FakeGrok) -> None:
    provider = Provider(
        id=7,
        job_id="job-1",
        service_provider="Ace Plumbing",
        phone_number="+15550100",
        created_at=datetime.now(UTC),
    )
    settings = Settings(
        _env_file=None,
        xai_api_key=fake.api_key,
        grok_realtime_url=fake.url,
        grok_voice="Eve",
        audio_format=AudioFormat.PCM24K,
    )
    build = grok_agent_factory(settings, lambda p: f"Call {p.service_provider}.")
    agent = build(provider)
    await agent.start()
    session = await fake.wait_session()
    assert session.config is not None
    assert session.config["instructions"] == "Call Ace Plumbing."
    assert session.config["voice"] == "Eve"
    assert session.config["audio"]["output"]["format"]["type"] == "audio/pcm"
    await agent.close()
    with pytest.raises(ValueError, match="XAI_API_KEY"):
        grok_agent_factory(Settings(_env_file=None), lambda p: "")


# --- Wire parsing -----------------------------------------------------------------------------


def test_wire_parser_reads_events_and_never_raises() -> None:
    audio = base64.b64encode(b"\x01\x02").decode()
    assert wire.parse_server_event(
        json.dumps({"type": "response.output_audio.delta", "delta": audio, "item_id": "i"})
    ) == wire.AudioDelta(b"\x01\x02", "i", None)
    assert wire.parse_server_event('{"type": "response.output_audio.delta", "delta": "%%"}') == (
        wire.Malformed("response.output_audio.delta", "audio delta is not valid base64")
    )
    assert wire.parse_server_event("not json") == wire.Malformed(None, "not JSON")
    assert wire.parse_server_event('{"no": "type"}') == wire.Malformed(None, "no event type")
    assert wire.parse_server_event('{"type": "response.content_part.added"}') == wire.Unknown(
        "response.content_part.added"
    )
    partial = wire.parse_server_event(
        json.dumps(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": "i",
                "transcript": "we",
                "status": "in_progress",
            }
        )
    )
    assert partial == wire.InputTranscription("i", "we", final=False)
    error = wire.parse_server_event(
        json.dumps({"type": "error", "error": {"type": "server_error", "message": "boom"}})
    )
    assert isinstance(error, wire.ServerError) and error.describe() == "server_error: boom"


def test_wire_formats_compare_as_grok_confirms_them() -> None:
    assert wire.PCM24K.matches(wire.WireFormat("audio/pcm"))  # rate defaults to 24 kHz
    assert not wire.PCM24K.matches(wire.WireFormat("audio/pcm", 16000))
    assert wire.PCMU.matches(wire.WireFormat("audio/pcmu", 8000))
    assert not wire.PCMU.matches(wire.PCM24K)
    assert not wire.PCMU.matches(None)
    assert wire.FunctionCall("c", "end_call", "not json").argument("reason") is None
