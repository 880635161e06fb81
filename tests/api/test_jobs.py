"""The job API, driven over HTTP as the frontend and users drive it."""

from __future__ import annotations

from pathlib import Path

import httpx

from api.main import create_app
from shared.settings import load_settings
from tests.api.conftest import JOB, OPERATOR, OPERATOR_KEY, Api
from tests.support.servers import serve


async def _job(api: Api, **overrides: object) -> str:
    response = await api.client.post("/api/jobs", json=JOB | overrides)
    assert response.status_code == 201, response.text
    job_id: str = response.json()["job_id"]
    return job_id


async def test_health(api: Api) -> None:
    response = await api.client.get("/api/health")
    assert response.json() == {"status": "healthy"}


async def test_create_and_read_job(api: Api) -> None:
    response = await api.client.post(
        "/api/jobs", json=JOB | {"house_address": "1 Main St", "date_needed": "2026-12-01"}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["job_id"] == created["id"]
    assert created["max_price"] == 150 and created["price_limit"] == 150
    fetched = await api.client.get(f"/api/jobs/{created['job_id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created
    listed = await api.client.get("/api/jobs")
    assert created["job_id"] in [job["job_id"] for job in listed.json()]


async def test_unknown_job_is_404(api: Api) -> None:
    for path in ("/api/jobs/nope", "/api/providers/nope", "/api/providers/nope/status"):
        response = await api.client.get(path)
        assert response.status_code == 404, path
        assert "nope" in response.json()["detail"]


async def test_budget_null_or_no_limit_stays_null(api: Api) -> None:
    for value in (None, "no_limit"):
        response = await api.client.post("/api/jobs", json=JOB | {"max_price": value})
        assert response.status_code == 201
        body = response.json()
        assert body["max_price"] is None and body["price_limit"] == "no_limit"
        assert "None" not in response.text


async def test_bad_budget_is_refused(api: Api) -> None:
    for value in (0, -20, "cheap", True, 1e12):
        response = await api.client.post("/api/jobs", json=JOB | {"max_price": value})
        assert response.status_code == 422, value
        assert "max_price" in response.text


async def test_missing_fields_are_refused(api: Api) -> None:
    response = await api.client.post("/api/jobs", json={"problem": "leak"})
    assert response.status_code == 422
    assert "zip_code" in response.text


async def test_add_providers_normalises_and_cleans(api: Api) -> None:
    job_id = await _job(api)
    response = await api.client.post(
        f"/api/jobs/{job_id}/providers",
        json={
            "providers": [
                {"service_provider": "**Ace Plumbing**", "phone_number": "(415) 555-0100"},
                {"service_provider": "Bay Rooter**", "phone_number": "+1 415-555-0101"},
            ]
        },
    )
    assert response.status_code == 201, response.text
    stored = response.json()
    assert [p["name"] for p in stored] == ["Ace Plumbing", "Bay Rooter"]
    assert [p["phone"] for p in stored] == ["+14155550100", "+14155550101"]
    listed = (await api.client.get(f"/api/providers/{job_id}")).json()
    assert [p["id"] for p in listed] == [p["id"] for p in stored]
    first = listed[0]
    for key in (
        "id",
        "job_id",
        "name",
        "phone",
        "estimated_price",
        "negotiated_price",
        "call_status",
    ):
        assert key in first
    assert first["call_status"] == "pending" and first["job_id"] == job_id
    status = (await api.client.get(f"/api/providers/{job_id}/status")).json()
    assert status[0]["call_transcript"] is None and "outcome" in status[0]


async def test_bad_phone_rejects_whole_request(api: Api) -> None:
    job_id = await _job(api)
    response = await api.client.post(
        f"/api/jobs/{job_id}/providers",
        json={
            "providers": [
                {"service_provider": "Good", "phone_number": "(415) 555-0100"},
                {"service_provider": "Bad", "phone_number": "555-12"},
            ]
        },
    )
    assert response.status_code == 422
    assert "555-12" in response.text
    assert (await api.client.get(f"/api/providers/{job_id}")).json() == []


async def test_providers_for_unknown_job(api: Api) -> None:
    response = await api.client.post(
        "/api/jobs/missing/providers",
        json={"providers": [{"service_provider": "A", "phone_number": "4155550100"}]},
    )
    assert response.status_code == 404


async def test_oversized_body_is_refused_and_nothing_stored(api: Api) -> None:
    job_id = await _job(api)
    many = [{"service_provider": f"P{i}" * 20, "phone_number": "4155550100"} for i in range(80)]
    response = await api.client.post(f"/api/jobs/{job_id}/providers", json={"providers": many})
    assert response.status_code == 413
    assert (await api.client.get(f"/api/providers/{job_id}")).json() == []


async def test_start_calls_forwards_with_token(api: Api) -> None:
    job_id = await _job(api)
    await api.client.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": "A", "phone_number": "4155550100"}]},
    )
    response = await api.client.post(f"/api/start-calls/{job_id}")
    assert response.status_code == 200
    assert response.json() == {
        "status": "started",
        "message": "Started calls for 2 providers",
        "provider_count": 2,
    }
    assert api.voice.requests == [(job_id, "Bearer s3cret-token")]


async def test_start_calls_errors(api: Api) -> None:
    unknown = await api.client.post("/api/start-calls/unknown")
    assert unknown.status_code == 404 and "Job not found" in unknown.text
    job_id = await _job(api)
    empty = await api.client.post(f"/api/start-calls/{job_id}")
    assert empty.status_code == 404 and "No providers" in empty.text
    assert api.voice.requests == []


async def test_voice_service_errors_pass_through(api: Api) -> None:
    job_id = await _job(api)
    await api.client.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": "A", "phone_number": "4155550100"}]},
    )
    api.voice.status_code, api.voice.body = 401, {"detail": "bad token"}
    response = await api.client.post(f"/api/start-calls/{job_id}")
    assert response.status_code == 401
    assert "bad token" in response.json()["detail"]


