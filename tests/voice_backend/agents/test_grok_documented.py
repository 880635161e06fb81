"""GrokAgent speaks only what xAI documents and survives what xAI does not promise: a
`session.updated` without formats, errors about the undocumented truncate, and a recorded
session of documented server events replayed by the fake (real WebSockets on loopback)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.grok_replay import load_recording
from tests.fakes.twilio_rest import Line
from tests.voice_backend.agents.grok_support import make_agent
from tests.voice_backend.rig import running_rig
from voice_backend.agents import grok_events as wire
from voice_backend.agents.base import (
    AgentAudio,
    AgentError,
    AgentEvent,
    AgentFailed,
    AgentSaid,
    HangUpRequested,
    ProviderSaid,
    ProviderStartedSpeaking,
    ResponseDone,
)
from voice_backend.agents.grok import GrokAgent
from voice_backend.agents.grok_errors import ErrorKind, classify
from voice_backend.sim import ScriptedPhone


async def read_until(
    agent: GrokAgent, done: type[AgentEvent], *, within: float = 5.0
) -> list[AgentEvent]:
    """The agent's events up to and including the first `done` (or its failure)."""
    seen: list[AgentEvent] = []
    async with asyncio.timeout(within):
        async for event in agent.events():
            seen.append(event)
            if isinstance(event, done | AgentFailed):
                break
    return seen


async def test_a_session_updated_naming_no_format_is_accepted() -> None:
    async with FakeGrok(vad=False, echo_formats=False) as fake:
        fake.on_response("Hi, is this Ace?", audio_ms=200)
        agent = make_agent(fake)
        await agent.start()
        seen = await read_until(agent, ResponseDone)
        assert any(isinstance(event, AgentAudio) for event in seen)
        await agent.close()


async def test_a_session_updated_naming_another_format_is_refused() -> None:
    async with FakeGrok(vad=False, ignore_formats=True) as fake:
        with pytest.raises(AgentError, match="ignored the audio format"):
            await make_agent(fake).start()
        assert fake.session.received("response.create") == []


async def test_an_error_answering_truncate_does_not_end_the_call() -> None:
    # xAI does not list `conversation.item.truncate`: suppose it answers with an error whose
    # type is not `invalid_request_error` and whose message names nothing of ours.
    async with FakeGrok(vad=False, undocumented_error="server_error") as fake:
        fake.on_response("Hi, is this Ace Plumbing? I am calling about a toilet.", audio_ms=800)
        fake.on_response("Sorry, go ahead.", audio_ms=200)
        agent = make_agent(fake)
        await agent.start()
        session = fake.session
        first = await read_until(agent, ResponseDone)
        item = next(e.item_id for e in first if isinstance(e, AgentAudio) and e.item_id)
        await agent.truncate(item, 300)
        await session.wait_until(lambda: len(session.errors_sent) == 1, "the error")
        await session.provider_says("sorry, who is this?")
        after = await read_until(agent, ResponseDone)
        assert not any(isinstance(event, AgentFailed) for event in after), after
        assert [e.text for e in after if isinstance(e, AgentSaid)] == ["Sorry, go ahead."]
        await agent.close()


async def test_an_authentication_error_ends_the_call() -> None:
    async with FakeGrok(vad=False) as fake:
        agent = make_agent(fake)
        await agent.start()
        await fake.session.send_error(
            "invalid_api_key", "Incorrect API key provided", error_type="authentication_error"
        )
        seen = await read_until(agent, AgentFailed)
        assert isinstance(seen[-1], AgentFailed) and "invalid_api_key" in seen[-1].message


@pytest.mark.parametrize(
    ("error", "recent_truncate", "kind"),
    [
        (
            wire.ServerError("invalid_request_error", "response_cancel_not_active", "x"),
            False,
            "benign",
        ),
        (
            wire.ServerError(None, None, "Unsupported event: conversation.item.truncate"),
            False,
            "optional",
        ),
        (wire.ServerError("server_error", "unknown_event", "Unknown event type"), True, "optional"),
        (
            wire.ServerError("invalid_request_error", "invalid_value", "bad field"),
            False,
            "optional",
        ),
        (wire.ServerError("authentication_error", "invalid_api_key", "bad key"), True, "fatal"),
        (
            wire.ServerError("invalid_request_error", "session_expired", "Session ended"),
            True,
            "fatal",
        ),
        (wire.ServerError("server_error", "internal", "Something broke"), False, "fatal"),
        # A session cancelled is the session, not the optional `response.cancel`.
        (wire.ServerError("server_error", None, "Session cancelled by server"), False, "fatal"),
        (
            wire.ServerError("invalid_request_error", None, "Unknown event: response.cancel"),
            False,
            "optional",
        ),
    ],
)
def test_errors_are_classified_by_what_they_concern(
    error: wire.ServerError, recent_truncate: bool, kind: str
) -> None:
    assert classify(error, optional_unanswered=recent_truncate) is ErrorKind(kind)


async def test_a_recorded_session_of_documented_events_plays_through() -> None:
    recording = load_recording("agreed_quote.json")
    async with FakeGrok(vad=False, replay=recording) as fake:
        agent = make_agent(fake)
        await agent.start()
        seen = await read_until(agent, HangUpRequested)
        assert not any(isinstance(event, AgentFailed) for event in seen), seen
        said = [event.text for event in seen if isinstance(event, AgentSaid)]
        assert said == ["Hi, is this Ace Plumbing?", "Two hundred works. Thanks, goodbye!"]
        heard = [event.text for event in seen if isinstance(event, ProviderSaid)]
        assert heard == ["Yes it is, we charge two hundred dollars for that."]
        assert any(isinstance(event, ProviderStartedSpeaking) for event in seen)
        audio = sum(len(e.payload) for e in seen if isinstance(e, AgentAudio))
        assert audio == 800 + 800 + 800  # μ-law passes through untouched
        hang_up = seen[-1]
        assert isinstance(hang_up, HangUpRequested) and hang_up.reason == "price agreed"
        session = fake.session
        # What the agent sent is only what xAI documents.
        kinds = {event["type"] for event in session.events}
        assert kinds <= {"session.update", "response.create", "conversation.item.create"}
        await agent.close()


async def test_a_whole_call_from_the_recorded_session(tmp_path: Path) -> None:
    # The recording on real sockets end to end: Twilio's phone, the bridge, the agent. Its
    # `error` about `conversation.item.truncate` does not end the call.
    grok = FakeGrok(replay="agreed_quote.json", replay_gap=0.05)
    async with running_rig(tmp_path, twilio_speed=1.0, grok=grok) as rig:
        rig.twilio.lines["+14155550100"] = Line(
            phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=60)
        )
        job_id = await rig.job(("Ace Plumbing", "+14155550100"), max_price=250)
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=30)
    assert (row["call_status"], row["outcome"]) == ("completed", "agreed")
    assert row["negotiated_price"] == 200 and row["minimum_quote"] == 200
    assert row["call_transcript"] == (
        "1. [ASSISTANT]: Hi, is this Ace Plumbing?\n"
        "2. [USER]: Yes it is, we charge two hundred dollars for that.\n"
        "3. [ASSISTANT]: Two hundred works. Thanks, goodbye!\n"
    )
