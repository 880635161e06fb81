"""Offline mode end to end: the job API and the voice service on real servers, with
`TELEPHONY=sim` (simulated Twilio and persona phones, in the voice service) and `AGENT=local`.
Nothing is faked: the calls go over the Twilio protocol with real speech both ways."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.main import create_app as create_api
from shared.settings import load_settings
from tests.fakes.grok_realtime import FakeGrok
from tests.support.access import OPERATOR, OPERATOR_KEY
from tests.support.servers import bound_socket, free_port, serve
from voice_backend.app import create_app as create_voice
from voice_backend.sim.persona import Concession, Persona, PersonaKind, load_personas
from voice_backend.sim.telephony import sim_directory

#: Real speech recognised in line time: these tests share one xdist worker (pyproject.toml).
pytestmark = pytest.mark.xdist_group("speech")

TOKEN = "offline-test-token"


def _pick(personas: dict[str, Persona]) -> dict[str, str]:
    """One persona of each kind a job meets: a haggler who concedes, and each non-human."""
    wanted: dict[str, str] = {}
    for key, persona in sorted(personas.items()):
        if persona.kind is PersonaKind.HUMAN:
            floor = persona.floor
            concedes = persona.concession is Concession.SPLIT and floor is not None
            if concedes and floor is not None and floor <= 150 and "human" not in wanted:
                wanted["human"] = key
        elif persona.kind.value not in wanted:
            wanted[persona.kind.value] = key
    return wanted


async def _finished(api: httpx.AsyncClient, job_id: str, within: float) -> list[dict[str, Any]]:
    async with asyncio.timeout(within):
        while True:
            rows: list[dict[str, Any]] = (await api.get(f"/api/providers/{job_id}/status")).json()
            if rows and all(row["call_status"] in ("completed", "failed") for row in rows):
                return rows
            await asyncio.sleep(0.25)


async def test_simulated_providers_against_the_local_agent(tmp_path: Path) -> None:
    personas = load_personas()
    chosen = _pick(personas)
    assert set(chosen) == {"human", "busy", "no_answer", "voicemail", "declines"}, chosen
    numbers = {key: number for number, key in sim_directory(personas).items()}
    sock, voice_url = bound_socket()
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/haggle.db",
        telephony="sim",
        agent="local",
        public_base_url=voice_url,
        voice_backend_token=TOKEN,
        data_dir=str(tmp_path / "data"),
        calls_per_second=20,
        ring_timeout_seconds=5,
        sim_speed=2.0,
        # No price model: a closed loopback port, so extraction falls back offline.
        xai_api_host=f"127.0.0.1:{free_port()}",
    )
    api_settings = load_settings(
        database_url=settings.database_url,
        call_backend_url=voice_url,
        voice_backend_token=TOKEN,
        haggle_api_key=OPERATOR_KEY,
    )
    async with (
        serve(create_voice(settings), sock=sock),
        serve(create_api(api_settings)) as api_url,
        httpx.AsyncClient(base_url=api_url, timeout=10, headers=OPERATOR) as api,
    ):
        job = await api.post(
            "/api/jobs",
            json={"problem": "my toilet keeps running", "zip_code": "94110", "max_price": 150},
        )
        job_id = job.json()["job_id"]
        providers = [
            {"service_provider": personas[key].name, "phone_number": numbers[key]}
            for key in chosen.values()
        ]
        added = await api.post(f"/api/jobs/{job_id}/providers", json={"providers": providers})
        assert added.status_code == 201, added.text
        started = await api.post(f"/api/start-calls/{job_id}")
        assert started.json()["provider_count"] == len(chosen)
        rows = await _finished(api, job_id, within=150)
        # The simulated Twilio reports each call's duration, as Twilio does: a cost follows.
        async with asyncio.timeout(10):
            while any(r["cost"] is None for r in rows if r["call_status"] == "completed"):
                await asyncio.sleep(0.1)
                rows = (await api.get(f"/api/providers/{job_id}/status")).json()

    by_kind = {
        kind: next(r for r in rows if r["name"] == personas[key].name)
        for kind, key in chosen.items()
    }
    assert (by_kind["busy"]["call_status"], by_kind["busy"]["outcome"]) == ("failed", "busy")
    no_answer = by_kind["no_answer"]
    assert (no_answer["call_status"], no_answer["outcome"]) == ("failed", "no_answer")
    voicemail = by_kind["voicemail"]
    assert (voicemail["call_status"], voicemail["outcome"]) == ("failed", "voicemail")
    declines = by_kind["declines"]
    assert (declines["call_status"], declines["outcome"]) == ("completed", "declined")
    assert declines["negotiated_price"] is None

    human = by_kind["human"]
    persona = personas[chosen["human"]]
    assert human["call_status"] == "completed", human
    assert human["outcome"] in ("agreed", "no_agreement"), human
    assert human["duration_seconds"] >= 1 and human["cost"] > 0, human
    lines = human["call_transcript"].splitlines()
    assert len(lines) >= 6, lines
    assert any(f"Hi, is this {persona.name}?" in line for line in lines[:2]), lines
    assert any("[USER]" in line for line in lines) and any("[ASSISTANT]" in line for line in lines)
    if human["negotiated_price"] is not None:
        # Never above the budget, whatever was heard. (Whether it is a price the provider
        # really said depends on the recogniser: bench/personas.py measures that.)
        assert 0 < human["negotiated_price"] <= 150, human


async def test_the_grok_agent_against_a_simulated_provider(tmp_path: Path) -> None:
    """`TELEPHONY=sim` with `AGENT=grok`: the same simulated provider, Grok's protocol (a
    scripted fake Grok Realtime server on loopback) on the agent's side."""
    personas = load_personas()
    key = _pick(personas)["human"]
    number = next(n for n, k in sim_directory(personas).items() if k == key)
    name = personas[key].name
    async with FakeGrok() as grok:
        # The fake speaks tones, not words: it lets the provider pick up and speak first (its
        # greeting is real speech, heard by the fake's VAD), then asks, then closes after the
        # silence that follows (the persona hears no words in a tone).
        grok.on_response("", audio_ms=0)
        grok.on_speech(f"{name} this is joe")
        grok.on_response(f"Hi, is this {name}?", audio_ms=900)
        grok.on_response("Thanks, I will call you back.", audio_ms=900, end_call="no_agreement")
        sock, voice_url = bound_socket()
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path}/haggle.db",
            telephony="sim",
            agent="grok",
            xai_api_key=grok.api_key,
            grok_realtime_url=grok.url,
            public_base_url=voice_url,
            voice_backend_token=TOKEN,
            data_dir=str(tmp_path / "data"),
            sim_speed=2.0,
            silence_limit_seconds=3,
            xai_api_host=f"127.0.0.1:{free_port()}",
        )
        api_settings = load_settings(
            database_url=settings.database_url,
            call_backend_url=voice_url,
            voice_backend_token=TOKEN,
            haggle_api_key=OPERATOR_KEY,
        )
        async with (
            serve(create_voice(settings), sock=sock),
            serve(create_api(api_settings)) as api_url,
            httpx.AsyncClient(base_url=api_url, timeout=10, headers=OPERATOR) as api,
        ):
            job = await api.post(
                "/api/jobs", json={"problem": "toilet", "zip_code": "94110", "max_price": 150}
            )
            job_id = job.json()["job_id"]
            body = {"providers": [{"service_provider": personas[key].name, "phone_number": number}]}
            (await api.post(f"/api/jobs/{job_id}/providers", json=body)).raise_for_status()
            (await api.post(f"/api/start-calls/{job_id}")).raise_for_status()
            (row,) = await _finished(api, job_id, within=60)
        session = grok.session
    assert row["call_status"] == "completed", row
    lines = row["call_transcript"].splitlines()
    assert lines[:2] == [f"1. [USER]: {name} this is joe", f"2. [ASSISTANT]: Hi, is this {name}?"]
    assert lines[-1].endswith("[ASSISTANT]: Thanks, I will call you back."), lines
    # The simulated provider's speech reached Grok as μ-law, and Grok's audio played to it.
    assert session.config is not None
    assert session.config["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert len(session.audio_in) > 8000 * 3
    assert session.closed.is_set()