async def test_cors_names_origins(api: Api) -> None:
    allowed = await api.client.get("/api/health", headers={"Origin": "http://dashboard.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://dashboard.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    other = await api.client.get("/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_voice_service_down_is_503(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.main import create_app
    from shared.settings import load_settings
    from tests.support.servers import free_port, serve

    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        call_backend_url=f"http://127.0.0.1:{free_port()}",
        haggle_api_key=OPERATOR_KEY,
    )
    async with (
        serve(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, headers=OPERATOR) as client,
    ):
        job_id = (await client.post("/api/jobs", json=JOB)).json()["job_id"]
        await client.post(
            f"/api/jobs/{job_id}/providers",
            json={"providers": [{"service_provider": "A", "phone_number": "4155550100"}]},
        )
        response = await client.post(f"/api/start-calls/{job_id}")
        assert response.status_code == 503
        assert "unavailable" in response.json()["detail"]


async def test_offline_mode_offers_the_simulated_providers_of_the_jobs_trade(
    tmp_path: Path,
) -> None:
    """Against a real voice service in sim mode: the job's trade (from its problem, as the
    intake reads it) picks the personas, ready to add as the job's providers."""
    from voice_backend.app import create_app as create_voice

    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        data_dir=str(tmp_path),
        voice_backend_token="sim-token",
    )
    async with serve(create_voice(settings)) as voice_url:
        api_settings = load_settings(
            database_url=settings.database_url,
            call_backend_url=voice_url,
            voice_backend_token="sim-token",
            haggle_api_key=OPERATOR_KEY,
        )
        async with (
            serve(create_app(api_settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as client,
        ):
            job = await client.post(
                "/api/jobs", json={**JOB, "problem": "the front door lock is stuck"}
            )
            job_id = job.json()["job_id"]
            offer = await client.get(f"/api/jobs/{job_id}/simulated-providers")
            assert offer.status_code == 200, offer.text
            body = offer.json()
            assert body["trade"] == "locksmith"
            assert [p["service_provider"] for p in body["providers"]] == ["Keyway Locksmith"]
            # As the dashboard's button does: the name and number of each.
            providers = [
                {"service_provider": p["service_provider"], "phone_number": p["phone_number"]}
                for p in body["providers"]
            ]
            added = await client.post(
                f"/api/jobs/{job_id}/providers", json={"providers": providers}
            )
            assert added.status_code == 201 and len(added.json()) == 1


async def test_with_real_phones_there_are_no_simulated_providers_to_offer(api: Api) -> None:
    job_id = (await api.client.post("/api/jobs", json=JOB)).json()["job_id"]
    offer = await api.client.get(f"/api/jobs/{job_id}/simulated-providers")
    assert offer.status_code == 200
    assert offer.json()["providers"] == [] and "calls are real" in offer.json()["reason"]
