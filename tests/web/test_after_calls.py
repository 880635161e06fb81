"""After the calls, in a real browser: call again from the board (history kept), the next
follow-up's time, the declined outcome, costs, the export link, the board saying the calls
are over (the start's banner gone too), a pasted list with a bad number imported all or none,
and the new-job form setting the follow-up schedule."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="Playwright is not installed (pip install -e '.[dev]')")

from playwright.async_api import BrowserContext, expect

from api.main import create_app
from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn, utcnow
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.api.conftest import VoiceStandIn
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import free_port, serve
from tests.web.conftest import assert_accessible, homeowner, new_page, shot, sign_in

NAMES = ("Busy Bee", "Away Rooter", "Flaky Pipes", "Roof Only Co")


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, SQLStore, str, list[int]]]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'haggle.db'}",
        haggle_api_key=OPERATOR_KEY,
        # No voice service: a closed port (never whatever answers on the default 6000 here).
        call_backend_url=f"http://127.0.0.1:{free_port()}",
    )
    store = SQLStore(settings.database_url)
    await store.open()
    app = create_app(settings)
    async with (
        serve(app) as url,
        httpx.AsyncClient(base_url=url, headers=OPERATOR) as operator,
        httpx.AsyncClient(base_url=url, headers=await homeowner(operator)) as client,
    ):
        job = await client.post(
            "/api/jobs", json={"problem": "my toilet keeps running", "zip_code": "94110"}
        )
        job_id = job.json()["job_id"]
        providers = [
            {"service_provider": name, "phone_number": f"+1415555{index:04d}"}
            for index, name in enumerate(NAMES, 110)
        ]
        added = await client.post(f"/api/jobs/{job_id}/providers", json={"providers": providers})
        ids = [row["id"] for row in added.json()]
        await store.queue_calls(job_id)
        ended = utcnow()
        for provider_id, outcome in zip(
            ids, (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.ERROR), strict=False
        ):
            await store.claim_call(provider_id, "test")
            await store.update_call(
                provider_id,
                CallUpdate(
                    call_status=CallStatus.FAILED,
                    outcome=outcome,
                    ended_at=ended,
                    duration_seconds=0,
                    cost=0,
                ),
            )
        await store.claim_call(ids[3], "test")
        turns = [
            TranscriptTurn(role="assistant", text="Hi, is this Roof Only Co?"),
            TranscriptTurn(role="user", text="Sorry, we don't do plumbing, only roofs."),
        ]
        await store.update_call(
            ids[3],
            CallUpdate(
                call_status=CallStatus.COMPLETED,
                outcome=Outcome.DECLINED,
                ended_at=ended,
                transcript_turns=turns,
                call_transcript="1. [ASSISTANT]: Hi, is this Roof Only Co?\n"
                "2. [USER]: Sorry, we don't do plumbing, only roofs.\n",
                duration_seconds=75,
                cost=0.0905,
            ),
        )
        try:
            yield url, store, job_id, ids
        finally:
            await store.close()


async def test_call_again_follow_up_time_declined_costs_and_export(
    browser: BrowserContext, site: tuple[str, SQLStore, str, list[int]]
) -> None:
    url, store, job_id, (busy, away, flaky, roof) = site
    errors: list[str] = []
    page = await new_page(browser, errors)
    await sign_in(page, url)
    await page.goto(f"{url}/#/jobs/{job_id}")
    board = page.locator("table.board tbody tr")
    await expect(board).to_have_count(4)

    # Every call is over: the board says so instead of "Live".
    await expect(page.locator(".live")).to_have_text("All calls ended")
    await expect(page.get_by_role("button", name=re.compile("^Start calls"))).to_be_disabled()

    # A provider who does not do the job is "Declined the job", not a failed negotiation.
    roof_row = page.locator(f'tr[data-provider-id="{roof}"]')
    await expect(roof_row).to_have_attribute("data-outcome", "declined")
    await expect(roof_row).to_contain_text("Declined the job")
    await expect(roof_row.locator(".cost")).to_have_text("$0.09")
    await expect(page.locator(f'tr[data-provider-id="{flaky}"]')).to_contain_text("Call failed")
    await expect(page.locator(".cost-line")).to_contain_text("Calls so far cost $0.09")
    # The account's spend too, with no daily cap set.
    await expect(page.locator(".cost-line")).to_contain_text(
        "All your calls of the last 24 hours: $0.09."
    )

    # The export link downloads one row per attempt.
    export = page.get_by_role("link", name="Export results (CSV)")
    await expect(export).to_be_visible()
    href = await export.get_attribute("href")
    assert href == f"/api/jobs/{job_id}/export.csv"
    async with page.expect_download() as download_info:
        await export.click()
    download = await download_info.value
    saved = Path(await download.path())
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["outcome"] for row in rows] == ["busy", "no_answer", "error", "declined"]

    # A follow-up scheduled by the voice service shows its time on the board.
    await store.schedule_follow_up(busy, 1, utcnow() + timedelta(minutes=30))
    busy_row = page.locator(f'tr[data-provider-id="{busy}"]')
    await expect(busy_row.locator(".next-try")).to_contain_text("Next try")
    # Every call is over but a follow-up waits: the badge names its time, not "Live".
    await expect(page.locator(".live")).to_have_text(re.compile(r"^Calls ended; next try \d"))
    await shot(page, "10-after-calls")
    await assert_accessible(page, "board after the calls")

    # Call again: the failed call starts a new attempt; the first stays in its history.
    away_row = page.locator(f'tr[data-provider-id="{away}"]')
    await away_row.get_by_role("button", name="Call again: Away Rooter").click()
    await expect(page.get_by_text("Calling Away Rooter again.")).to_be_visible()
    await expect(away_row).to_have_attribute("data-status", "pending")
    await expect(away_row).not_to_contain_text("Call again")
    stored = await store.get_provider(away)
    assert stored is not None and stored.attempt == 2
    # The voice service dials it and the line is busy again: the board follows live.
    await store.claim_call(away, "test")
    await store.update_call(
        away, CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.BUSY, ended_at=utcnow())
    )
    await expect(away_row).to_have_attribute("data-outcome", "busy")
    await expect(away_row).to_contain_text("(try 2)")
    await away_row.get_by_role("button", name="Transcript of the call with Away Rooter").click()
    dialog = page.get_by_role("dialog", name="Call with Away Rooter")
    await expect(dialog.get_by_role("heading", name="Earlier attempts")).to_be_visible()
    await expect(dialog).to_contain_text("Try 1")
    await expect(dialog).to_contain_text("No answer")
    await assert_accessible(page, "transcript with earlier attempts")
    await page.keyboard.press("Escape")

    # A provider who asked to be called back is offered for the homeowner to confirm.
    await store.update_call(flaky, CallUpdate(callback_requested=True))
    flaky_row = page.locator(f'tr[data-provider-id="{flaky}"]')
    await expect(flaky_row).to_contain_text("Asked to be called back")
    await flaky_row.get_by_role("button", name="Call back: Flaky Pipes").click()
    await expect(flaky_row).to_have_attribute("data-status", "pending")
    stored = await store.get_provider(flaky)
    assert stored is not None and (stored.attempt, stored.attempt_reason) == (2, "again")
    assert errors == []
    await page.close()


async def test_a_list_with_a_bad_number_is_imported_all_or_none(
    browser: BrowserContext, site: tuple[str, SQLStore, str, list[int]]
) -> None:
    url, store, job_id, _ = site
    errors: list[str] = []
    page = await new_page(browser, errors)
    await sign_in(page, url)
    await page.goto(f"{url}/#/jobs/{job_id}")
    await expect(page.locator("table.board tbody tr")).to_have_count(4)
    await page.get_by_text("Import a list").click()
    await page.get_by_label("Paste a list (CSV)").fill(
        "Good Plumbing, (415) 555-0199\nBob's Bad Co, 12\n"
    )
    await page.get_by_role("button", name="Import list").click()
    await expect(page.get_by_text("Nothing was imported")).to_be_visible()
    await expect(page.get_by_text("Line 2: “12” is not a valid phone number.")).to_be_visible()
    await expect(page.get_by_text("no phone number")).to_have_count(0)
    assert len(await store.list_providers(job_id)) == 4
    assert errors == []
    await page.close()


async def test_the_start_banner_and_live_badge_go_once_every_call_ended(
    browser: BrowserContext, tmp_path: Path
) -> None:
    voice = VoiceStandIn(body={"status": "started", "count": 2})
    async with serve(voice.app()) as voice_url:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / 'haggle.db'}",
            haggle_api_key=OPERATOR_KEY,
            call_backend_url=voice_url,
        )
        store = SQLStore(settings.database_url)
        await store.open()
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as operator,
            httpx.AsyncClient(base_url=url, headers=await homeowner(operator)) as client,
        ):
            job = await client.post("/api/jobs", json={"problem": "leaky tap", "zip_code": "94110"})
            job_id = job.json()["job_id"]
            providers = [
                {"service_provider": name, "phone_number": phone}
                for name, phone in (("Ace", "+14155550120"), ("Busy Bee", "+14155550121"))
            ]
            added = await client.post(
                f"/api/jobs/{job_id}/providers", json={"providers": providers}
            )
            ace, bee = (row["id"] for row in added.json())
            errors: list[str] = []
            page = await new_page(browser, errors)
            await sign_in(page, url)
            await page.goto(f"{url}/#/jobs/{job_id}")
            await expect(page.locator(".live")).to_have_text("Live")
            await page.get_by_role("button", name="Start calls (2)").click()
            banner = page.get_by_text("Started calls for 2 providers")
            await expect(banner).to_be_visible()
            assert voice.requests and voice.requests[0][0] == job_id

            # The voice service places them (played here through the store): one agrees, the
            # other is busy and gets a follow-up.
            await store.queue_calls(job_id)
            for provider_id in (ace, bee):
                await store.claim_call(provider_id, "test")
            await store.update_call(
                ace,
                CallUpdate(
                    call_status=CallStatus.COMPLETED,
                    outcome=Outcome.AGREED,
                    negotiated_price=120,
                    ended_at=utcnow(),
                ),
            )
            await expect(banner).to_be_visible()  # a call still runs
            await expect(page.locator(".live")).to_have_text("Live")
            await store.update_call(
                bee,
                CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.BUSY, ended_at=utcnow()),
            )
            await store.schedule_follow_up(bee, 1, utcnow() + timedelta(minutes=30))
            await expect(banner).to_have_count(0)
            await expect(page.locator(".live")).to_have_text(re.compile(r"^Calls ended; next try"))
            # The follow-up placed and answered: nothing waits any more.
            await store.call_again(bee, reason="follow_up")
            await store.claim_call(bee, "test")
            await store.update_call(
                bee,
                CallUpdate(
                    call_status=CallStatus.COMPLETED, outcome=Outcome.DECLINED, ended_at=utcnow()
                ),
            )
            await expect(page.locator(".live")).to_have_text("All calls ended")
            await expect(page.get_by_text("Started calls for")).to_have_count(0)
            assert errors == []
            await page.close()
        await store.close()


async def test_the_new_job_form_sets_the_follow_up_schedule(
    browser: BrowserContext, site: tuple[str, SQLStore, str, list[int]]
) -> None:
    url, store, _, _ = site
    errors: list[str] = []
    page = await new_page(browser, errors)
    await sign_in(page, url)
    await page.goto(f"{url}/#/new")
    await expect(page.get_by_role("heading", level=1, name="New job")).to_be_visible()
    followups = page.get_by_label("If the line is busy or nobody answers, call again after")
    await expect(followups).to_have_value("30, 120")  # the default, shown
    await page.get_by_label("What do you need done?").fill("fix my toilet, it keeps running")
    await page.get_by_label("Zip code").fill("94110")

    # Not a list of minutes: refused in place, nothing stored.
    await followups.fill("soon")
    await page.get_by_role("button", name="Next: a few questions").click()
    await expect(followups).to_be_focused()
    await expect(page.get_by_text("Enter up to 5 numbers of minutes")).to_be_visible()
    await assert_accessible(page, "new job form, follow-up error shown")
    assert len(await store.list_jobs()) == 1  # the fixture's job only

    # Three tries, each after the one before.
    await followups.fill("15, 60, 240")
    await page.get_by_role("button", name="Next: a few questions").click()
    await page.get_by_role("button", name="Next: providers").click()
    summary = page.locator("dl.summary")
    await expect(summary).to_contain_text(
        "called again 3 times: 15 min, then 1 h, then 4 h after the call before"
    )
    job_id = page.url.rsplit("/", 1)[-1]
    job = await store.get_job(job_id)
    assert job is not None and job.followup_schedule() == (15, 60, 240)

    # Empty: never called again by itself.
    await page.goto(f"{url}/#/new")
    await page.get_by_label("What do you need done?").fill("paint the fence")
    await page.get_by_label("Zip code").fill("94110")
    await followups.fill("")
    await page.get_by_role("button", name="Next: a few questions").click()
    await page.get_by_role("button", name="Next: providers").click()
    await expect(page.locator("dl.summary")).to_contain_text("None: a busy or unanswered line")
    job = await store.get_job(page.url.rsplit("/", 1)[-1])
    assert job is not None and job.followup_schedule() == ()
    assert errors == []
    await page.close()
