"""Every malformed body gets a JSON 422 from both services, never a plain-text 500: `NaN` and
`Infinity` (not JSON numbers), a lone surrogate escape (not Unicode text), broken JSON."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.main import create_app as create_api
from shared.settings import load_settings
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import serve
from voice_backend.app import create_app as create_voice

MALFORMED = {
    "nan budget": b'{"problem": "a running toilet", "zip_code": "94110", "max_price": NaN}',
    "infinite budget": (
        b'{"problem": "a running toilet", "zip_code": "94110", "max_price": Infinity}'
    ),
    "negative infinity": (
        b'{"problem": "a running toilet", "zip_code": "94110", "max_price": -Infinity}'
    ),
    "lone surrogate": b'{"problem": "a running \\ud800 toilet", "zip_code": "94110"}',
    "surrogate key": b'{"problem": "a running toilet", "zip_code": "94110", "\\udfff": 1}',
    "nested nan": b'{"providers": [{"service_provider": "A", "phone_number": NaN}]}',
    "broken": b'{"problem": "a running toilet", "zip_code": ',
}


@pytest.fixture
def settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(
        database_url=f"sqlite:///{tmp_path}/haggle.db",
        data_dir=str(tmp_path),
        call_backend_url="http://127.0.0.1:9",
        haggle_api_key=OPERATOR_KEY,
    )


async def _assert_all_422(url: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=OPERATOR) as client:
        for name, body in MALFORMED.items():
            answer = await client.post(
                path, content=body, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 422, (name, answer.text)
            assert answer.headers["content-type"] == "application/json", name
            (error, *_) = answer.json()["detail"]
            assert error["type"] == "json_invalid", (name, error)
        # Bytes that are not UTF-8 at all: FastAPI refuses them with 400 before any check of
        # ours where the route reads a body; JSON either way.
        answer = await client.post(
            path, content=b'{"problem": "\xff\xfe"}', headers={"content-type": "application/json"}
        )
        assert answer.status_code in (400, 422) and answer.json()["detail"]


async def test_the_job_api_answers_every_malformed_body_with_json_422(settings) -> None:  # type: ignore[no-untyped-def]
    async with serve(create_api(settings)) as url:
        await _assert_all_422(url, "/api/jobs")
        await _assert_all_422(url, "/api/jobs/some-job/providers")
        async with httpx.AsyncClient(base_url=url, headers=OPERATOR) as client:  # nothing stored
            assert (await client.get("/api/jobs")).json() == []


async def test_the_voice_service_answers_every_malformed_body_with_json_422(settings) -> None:  # type: ignore[no-untyped-def]
    async with serve(create_voice(settings)) as url:
        await _assert_all_422(url, "/start-job/some-job")


async def test_a_refused_budget_is_echoed_as_json(settings) -> None:  # type: ignore[no-untyped-def]
    """A value the model refuses after parsing comes back in the error, safely encoded."""
    async with (
        serve(create_api(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=OPERATOR) as client,
    ):
        answer = await client.post(
            "/api/jobs", json={"problem": "a running toilet", "zip_code": "94110", "max_price": -5}
        )
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "max_price"] and "positive" in error["msg"]
