"""A dial whose status callbacks never reach the voice service (a wrong PUBLIC_BASE_URL, a
tunnel down) is noticed by reading the call from Twilio's Calls resource, and ended within
90 s with a reason that says what to fix, instead of sitting at "Dialing" for 12.5 minutes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import running_rig
from voice_backend import lost_callbacks
from voice_backend.sim import CallScenario, ScriptedPhone

#: The product's interval between two reads of a dialing call's status.
PRODUCT_POLL_SECONDS = lost_callbacks.STATUS_POLL_SECONDS
#: The interval in these tests: the same polls, run faster than real time (still long enough
#: for a stream to connect before the second poll, as at the product's pace).
POLL_SECONDS = 2.0


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lost_callbacks, "STATUS_POLL_SECONDS", POLL_SECONDS)


async def test_a_busy_call_whose_callbacks_are_lost_ends_within_90_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At the product's own interval between two reads of the call (15 s), not the tests'.
    monkeypatch.setattr(lost_callbacks, "STATUS_POLL_SECONDS", PRODUCT_POLL_SECONDS)
    async with running_rig(tmp_path) as rig:
        rig.twilio.drop_status_callbacks = True
        rig.twilio.lines["+14155550100"] = Line(CallScenario.BUSY)
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        began = time.monotonic()
        await rig.start(job_id)
        (row,) = await rig.finished(job_id, within=90)
        took = time.monotonic() - began
        assert PRODUCT_POLL_SECONDS <= took < 90  # ended by the first read of the call
        (call,) = rig.twilio.calls.values()
        result = await rig.twilio.wait_ended(call.sid)
        assert result.callbacks == []  # nothing ever reached the voice service
        # It was read from the call's resource: the real outcome, and what to fix.
        fetches = [r for r in rig.twilio.requests if r.method == "GET"]
        assert fetches and fetches[0].path.endswith(f"/Calls/{call.sid}.json")
        assert (row["call_status"], row["outcome"]) == ("failed", "busy")
        assert "line was busy" in row["failure_reason"]
        assert "PUBLIC_BASE_URL" in row["failure_reason"]
        assert rig.settings.public_base_url in row["failure_reason"]


async def test_a_call_with_lost_callbacks_that_connects_is_left_to_its_stream(
    tmp_path: Path,
) -> None:
    # Callbacks lost, but the TwiML and the stream get through: the call runs as usual and
    # the poll, finding it in progress here, leaves it to its bridge.
    async with running_rig(tmp_path, twilio_speed=1.0, silence_limit_seconds=60) as rig:
        rig.twilio.drop_status_callbacks = True
        rig.twilio.lines["+14155550100"] = Line(
            phone=lambda: ScriptedPhone.silent(hang_up_after_seconds=40), ring_seconds=0.2
        )
        rig.grok.on_response("Hi, is this Ace Plumbing?", audio_ms=300)
        job_id = await rig.job(("Ace Plumbing", "+14155550100"))
        await rig.start(job_id)
        await asyncio.sleep(POLL_SECONDS * 2 + 1)  # past the first two polls
        (row,) = await rig.rows(job_id)
        assert (row["call_status"], row["failure_reason"]) == ("in_progress", None)
