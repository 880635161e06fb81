"""Live transcripts in a real browser, against the whole product on loopback (job API and voice
service, Twilio and Grok Realtime played by their fakes): the transcript dialog, opened while
the call runs, shows the turns spoken so far and then each new one as it ends, without being
reopened; the first quote reaches the board as soon as it is heard."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="Playwright is not installed (pip install -e '.[dev]')")

from playwright.async_api import BrowserContext, expect

from tests.fakes.twilio_rest import Line
from tests.voice_backend.rig import running_rig
from tests.web.conftest import homeowner, new_page, shot, sign_in
from voice_backend.sim import ScriptedPhone

ACE = ("Ace Plumbing", "+14155550100")
GREETING = "Hi, is this Ace Plumbing? I am calling about a running toilet."
QUOTE = "Yes, we can fix that for two hundred dollars."
REPLY = "Two hundred sounds fair. Let me check one thing."
AGREE = "Sure, take your time, two hundred it is."
THANKS = "Thank you for your help! I will reach out to you again shortly."

#: A turn is stored within 2 s of ending; the event stream and the page add a little.
LIVE_MS = 5_000


def _silent_phone() -> ScriptedPhone:
    return ScriptedPhone.silent(hang_up_after_seconds=120)


async def test_open_transcript_dialog_shows_each_new_turn_while_the_call_runs(
    tmp_path: Path, browser: BrowserContext
) -> None:
    async with running_rig(tmp_path, twilio_speed=1.0) as rig:
        # The provider says nothing unless the test makes them: the call waits between turns
        # for as long as the test takes (hung up after 120 s at the latest).
        rig.twilio.lines[ACE[1]] = Line(phone=_silent_phone)
        rig.grok.on_response(GREETING, audio_ms=400)
        rig.grok.on_response(REPLY, audio_ms=400)
        rig.grok.on_response(THANKS, audio_ms=400, end_call="agreed")
        errors: list[str] = []
        page = await new_page(browser, errors)
        base = str(rig.api.base_url).rstrip("/")
        async with httpx.AsyncClient(base_url=base, headers=await homeowner(rig.api)) as client:
            job = await client.post(
                "/api/jobs",
                json={"problem": "my toilet keeps running", "zip_code": "94110", "max_price": 300},
            )
            job_id = job.json()["job_id"]
            added = await client.post(
                f"/api/jobs/{job_id}/providers",
                json={"providers": [{"service_provider": ACE[0], "phone_number": ACE[1]}]},
            )
            assert added.status_code == 201, added.text

        await sign_in(page, base)
        # A short window: the dialog scrolls, and must keep the newest turn in view.
        await page.set_viewport_size({"width": 900, "height": 480})
        await page.goto(f"{base}/#/jobs/{job_id}")
        await expect(page.locator(".live")).to_have_text("Live")
        await page.get_by_role("button", name=re.compile(r"^Start calls")).click()
        ace = page.locator("table.board tbody tr", has_text=ACE[0])
        await expect(ace).to_have_attribute("data-status", "in_progress", timeout=15_000)
        await expect(ace.get_by_text("On the call")).to_be_visible()
        await expect(ace.locator("td[data-label='First quote']")).to_have_text("—")

        # The greeting has been spoken (and stored) before the dialog is opened.
        session = await rig.grok.wait_session(within=15)
        await session.wait_until(
            lambda: ("out", "response.done") in session.timeline, "the greeting", within=10
        )
        await ace.get_by_role("button", name="Transcript of the call with Ace Plumbing").click()
        dialog = page.get_by_role("dialog", name="Call with Ace Plumbing")
        await expect(dialog).to_be_visible()
        turns = dialog.locator(".turn")
        await expect(turns.first).to_contain_text(GREETING, timeout=LIVE_MS)
        await expect(turns).to_have_count(1)
        await expect(dialog).to_contain_text("On the call")
        await shot(page, "live-01-dialog-opened-mid-call", full_page=False)

        # The provider quotes: the open dialog gets their turn, then the agent's reply, and
        # the board (behind the dialog) the first quote, all while the call still runs.
        await session.provider_says(QUOTE)
        await expect(turns.nth(1)).to_contain_text(QUOTE, timeout=LIVE_MS)
        await expect(ace.locator("td[data-label='First quote']")).to_have_text(
            "$200", timeout=LIVE_MS
        )
        await expect(dialog.locator("dl.facts")).to_contain_text("$200")
        await expect(turns.nth(2)).to_contain_text(REPLY, timeout=LIVE_MS)
        await expect(turns).to_have_count(3)
        await expect(turns.nth(2)).to_be_in_viewport()
        await expect(dialog).to_be_visible()  # never closed
        await expect(dialog).to_contain_text("On the call")
        await expect(ace).to_have_attribute("data-status", "in_progress")
        assert (await rig.rows(job_id))[0]["call_status"] == "in_progress"
        await shot(page, "live-02-dialog-updated-mid-call", full_page=False)

        # The provider agrees, the agent thanks them and hangs up: the final state, in place.
        await session.provider_says(AGREE)
        await expect(ace).to_have_attribute("data-status", "completed", timeout=30_000)
        await expect(ace).to_have_attribute("data-outcome", "agreed")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("Call ended")
        await expect(dialog).to_contain_text("Price agreed")
        await expect(ace.locator(".price")).to_contain_text("$200")
        await expect(turns).to_have_count(5)
        await expect(turns.nth(3)).to_contain_text(AGREE)
        await expect(turns.nth(4)).to_contain_text(THANKS)
        await expect(turns.nth(4)).to_be_in_viewport()
        await expect(dialog.locator(".pulse")).to_have_count(0)
        await shot(page, "live-03-dialog-after-the-call", full_page=False)

        (row,) = await rig.rows(job_id)
        assert [turn["text"] for turn in row["transcript_turns"]] == [
            GREETING,
            QUOTE,
            REPLY,
            AGREE,
            THANKS,
        ]
        assert row["estimated_price"] == 200
        assert errors == []
        await page.close()
