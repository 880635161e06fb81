"""The dashboard in offline mode, in a real browser: a job's page offers the simulated
providers of its trade, and one click adds them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="Playwright is not installed (pip install -e '.[dev]')")

from playwright.async_api import BrowserContext, expect

from api.main import create_app as create_api
from shared.settings import load_settings
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve
from tests.web.conftest import homeowner, new_page, shot, sign_in
from voice_backend.app import create_app as create_voice


async def test_a_job_offers_its_trades_simulated_providers_in_one_click(
    tmp_path: Path, browser: BrowserContext
) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        data_dir=str(tmp_path),
        voice_backend_token="web-token",
    )
    async with serve(create_voice(settings)) as voice_url:
        api_settings = load_settings(
            database_url=settings.database_url,
            call_backend_url=voice_url,
            voice_backend_token="web-token",
            haggle_api_key=OPERATOR_KEY,
        )
        async with (
            serve(create_api(api_settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as operator,
            httpx.AsyncClient(base_url=url, headers=await homeowner(operator)) as client,
        ):
            job = await client.post(
                "/api/jobs",
                json={"problem": "the front door lock is stuck", "zip_code": "94110"},
            )
            job_id = job.json()["job_id"]
            errors: list[str] = []
            page = await new_page(browser, errors)
            await sign_in(page, url)
            await page.goto(f"{url}/#/jobs/{job_id}")
            offer = page.get_by_role("button", name="Add the simulated providers (1, locksmith)")
            await expect(offer).to_be_visible()
            await offer.click()
            await expect(page.get_by_text("1 provider added.")).to_be_visible()
            await expect(page.get_by_role("cell", name="Keyway Locksmith")).to_be_visible()
            await shot(page, "offline-simulated-providers")
            await page.close()  # its live event stream would hold the server open
            stored = (await client.get(f"/api/providers/{job_id}")).json()
    assert [row["name"] for row in stored] == ["Keyway Locksmith"]
    assert errors == []
