"""The original's intake flow over HTTP: `start-job` and `complete-job`, offline and by Grok
(against a fake gRPC Chat server), persisted, and never adding a number twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from xai_sdk.proto import chat_pb2

from api.intake.base import is_already_known
from api.main import create_app
from shared.settings import load_settings
from tests.api.conftest import OPERATOR, OPERATOR_KEY, Api
from tests.pricing.fake_chat import Fail, FakeChat, Reply, running_fake_chat
from tests.support.servers import serve, uvicorn_process

START = {
    "query": "fix my toilet",
    "house_address": "1 Main St, San Francisco",
    "zip_code": "94110",
    "price_limit": 150,
    "date_needed": "2026-12-01",
}
ORIGINAL_JOB_FIELDS = {
    "id",
    "original_query",
    "task",
    "house_address",
    "zip_code",
    "date_needed",
    "price_limit",
    "clarifications",
    "questions",
    "status",
}
ORIGINAL_PROVIDER_FIELDS = {
    "id",
    "job_id",
    "name",
    "phone",
    "estimated_price",
    "negotiated_price",
    "call_status",
}


async def _start(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/start-job", json=START | overrides)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _complete(client: httpx.AsyncClient, job_id: str, **body: Any) -> httpx.Response:
    return await client.post("/api/complete-job", json={"job_id": job_id, "answers": {}} | body)


# -- offline ---------------------------------------------------------------------------------


async def test_start_job_answers_in_the_original_shape_and_stores_the_job(api: Api) -> None:
    started = await _start(api.client)
    assert set(started) == {"job_id", "task", "questions"}
    assert started["task"] == "plumber"
    questions = started["questions"]
    assert 3 <= len(questions) <= 5
    assert [q["id"] for q in questions] == [f"q{n}" for n in range(1, len(questions) + 1)]
    assert all(set(q) == {"id", "question"} for q in questions)

    job = (await api.client.get(f"/api/jobs/{started['job_id']}")).json()
    assert set(job) >= ORIGINAL_JOB_FIELDS
    assert job["status"] == "collecting_info"
    assert job["original_query"] == "fix my toilet" and job["task"] == "plumber"
    assert job["questions"] == questions and job["clarifications"] == {}
    assert job["price_limit"] == 150 and job["date_needed"] == "2026-12-01"
    assert job["problem"] == "my toilet needs fixing"  # sayable even before the answers


@pytest.mark.parametrize(
    ("query", "task"),
    [
        ("my kitchen sink is clogged", "plumber"),
        ("water heater is leaking", "plumber"),
        ("the outlets in my bedroom stopped working", "electrician"),
        ("deep clean a 3 bedroom apartment", "house cleaner"),
        ("paint my living room", "painter"),
        ("AC is blowing warm air", "HVAC technician"),
        ("locked out of my house", "locksmith"),
        ("roof leak after the storm", "roofer"),
        ("mow the lawn and trim the hedges", "landscaper"),
        ("ants everywhere in the kitchen", "pest control"),
        ("dishwasher won't drain", "appliance repair technician"),
        ("mount a TV on the wall", "handyman"),
        ("something odd is going on", "handyman"),
    ],
)
async def test_offline_questions_fit_common_trades(api: Api, query: str, task: str) -> None:
    started = await _start(api.client, query=query)
    assert started["task"] == task
    questions = [q["question"] for q in started["questions"]]
    assert 3 <= len(questions) <= 5
    assert not [q for q in questions if is_already_known(q)], questions


async def test_complete_job_stores_answers_and_the_line_the_agent_says(api: Api) -> None:
    started = await _start(api.client, price_limit="no_limit")
    response = await _complete(
        api.client,
        started["job_id"],
        answers={"q1": "it keeps running", "q2": "  upstairs   bathroom ", "q3": "", "q4": 10},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"job", "providers", "providers_source", "message"}
    job = body["job"]
    assert set(job) >= ORIGINAL_JOB_FIELDS
    assert job["problem"] == "my toilet keeps running"
    assert job["clarifications"] == {
        "q1": "it keeps running",
        "q2": "upstairs   bathroom",
        "q4": "10",
    }
    q1, q2, _, q4 = (q["question"] for q in started["questions"][:4])
    # The answers are pairs, each with its own question; the agent's text never runs an
    # answer typed without a full stop into the next question.
    assert job["context_pairs"] == [
        {"question": q1, "answer": "it keeps running"},
        {"question": q2, "answer": "upstairs bathroom"},
        {"question": q4, "answer": "10"},
    ]
    assert job["context_answers"] == (
        f'Asked "{q1}", the homeowner said: It keeps running. '
        f'Asked "{q2}", the homeowner said: Upstairs bathroom. '
        f'Asked "{q4}", the homeowner said: 10.'
    )
    assert job["status"] == "ready_for_search" and job["price_limit"] == "no_limit"
    # No providers given and no search configured: the answer says so plainly.
    assert body["providers"] == [] and body["providers_source"] == "none"
    assert "add the providers" in body["message"]
    stored = (await api.client.get(f"/api/jobs/{started['job_id']}")).json()
    assert stored["problem"] == "my toilet keeps running"
    assert stored["context_answers"] == job["context_answers"]
    assert stored["context_pairs"] == job["context_pairs"]


async def test_a_repeated_complete_job_never_duplicates_providers(api: Api) -> None:
    job_id = (await _start(api.client))["job_id"]
    providers = [
        {"service_provider": "**Ace Plumbing**", "phone_number": "(415) 555-0100"},
        {"service_provider": "Bay Rooter", "phone_number": "415-555-0101"},
        {"service_provider": "Ace again", "phone_number": "+1 415 555 0100"},  # same number
    ]
    first = await _complete(
        api.client, job_id, answers={"q1": "it keeps running"}, providers=providers
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["providers_source"] == "request" and body["message"] is None
    assert body["job"]["status"] == "searched"
    assert [p["name"] for p in body["providers"]] == ["Ace Plumbing", "Bay Rooter"]
    assert all(set(p) >= ORIGINAL_PROVIDER_FIELDS for p in body["providers"])
    # The providers carry the job's details as they were once the answers were in.
    assert body["providers"][0]["phone"] == "+14155550100"

    again = await _complete(
        api.client, job_id, answers={"q1": "it keeps running"}, providers=providers
    )
    assert [p["id"] for p in again.json()["providers"]] == [p["id"] for p in body["providers"]]
    without = await _complete(api.client, job_id, answers={"q1": "it keeps running"})
    assert without.json()["providers_source"] == "existing"
    assert len(without.json()["providers"]) == 2
    more = await _complete(
        api.client,
        job_id,
        answers={"q1": "it keeps running"},
        providers=[*providers, {"service_provider": "Drain Kings", "phone_number": "4155550102"}],
    )
    assert [p["name"] for p in more.json()["providers"]] == [
        "Ace Plumbing",
        "Bay Rooter",
        "Drain Kings",
    ]
    # The providers route skips numbers the job already has too.
    added = await api.client.post(
        f"/api/jobs/{job_id}/providers",
        json={"providers": [{"service_provider": "Ace", "phone_number": "415 555 0100"}]},
    )
    assert added.status_code == 201 and added.json() == []
    listed = (await api.client.get(f"/api/providers/{job_id}")).json()
    assert len(listed) == 3


async def test_validation_errors(api: Api) -> None:
    for missing in START:
        body = {key: value for key, value in START.items() if key != missing}
        response = await api.client.post("/api/start-job", json=body)
        assert response.status_code == 422, missing
        assert missing in response.text
    for bad in ({"price_limit": "cheap"}, {"price_limit": -5}, {"zip_code": "<script>"},
                {"query": "x"}, {"surprise": 1}):  # fmt: skip
        response = await api.client.post("/api/start-job", json=START | bad)
        assert response.status_code == 422, bad

    missing_job = await _complete(api.client, "nope")
    assert missing_job.status_code == 404
    assert missing_job.json()["detail"] == "Job not found: nope"
    job_id = (await _start(api.client))["job_id"]
    no_answers = await api.client.post("/api/complete-job", json={"job_id": job_id})
    assert no_answers.status_code == 422 and "answers" in no_answers.text
    bad_phone = await _complete(
        api.client,
        job_id,
        answers={"q1": "it keeps running"},
        providers=[
            {"service_provider": "Ace", "phone_number": "415 555 0100"},
            {"service_provider": "Nobody", "phone_number": "12"},
        ],
    )
    assert bad_phone.status_code == 422
    assert bad_phone.json()["detail"][0]["loc"] == ["body", "providers", 1, "phone_number"]
    # Nothing of a refused request is stored: no answers, no providers.
    job = (await api.client.get(f"/api/jobs/{job_id}")).json()
    assert job["clarifications"] == {} and job["status"] == "collecting_info"
    assert (await api.client.get(f"/api/providers/{job_id}")).json() == []


def test_the_job_survives_a_restart_between_the_two_steps(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'haggle.db'}", "HAGGLE_API_KEY": OPERATOR_KEY}
    with uvicorn_process("api.main:app", env) as (url, _):
        started = httpx.post(f"{url}/api/start-job", json=START, headers=OPERATOR).json()
    with uvicorn_process("api.main:app", env) as (url, _):
        response = httpx.post(
            f"{url}/api/complete-job",
            json={"job_id": started["job_id"], "answers": {"q1": "it keeps running"}},
            headers=OPERATOR,
        )
        assert response.status_code == 200, response.text
        assert response.json()["job"]["problem"] == "my toilet keeps running"
        assert response.json()["job"]["questions"] == started["questions"]


# -- Grok, on a fake Chat server -------------------------------------------------------------


@asynccontextmanager
async def _grok_api(
    tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FakeChat]]:
    async with running_fake_chat() as fake:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / 'haggle.db'}",
            xai_api_key="test-key",
            xai_api_host=fake.host,
            intake_model="grok-intake-test",
            intake_timeout_seconds=2,
            haggle_api_key=OPERATOR_KEY,
            **overrides,
        )
        async with (
            serve(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, headers=OPERATOR) as client,
        ):
            yield client, fake


def _texts(request: chat_pb2.GetCompletionsRequest) -> list[str]:
    return [message.content[0].text for message in request.messages]


async def test_grok_writes_the_task_questions_and_statement(tmp_path: Path) -> None:
    async with _grok_api(tmp_path) as (client, fake):
        fake.script = [
            Reply(
                json.dumps(
                    {
                        "task": "Plumber",
                        "questions": [
                            "What is the toilet doing exactly",
                            "What is your budget for this repair?",  # dropped: known
                            "What is your address?",  # dropped: known
                            "Is the water supply valve working?",
                            "How old is the toilet?",
                            "Is the floor around it wet?",
                            "Does the handle stick?",
                        ],
                    }
                )
            ),
            Reply(json.dumps({"statement": "My toilet keeps running and the handle sticks."})),
        ]
        started = await _start(client)
        assert started["task"] == "plumber"
        assert [q["question"] for q in started["questions"]] == [
            "What is the toilet doing exactly?",
            "Is the water supply valve working?",
            "How old is the toilet?",
            "Is the floor around it wet?",
            "Does the handle stick?",
        ]
        completed = await _complete(
            client, started["job_id"], answers={"q1": "it keeps running", "q5": "yes"}
        )
        assert completed.json()["job"]["problem"] == "My toilet keeps running and the handle sticks"

        clarify, statement = fake.requests
        assert clarify.model == "grok-intake-test"
        assert clarify.response_format.format_type == chat_pb2.FormatType.FORMAT_TYPE_JSON_SCHEMA
        assert set(json.loads(clarify.response_format.schema)["properties"]) == {
            "task",
            "questions",
        }
        rules, asked = _texts(clarify)
        assert "Never ask about the address" in rules and asked == "Request: fix my toilet"
        rules, asked = _texts(statement)
        assert "first person" in rules
        assert "A: it keeps running" in asked and "Does the handle stick?\nA: yes" in asked
        assert fake.metadata[0]["authorization"] == "Bearer test-key"


async def test_grok_failures_fall_back_to_the_offline_rules(tmp_path: Path) -> None:
    async with _grok_api(tmp_path) as (client, fake):
        fake.script = [
            Fail(grpc.StatusCode.UNAVAILABLE),
            Fail(grpc.StatusCode.UNAVAILABLE),  # the one retry
            Reply("not json at all"),
        ]
        started = await _start(client)
        assert started["task"] == "plumber" and len(started["questions"]) == 5
        assert len(fake.requests) == 2
        completed = await _complete(client, started["job_id"], answers={"q1": "it keeps running"})
        assert completed.status_code == 200
        assert completed.json()["job"]["problem"] == "my toilet keeps running"


async def test_grok_finds_providers_with_web_search_once(tmp_path: Path) -> None:
    async with _grok_api(tmp_path, provider_search="grok") as (client, fake):
        questions = {"task": "plumber", "questions": ["What happens?", "Which toilet?", "How old?"]}
        found = {
            "providers": [
                {"name": "**Ace Plumbing**", "phone": "(415) 555-0100"},
                {"name": "Made Up", "phone": "555"},  # not dialable: dropped
                {"name": "Ace Plumbing SF", "phone": "+1 415 555 0100"},  # same number
                {"name": "Bay Rooter", "phone": "415-555-0101"},
            ]
        }
        fake.script = [
            Reply(json.dumps(questions)),
            Reply(json.dumps({"statement": "my toilet keeps running"})),
            Reply(json.dumps(found)),
            Reply(json.dumps({"statement": "my toilet keeps running"})),
        ]
        started = await _start(client)
        completed = (await _complete(client, started["job_id"], answers={"q1": "it runs"})).json()
        assert completed["providers_source"] == "search" and completed["message"] is None
        assert [(p["name"], p["phone"]) for p in completed["providers"]] == [
            ("Ace Plumbing", "+14155550100"),
            ("Bay Rooter", "+14155550101"),
        ]
        search = fake.requests[2]
        assert [tool.WhichOneof("tool") for tool in search.tools] == ["web_search"]
        assert "plumber businesses near zip code 94110" in _texts(search)[1]
        # Asked again, the job keeps its providers and nobody searches twice.
        again = (await _complete(client, started["job_id"], answers={"q1": "it runs"})).json()
        assert again["providers_source"] == "existing" and len(again["providers"]) == 2
        assert len(fake.requests) == 4


async def test_a_failed_search_says_so_and_keeps_the_job(tmp_path: Path) -> None:
    async with _grok_api(tmp_path, provider_search="grok") as (client, fake):
        fake.script = [
            Reply(json.dumps({"task": "plumber", "questions": ["What?", "Where?", "How?"]})),
            Reply(json.dumps({"statement": "my toilet keeps running"})),
            Fail(grpc.StatusCode.PERMISSION_DENIED, "no search for you"),
        ]
        started = await _start(client)
        response = await _complete(client, started["job_id"], answers={"q1": "it runs"})
        assert response.status_code == 200
        body = response.json()
        assert body["providers"] == [] and body["providers_source"] == "search"
        assert "search failed" in body["message"] and "PERMISSION_DENIED" in body["message"]
        assert body["job"]["problem"] == "my toilet keeps running"
