"""History, analytics and the board on a phone, in a real browser, against the job API with
calls written straight into its store, as the voice service (in another process) writes them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="Playwright is not installed (pip install -e '.[dev]')")

from playwright.async_api import BrowserContext, expect

from api.main import create_app
from shared.models import CallStatus, CallUpdate, Outcome, TranscriptTurn
from shared.settings import load_settings
from shared.storage.sql import SQLStore
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import free_port, serve
from tests.web.conftest import assert_accessible, homeowner, new_page, shot, sign_in


async def _job(client: httpx.AsyncClient, query: str, zip_code: str, *names: str) -> dict:
    started = await client.post(
        "/api/start-job",
        json={
            "query": query,
            "house_address": "",
            "zip_code": zip_code,
            "price_limit": 250,
            "date_needed": "",
        },
    )
    started.raise_for_status()
    providers = [
        {"service_provider": name, "phone_number": f"+1415555{index:04d}"}
        for index, name in enumerate(names, start=len(query))
    ]
    done = await client.post(
        "/api/complete-job",
        json={
            "job_id": started.json()["job_id"],
            "answers": {"q1": "it stopped working"},
            "providers": providers,
        },
    )
    done.raise_for_status()
    body: dict = done.json()
    return body


def _call(said: list[str]) -> dict:
    turns = [
        TranscriptTurn(role="assistant" if index % 2 == 0 else "user", text=text)
        for index, text in enumerate(said)
    ]
    return {"transcript_turns": turns}


AGREED = ["Hi, is this the shop?", "yes", "How much?", "two hundred", "One sixty?", "deal"]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, SQLStore, list[dict]]]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'haggle.db'}",
        haggle_api_key=OPERATOR_KEY,
        # No voice service: a closed port (never whatever answers on the default 6000 here).
        call_backend_url=f"http://127.0.0.1:{free_port()}",
    )
    store = SQLStore(settings.database_url)
    await store.open()
    app = create_app(settings)
    # Short streams, so the page's reconnection is part of the test.
    app.state.event_options = {"lifetime": 1.0}
    async with (
        serve(app) as url,
        httpx.AsyncClient(base_url=url, headers=OPERATOR) as operator,
        httpx.AsyncClient(base_url=url, headers=await homeowner(operator)) as client,
    ):
        # Another account's job (the operator's): never on the homeowner's pages.
        await _job(operator, "paint the fence", "94110", "Someone Else's Painter")
        plumbing = await _job(client, "fix my toilet", "94110", "Ace Plumbing", "Bay Rooter")
        wiring = await _job(
            client, "outlet sparks in the kitchen", "94103", "Spark Electric", "Volt Bros", "Watt"
        )
        ace, bay = (row["id"] for row in plumbing["providers"])
        spark, volt, _ = (row["id"] for row in wiring["providers"])
        finished = {"call_status": CallStatus.COMPLETED}
        await store.update_call(
            ace,
            CallUpdate(**finished, outcome=Outcome.AGREED, negotiated_price=150, minimum_quote=200),
        )
        await store.update_call(
            bay, CallUpdate(**finished, outcome=Outcome.NO_AGREEMENT, minimum_quote=260)
        )
        await store.update_call(
            spark,
            CallUpdate(
                **finished,
                outcome=Outcome.AGREED,
                negotiated_price=180,
                minimum_quote=220,
                **_call(AGREED),
            ),
        )
        await store.update_call(
            volt, CallUpdate(call_status=CallStatus.FAILED, outcome=Outcome.BUSY)
        )
        try:
            yield url, store, [plumbing, wiring]
        finally:
            await store.close()


async def test_history_live_board_analytics_and_phone(
    browser: BrowserContext, site: tuple[str, SQLStore, list[dict]]
) -> None:
    url, store, (_, wiring) = site
    errors: list[str] = []
    page = await new_page(browser, errors)

    # Signed in, the home page lists the homeowner's jobs, newest first, with each job's best
    # deal (and not the other account's job).
    await sign_in(page, url)
    await expect(page.get_by_role("heading", level=1, name="Your jobs")).to_be_visible()
    rows = page.locator("table.history tbody tr")
    await expect(rows).to_have_count(2)
    # Each job is named by its trade, what it is about and where: no two read alike.
    await expect(rows.nth(0).get_by_role("link")).to_have_text(
        "Electrician: I need help with outlet sparks in the kitchen · 94103"
    )
    await expect(rows.nth(0)).to_contain_text("$180")
    await expect(rows.nth(1).get_by_role("link")).to_have_text(re.compile(r"^Plumber: .+ · 94110$"))
    await expect(rows.nth(1)).to_contain_text("saved $50")
    await shot(page, "07-jobs")
    # The call manager's filters: a search box and what to show.
    await page.get_by_label("Search").fill("toilet")
    await expect(rows).to_have_count(1)
    await expect(page.get_by_role("status").filter(has_text="jobs")).to_have_text("1 of 2 jobs")
    await page.get_by_label("Search").fill("")
    await page.get_by_label("Show").select_option(label="Not called yet")
    await expect(page.get_by_text("No job matches.")).to_be_visible()
    await page.get_by_label("Show").select_option(label="With an agreed price")
    await expect(rows).to_have_count(2)
    await assert_accessible(page, "job history")

    # A job's board follows the store: a call written by "the voice service" shows up live.
    await rows.nth(0).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1, name="Electrician for 94103")).to_be_visible()
    await expect(page.locator(".live")).to_have_text("Live")
    board = page.locator("table.board tbody tr")
    await expect(board).to_have_count(3)
    await expect(page.locator(".best-deal")).to_contain_text("Spark Electric at $180")
    watt_id = wiring["providers"][2]["id"]
    watt = page.locator(f'tr[data-provider-id="{watt_id}"]')
    await expect(watt).to_have_attribute("data-status", "pending")
    await page.wait_for_timeout(2500)  # the stream has ended and been reopened at least once
    await expect(page.locator(".live")).to_have_text("Live")
    await store.update_call(watt_id, CallUpdate(call_status=CallStatus.IN_PROGRESS))
    await expect(watt).to_have_attribute("data-status", "in_progress")
    await expect(page.get_by_text("1 in progress")).to_be_visible()
    await store.update_call(
        watt_id,
        CallUpdate(
            call_status=CallStatus.COMPLETED,
            outcome=Outcome.AGREED,
            negotiated_price=160,
            minimum_quote=210,
            **_call(AGREED),
        ),
    )
    await expect(watt).to_have_attribute("data-outcome", "agreed")
    await expect(watt).to_have_class(re.compile(r"\bbest\b"))  # the best deal moved
    await expect(page.locator(".best-deal")).to_contain_text("Watt at $160")
    await expect(
        page.locator(f'tr[data-provider-id="{wiring["providers"][0]["id"]}"]')
    ).not_to_have_class(re.compile(r"\bbest\b"))
    await expect(page.locator("#announcer")).to_contain_text("Watt: Call ended, Price agreed, $160")

    # Analytics across both jobs: 5 calls placed, 4 connected, 3 agreed.
    await page.get_by_role("link", name="Analytics").click()
    await expect(page.get_by_role("heading", level=1, name="Analytics")).to_be_focused()
    tiles = page.locator(".tile")
    await expect(tiles.filter(has_text="Calls placed")).to_contain_text("5")
    await expect(tiles.filter(has_text="Connect rate")).to_contain_text("80%")
    await expect(tiles.filter(has_text="Agreement rate")).to_contain_text("75%")
    await expect(tiles.filter(has_text="Average savings")).to_contain_text("$46.67")
    chart = page.get_by_role("img", name=re.compile("Call outcomes by job"))
    await expect(chart).to_be_visible()
    await expect(chart.locator("rect.bar-agreed")).to_have_count(2)
    await shot(page, "08-analytics")
    await assert_accessible(page, "analytics")

    # On a phone the board is a list of cards, with nothing wider than the screen.
    phone = await new_page(browser, errors)
    await phone.set_viewport_size({"width": 390, "height": 844})
    await phone.goto(f"{url}/#/jobs/{wiring['job']['job_id']}")
    await expect(phone.locator("table.board tbody tr")).to_have_count(3)
    await expect(phone.locator(".board thead")).to_be_hidden()
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    await shot(phone, "09-phone-board")
    await assert_accessible(phone, "call board on a phone")
    await phone.close()
    assert errors == []
    await page.close()
