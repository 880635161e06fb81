"""Headless Chromium for the dashboard tests: Debian's `chromium`, driven through Playwright's
Python API with its executable path set (Playwright's own browser download is not used).

Without Chromium or Playwright the tests here are skipped, saying so; CI installs both.
Screenshots go to `test-artifacts/screenshots/` for review.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.support.servers import REPO

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"

#: What Chromium needs to run headless in a container with no network beyond loopback.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium (`CHROMIUM_PATH` names another), or `None` where there is none."""
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return override if os.access(override, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile with a desktop-sized window."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
            timezone_id="America/Los_Angeles",
        )
        # Generous: a loaded 2-core machine can take seconds to serve a page.
        context.set_default_timeout(30_000)
        expect.set_options(timeout=15_000)
        try:
            yield context
        finally:
            await context.close()


async def new_page(context: BrowserContext, errors: list[str]) -> Page:
    """A page that records console errors and failed requests into `errors`."""
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            errors.append(f"request failed: {request.url}")
            # An event stream cut when the page moves on or closes is not a failure.
            if not request.url.endswith("/events")
            else None
        ),
    )
    return page


async def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot for review: `test-artifacts/screenshots/{name}.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


async def assert_accessible(page: Page, what: str) -> None:
    """Run axe-core (WCAG 2 A/AA rules) on the page as it is; fail on any violation."""
    from axe_playwright_python.async_playwright import Axe  # a dev dependency

    options = {
        "resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    }
    results = await Axe().run(page, options=options)
    problems = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]
    assert not problems, f"{what}:\n" + "\n".join(problems)


#: The homeowner the browser tests sign in as.
USERNAME, PASSWORD = "homeowner", "correct horse battery staple"


async def homeowner(operator: httpx.AsyncClient) -> dict[str, str]:
    """Create the homeowner's account (with the operator's client); the headers of an API
    key of theirs, for setting up their jobs."""
    created = await operator.post("/api/users", json={"username": USERNAME, "password": PASSWORD})
    assert created.status_code == 201, created.text
    key = await operator.post("/api/keys", json={"name": "tests", "username": USERNAME})
    return {"Authorization": f"Bearer {key.json()['key']}"}


async def sign_in(page: Page, base: str) -> None:
    """Open the dashboard signed out, get the sign-in page, and sign in as the homeowner."""
    from playwright.async_api import expect

    await page.goto(f"{base}/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.get_by_label("User name").fill(USERNAME)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/")
