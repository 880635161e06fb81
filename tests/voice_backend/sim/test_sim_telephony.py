"""Simulated telephony's directory and the voice service's offline wiring."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from shared.settings import load_settings
from tests.support.servers import free_port, serve
from voice_backend.app import SIM_PUBLIC_BASE_URL
from voice_backend.app import create_app as create_voice
from voice_backend.sim.persona import load_personas
from voice_backend.sim.telephony import SimTelephony, sim_directory
from voice_backend.telephony.base import DialRequest


async def test_every_persona_has_a_number_and_any_number_reaches_one() -> None:
    personas = load_personas()
    directory = sim_directory(personas)
    assert sorted(directory.values()) == sorted(personas)
    assert min(directory) == "+14155550101"
    telephony = SimTelephony(
        public_base_url="http://127.0.0.1:1", auth_token="t", personas=personas
    )
    for number, key in directory.items():
        assert telephony.persona_for(number) == personas[key]
    stranger = telephony.persona_for("+12125550199")
    assert stranger in personas.values()
    assert telephony.persona_for("+12125550199") == stranger  # the same one every time
    await telephony.close()


async def test_offline_mode_is_ready_without_any_credentials(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/h.db", data_dir=str(tmp_path))
    app = create_voice(settings)
    assert app.state.settings.public_base_url == SIM_PUBLIC_BASE_URL
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["telephony"] == "sim" and ready["agent"] == "local"


async def test_a_bad_persona_folder_is_a_clear_reason_not_to_call(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('name = "X"\nkind = "human"\n')
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        data_dir=str(tmp_path),
        sim_personas_dir=str(tmp_path),
    )
    async with serve(create_voice(settings)) as url, httpx.AsyncClient(base_url=url) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    (problem,) = ready.json()["problems"]
    assert "TELEPHONY=sim cannot load its personas" in problem and "opening_quote" in problem


async def test_the_directory_lists_every_persona_to_a_caller_with_the_token(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        data_dir=str(tmp_path),
        voice_backend_token="directory-token",
    )
    personas = load_personas()
    numbers = {key: number for number, key in sim_directory(personas).items()}
    async with (
        serve(create_voice(settings)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        refused = [
            await client.get("/sim/directory", headers=headers)
            for headers in ({}, {"Authorization": "Bearer wrong"})
        ]
        listed = await client.get(
            "/sim/directory", headers={"Authorization": "Bearer directory-token"}
        )
        locksmiths = await client.get(
            "/sim/directory",
            params={"trade": "Locksmith"},
            headers={"Authorization": "Bearer directory-token"},
        )
    assert [response.status_code for response in refused] == [401, 401]
    assert listed.status_code == 200
    entries = listed.json()
    assert [entry["key"] for entry in entries] == sorted(personas)
    for entry in entries:
        persona = personas[entry["key"]]
        assert entry["name"] == persona.name
        assert entry["phone"] == numbers[entry["key"]]
        assert entry["kind"] == persona.kind.value
        assert entry["description"] == persona.description
        assert entry["trade"] == persona.trade
    assert [entry["name"] for entry in locksmiths.json()] == ["Keyway Locksmith"]


async def test_offline_mode_on_any_port_reaches_the_service_it_runs_in(tmp_path: Path) -> None:
    """No PUBLIC_BASE_URL and a port other than 6000: the simulated Twilio's webhooks still
    reach this service, so a call ends (here: busy) instead of hanging at "Dialing"."""
    from api.main import create_app as create_api
    from tests.support.access import OPERATOR, OPERATOR_KEY
    from tests.support.servers import bound_socket

    personas = load_personas()
    busy = next(k for k, p in personas.items() if p.kind.value == "busy")
    number = next(n for n, k in sim_directory(personas).items() if k == busy)
    sock, voice_url = bound_socket()
    assert not voice_url.endswith(":6000")
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        data_dir=str(tmp_path),
        calls_per_second=20,
        voice_backend_token="port-token",
    )
    api_settings = load_settings(
        database_url=settings.database_url,
        call_backend_url=voice_url,
        voice_backend_token="port-token",
        haggle_api_key=OPERATOR_KEY,
    )
    async with (
        serve(create_voice(settings), sock=sock),
        serve(create_api(api_settings)) as api_url,
        httpx.AsyncClient(base_url=api_url, timeout=10, headers=OPERATOR) as api,
    ):
        job = await api.post(
            "/api/jobs", json={"problem": "leaky faucet", "zip_code": "94110", "max_price": 150}
        )
        job_id = job.json()["job_id"]
        body = {"providers": [{"service_provider": personas[busy].name, "phone_number": number}]}
        (await api.post(f"/api/jobs/{job_id}/providers", json=body)).raise_for_status()
        (await api.post(f"/api/start-calls/{job_id}")).raise_for_status()
        rows: list[dict[str, object]] = []
        async with asyncio.timeout(30):
            while not rows or rows[0]["call_status"] not in ("completed", "failed"):
                await asyncio.sleep(0.25)
                rows = (await api.get(f"/api/providers/{job_id}/status")).json()
    assert (rows[0]["call_status"], rows[0]["outcome"]) == ("failed", "busy")


async def test_a_simulated_call_tells_its_status_as_twilios_calls_resource_would() -> None:
    personas = load_personas()
    busy = next(n for n, key in sim_directory(personas).items() if personas[key].kind == "busy")
    telephony = SimTelephony(
        public_base_url=f"http://127.0.0.1:{free_port()}",  # nobody there: callbacks lost
        auth_token="t",
        personas=personas,
        speed=20,
    )
    try:
        call_sid = await telephony.place_call(
            DialRequest(1, busy, "http://x/twiml", "http://x/status", "http://x/amd", 30, 600)
        )
        await telephony.wait_idle()
        assert await telephony.call_status(call_sid) == "busy"
        assert await telephony.call_status("CA" + "0" * 32) is None
    finally:
        await telephony.close()
