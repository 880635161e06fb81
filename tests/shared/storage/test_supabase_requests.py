"""The Supabase adapter speaks PostgREST's documented HTTP API, checked on the wire.

The fake PostgREST (`tests/support/postgrest.py`) records every request; these tests assert
on what the adapter actually sends (paths, filters, headers, bodies), on how it reads the
answers, and on how it reports failures. A few tests at the end check the fake itself, so
that a wrong request can be trusted to fail the contract suite.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from shared.models import CallStatus, CallUpdate, JobCreate, Outcome, ProviderCreate
from shared.storage.base import StoreError
from shared.storage.supabase import SupabaseStore
from tests.support.postgrest import (
    FakePostgrest,
    RecordedRequest,
    running_postgrest,
    serve_postgrest,
)

KEY = "sb-service-role-KEY-4f1d9c2e7a"


@pytest.fixture
async def fake() -> AsyncIterator[FakePostgrest]:
    async with serve_postgrest(KEY) as server:
        yield server


@pytest.fixture
async def store(fake: FakePostgrest) -> AsyncIterator[SupabaseStore]:
    opened = SupabaseStore(fake.url, KEY)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


def _job(**overrides: object) -> JobCreate:
    values: dict[str, object] = {
        "problem": "the toilet keeps running",
        "zip_code": "94110",
        "max_price": 150.0,
        "questions": [{"id": "q1", "question": "Which one?"}],
        "clarifications": {"q1": "upstairs"},
    }
    values.update(overrides)
    return JobCreate.model_validate(values)


_THREE = [
    ProviderCreate(service_provider=name, phone_number=f"+1415555010{index}")
    for index, name in enumerate(["Ace Plumbing", "Bay Rooter", "City Drains"])
]


def _only(requests: list[RecordedRequest]) -> RecordedRequest:
    assert len(requests) == 1, [(r.method, r.path, r.query) for r in requests]
    return requests[0]


def _assert_iso_utc(text: object) -> datetime:
    assert isinstance(text, str)
    parsed = datetime.fromisoformat(text)
    assert parsed.tzinfo is not None and parsed.utcoffset() is not None
    return parsed


def _assert_authenticated(request: RecordedRequest) -> None:
    assert request.headers["apikey"] == KEY
    assert request.headers["authorization"] == f"Bearer {KEY}"


# -- requests -----------------------------------------------------------------------------


async def test_open_pings_with_both_key_headers(fake: FakePostgrest) -> None:
    store = SupabaseStore(fake.url, KEY)
    await store.open()
    await store.close()
    ping = _only(fake.requests)
    assert (ping.method, ping.path) == ("GET", "/rest/v1/jobs")
    assert ping.param("select") == ["id"] and ping.param("limit") == ["1"]
    _assert_authenticated(ping)
    assert ping.headers["accept-profile"] == "public"


async def test_create_job_is_one_post_with_iso_times(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    fake.clear_requests()
    job = await store.create_job(_job())
    post = _only(fake.requests)
    assert (post.method, post.path, post.status) == ("POST", "/rest/v1/jobs", 201)
    _assert_authenticated(post)
    assert "return=representation" in post.prefer()
    assert post.headers["content-type"].startswith("application/json")
    body = post.json
    assert isinstance(body, dict)
    assert body["id"] == job.id
    assert _assert_iso_utc(body["created_at"]) == job.created_at
    assert _assert_iso_utc(body["updated_at"]) == job.updated_at
    assert body["max_price"] == 150.0
    assert body["questions"] == [{"id": "q1", "question": "Which one?"}]
    assert body["clarifications"] == {"q1": "upstairs"}


async def test_answers_are_parsed_to_aware_datetimes_floats_and_json(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job(max_price=99.5))
    stored = fake.rows("jobs")[0]
    # The fake answers as PostgREST does: numeric with its scale, timestamps with offset.
    fake.clear_requests()
    again = await store.get_job(job.id)
    raw = fake.requests[0]
    assert raw.param("id") == [f"eq.{job.id}"] and raw.param("select") == ["*"]
    assert stored["max_price"] == 99.5 and stored["created_at"].endswith("+00:00")
    assert again is not None and again == job
    assert isinstance(again.max_price, float) and again.max_price == 99.5
    assert again.created_at.tzinfo is not None and again.created_at == job.created_at
    assert again.questions == [{"id": "q1", "question": "Which one?"}]


async def test_bulk_insert_is_one_post_with_an_array(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job())
    fake.clear_requests()
    added = await store.add_providers(job, _THREE)
    post = _only(fake.requests)
    assert (post.method, post.path) == ("POST", "/rest/v1/providers")
    _assert_authenticated(post)
    assert "return=representation" in post.prefer()
    # ON CONFLICT (job_id, phone_number) DO NOTHING: a number the job has is left out.
    assert post.param("on_conflict") == ["job_id,phone_number"]
    assert "resolution=ignore-duplicates" in post.prefer()
    body = post.json
    assert isinstance(body, list) and len(body) == 3
    assert [row["service_provider"] for row in body] == [p.service_provider for p in _THREE]
    for row in body:
        assert "id" not in row  # the bigserial assigns it
        assert row["job_id"] == job.id and row["call_status"] == "pending"
        assert row["transcript_turns"] == [] and row["max_price"] == 150.0
        _assert_iso_utc(row["created_at"])
    # supabase-py names the columns of a bulk insert, as PostgREST's `columns=` documents.
    (columns,) = post.param("columns")
    assert {name.strip('"') for name in columns.split(",")} == set(body[0])
    assert [p.id for p in added] == sorted(p.id for p in added)
    assert all(p.created_at.tzinfo is not None for p in added)


async def test_failed_bulk_insert_leaves_nothing(fake: FakePostgrest, store: SupabaseStore) -> None:
    job = await store.create_job(_job())
    await store.add_providers(job, _THREE[:1])
    fake.clear_requests()
    missing = job.model_copy(update={"id": "no-such-job"})
    with pytest.raises(StoreError, match="23503"):
        await store.add_providers(missing, _THREE)
    assert len(fake.requests_to("providers", "POST")) == 1
    assert len(fake.rows("providers")) == 1


async def test_conditional_status_update_is_one_patch_with_an_in_filter(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _THREE))[0]
    fake.clear_requests()
    moved = await store.update_call(
        provider.id, CallUpdate(call_status=CallStatus.IN_PROGRESS, call_sid="CA1")
    )
    assert moved is not None and moved.call_status is CallStatus.IN_PROGRESS
    patch = _only(fake.requests)
    assert (patch.method, patch.path) == ("PATCH", "/rest/v1/providers")
    _assert_authenticated(patch)
    assert "return=representation" in patch.prefer()
    assert patch.filters() == {
        "id": [f"eq.{provider.id}"],
        "call_status": ["in.(pending,dialing,in_progress)"],
    }
    assert patch.json["call_status"] == "in_progress" and patch.json["call_sid"] == "CA1"
    _assert_iso_utc(patch.json["updated_at"])


async def test_a_finished_call_keeps_its_status_and_gets_other_fields(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _THREE))[0]
    await store.update_call(
        provider.id, CallUpdate(call_status=CallStatus.COMPLETED, outcome=Outcome.AGREED)
    )
    fake.clear_requests()
    late = await store.update_call(
        provider.id, CallUpdate(call_status=CallStatus.FAILED, minimum_quote=210.0)
    )
    assert late is not None and late.call_status is CallStatus.COMPLETED
    assert late.minimum_quote == 210.0
    first, second = fake.requests
    # The status move is refused by its filter (an empty answer), then the rest applies.
    assert first.filters()["call_status"] == ["in.(pending,dialing,in_progress)"]
    assert "call_status" not in second.filters() and second.filters()["id"] == [f"eq.{provider.id}"]
    assert "call_status" not in second.json and second.json["minimum_quote"] == 210.0


async def test_queue_and_claim_are_compare_and_set_patches(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job())
    provider = (await store.add_providers(job, _THREE))[0]
    fake.clear_requests()
    queued = await store.queue_calls(job.id)
    queue = _only(fake.requests)
    assert queue.method == "PATCH" and queue.filters() == {
        "job_id": [f"eq.{job.id}"],
        "call_status": ["eq.pending"],
        "queued_at": ["is.null"],
    }
    assert set(queue.json) == {"queued_at", "updated_at"}
    _assert_iso_utc(queue.json["queued_at"])
    assert [p.id for p in queued] == sorted(p.id for p in queued) and len(queued) == 3

    fake.clear_requests()
    claimed = await store.claim_call(provider.id, "worker-1")
    claim = _only(fake.requests)
    assert claim.method == "PATCH" and claim.filters() == {
        "id": [f"eq.{provider.id}"],
        "call_status": ["in.(pending)"],
        "queued_at": ["not.is.null"],
    }
    assert claim.json["call_status"] == "dialing" and claim.json["claimed_by"] == "worker-1"
    _assert_iso_utc(claim.json["dialed_at"])
    assert claimed is not None and claimed.dialed_at is not None
    assert claimed.dialed_at.tzinfo is not None
    assert await store.claim_call(provider.id, "worker-2") is None


async def test_reads_filter_and_order_in_the_query_string(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    job = await store.create_job(_job())
    await store.add_providers(job, _THREE)
    fake.clear_requests()
    await store.list_jobs(limit=7)
    await store.list_providers(job.id)
    await store.providers_in([CallStatus.DIALING, CallStatus.IN_PROGRESS], queued=False)
    jobs_read, providers_read, by_status = fake.requests
    assert jobs_read.path == "/rest/v1/jobs"
    assert jobs_read.param("order") == ["created_at.desc,id.asc"]
    assert jobs_read.param("limit") == ["7"] and jobs_read.param("offset") == []
    assert providers_read.filters() == {"job_id": [f"eq.{job.id}"]}
    assert providers_read.param("order") == ["id.asc"]
    assert by_status.filters() == {
        "call_status": ["in.(dialing,in_progress)"],
        "queued_at": ["is.null"],
    }
    assert all(request.method == "GET" and request.status == 200 for request in fake.requests)


async def test_long_lists_are_read_page_by_page() -> None:
    async with serve_postgrest(KEY, max_rows=2) as fake:
        store = SupabaseStore(fake.url, KEY, page_size=2)
        await store.open()
        try:
            job = await store.create_job(_job())
            five = [
                ProviderCreate(service_provider=f"P{index}", phone_number=f"+1415555020{index}")
                for index in range(5)
            ]
            added = await store.add_providers(job, five)
            fake.clear_requests()
            listed = await store.list_providers(job.id)
            assert listed == added
            pages = fake.requests
            assert [page.param("id") for page in pages] == [
                [],
                [f"gt.{added[1].id}"],
                [f"gt.{added[3].id}"],
            ]
            assert all(page.param("limit") == ["2"] for page in pages)
            second = await store.create_job(_job(problem="second"))
            third = await store.create_job(_job(problem="third"))
            newest = [j.id for j in await store.list_jobs(limit=3)]
            assert newest[:2] == [third.id, second.id] and len(newest) == 3
        finally:
            await store.close()


async def test_concurrent_claims_from_two_stores_have_one_winner() -> None:
    # The fake in its own thread: requests really race at the server's lock.
    with running_postgrest(KEY) as fake:
        stores = [SupabaseStore(fake.url, KEY) for _ in range(2)]
        for store in stores:
            await store.open()
        try:
            job = await stores[0].create_job(_job())
            provider = (await stores[0].add_providers(job, _THREE))[0]
            await stores[1].queue_calls(job.id)
            claims = await asyncio.gather(
                *(stores[i % 2].claim_call(provider.id, f"w{i}") for i in range(6))
            )
            assert len([claim for claim in claims if claim is not None]) == 1
        finally:
            for store in stores:
                await store.close()


# -- failures -----------------------------------------------------------------------------


async def test_server_error_raises_store_error_without_the_key(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    fake.fail_next(500, {"code": "XX000", "message": f"boom with {KEY}", "details": None})
    with pytest.raises(StoreError) as caught:
        await store.get_job("any")
    message = str(caught.value)
    assert KEY not in message and "\n" not in message and "XX000" in message


async def test_proxy_error_page_raises_store_error_without_the_key(
    fake: FakePostgrest, store: SupabaseStore
) -> None:
    fake.clear_requests()
    fake.fail_next(502, f"<html>\n<body>Bad gateway for apikey {KEY}</body>\n</html>")
    with pytest.raises(StoreError) as caught:
        await store.update_call(1, CallUpdate(call_status=CallStatus.FAILED))
    assert str(caught.value) == "Supabase refused the request: 502 Bad Gateway"
    assert len(fake.requests) == 1  # writes are never retried


async def test_ping_fails_fast_without_retrying(fake: FakePostgrest, store: SupabaseStore) -> None:
    fake.clear_requests()
    fake.fail_next(503, {"code": "08006", "message": "connection failure"})
    with pytest.raises(StoreError, match="08006"):
        await store.ping()
    assert len(fake.requests) == 1


async def test_wrong_key_fails_open_without_showing_either_key(fake: FakePostgrest) -> None:
    wrong = "sb-another-SECRET-8c7b6a5d"
    store = SupabaseStore(fake.url, wrong)
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert "Invalid API key" in str(caught.value)
    assert wrong not in str(caught.value) and KEY not in str(caught.value)
    assert _only(fake.requests).status == 401
    with pytest.raises(StoreError, match="not open"):
        await store.get_job("x")


async def test_unreachable_server_raises_store_error() -> None:
    async with serve_postgrest(KEY) as fake:
        url = fake.url  # nobody listens there once the server stopped
    store = SupabaseStore(url, KEY, timeout=2.0)
    with pytest.raises(StoreError, match="unreachable") as caught:
        await store.open()
    assert KEY not in str(caught.value) and "\n" not in str(caught.value)


async def test_invalid_url_raises_store_error() -> None:
    with pytest.raises(StoreError, match="Invalid URL"):
        await SupabaseStore("ftp://example.invalid", KEY).open()


# -- the fake is strict -------------------------------------------------------------------


async def _raw(
    fake: FakePostgrest,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    **kw: Any,
) -> httpx.Response:
    """One request straight to the fake, with the right key unless `headers` say otherwise."""
    sent = {"apikey": KEY, "Authorization": f"Bearer {KEY}"} | (headers or {})
    async with httpx.AsyncClient(base_url=fake.rest_url) as client:
        return await client.request(method, path, headers=sent, **kw)


async def test_fake_requires_both_key_headers(fake: FakePostgrest) -> None:
    async with httpx.AsyncClient(base_url=fake.rest_url) as client:
        assert (await client.get("/jobs")).status_code == 401
        assert (await client.get("/jobs", headers={"apikey": KEY})).status_code == 401
        bearer_only = await client.get("/jobs", headers={"Authorization": f"Bearer {KEY}"})
        assert bearer_only.status_code == 401
    assert (await _raw(fake, "GET", "/jobs")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/providers?nope=eq.1", None, 400, "42703"),
        ("GET", "/providers?select=id,nope", None, 400, "42703"),
        ("GET", "/providers?order=nope.desc", None, 400, "42703"),
        ("GET", "/providers?call_status=pending", None, 400, "PGRST100"),
        ("GET", "/providers?call_status=in.pending,dialing", None, 400, "PGRST100"),
        ("GET", "/providers?queued_at=is.nothing", None, 400, "PGRST100"),
        ("GET", "/providers?order=id.sideways", None, 400, "PGRST100"),
        ("GET", "/providers?limit=ten", None, 400, "PGRST100"),
        ("GET", "/providers?id=eq.abc", None, 400, "22P02"),
        ("GET", "/nope", None, 404, "PGRST205"),
        ("PATCH", "/providers", {"claimed_by": "x"}, 400, "21000"),
        ("PATCH", "/providers?id=eq.1", {"nope": 1}, 400, "PGRST204"),
        ("POST", "/jobs", {"id": "j", "problem": "p", "zip_code": 94110}, 400, "22P02"),
        ("POST", "/jobs", {"id": "j", "problem": "p"}, 400, "23502"),
        (
            "POST",
            "/jobs",
            [{"id": "a", "problem": "p", "zip_code": "1"}, {"id": "b"}],
            400,
            "PGRST102",
        ),
        (
            "POST",
            "/jobs",
            {"id": "j", "problem": "p", "zip_code": "1", "created_at": "2024-01-01T00:00:00"},
            400,
            "22007",
        ),
        (
            "POST",
            "/providers",
            {"job_id": "none", "service_provider": "s", "phone_number": "1"},
            409,
            "23503",
        ),
    ],
)
async def test_fake_rejects_wrong_requests(
    fake: FakePostgrest, method: str, path: str, body: object, status: int, code: str
) -> None:
    answer = await _raw(
        fake,
        method,
        path,
        content=None if body is None else json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["code"] == code and set(error) == {"code", "details", "hint", "message"}


async def test_fake_serialises_and_defaults_like_postgrest(fake: FakePostgrest) -> None:
    created = await _raw(
        fake,
        "POST",
        "/jobs",
        json={"id": "j1", "problem": "p", "zip_code": "1", "max_price": 150},
        headers={"Prefer": "return=representation"},
    )
    assert created.status_code == 201
    assert '"max_price":150.00' in created.text
    (row,) = created.json()
    assert row["questions"] == [] and row["clarifications"] == {}
    assert row["status"] == "ready_for_search" and row["created_at"].endswith("+00:00")
    minimal = await _raw(
        fake,
        "POST",
        "/providers",
        json=[
            {"job_id": "j1", "service_provider": "a", "phone_number": "1"},
            {"job_id": "j1", "service_provider": "b", "phone_number": "2"},
        ],
        headers={"Prefer": "return=minimal"},
    )
    assert minimal.status_code == 201 and minimal.content == b""
    providers = fake.rows("providers")
    assert [p["id"] for p in providers] == [1, 2]
    assert all(p["call_status"] == "pending" and p["transcript_turns"] == [] for p in providers)


async def test_fake_single_object_and_atomic_writes(fake: FakePostgrest) -> None:
    await _raw(fake, "POST", "/jobs", json={"id": "j1", "problem": "p", "zip_code": "1"})
    single = {"Accept": "application/vnd.pgrst.object+json"}
    one = await _raw(fake, "GET", "/jobs?id=eq.j1", headers=single)
    assert one.status_code == 200 and one.json()["id"] == "j1"
    none = await _raw(fake, "GET", "/jobs?id=eq.j2", headers=single)
    assert none.status_code == 406 and none.json()["code"] == "PGRST116"
    # A failed single-object PATCH is rolled back, as in PostgREST.
    await _raw(fake, "POST", "/jobs", json={"id": "j2", "problem": "p", "zip_code": "1"})
    both = await _raw(
        fake,
        "PATCH",
        "/jobs?id=in.(j1,j2)",
        json={"task": "t"},
        headers=single | {"Prefer": "return=representation"},
    )
    assert both.status_code == 406
    assert all(row["task"] is None for row in fake.rows("jobs"))
    # A bulk insert with one bad row inserts nothing.
    bad = await _raw(
        fake,
        "POST",
        "/providers",
        json=[
            {
                "job_id": "j1",
                "service_provider": "a",
                "phone_number": "1",
                "call_status": "pending",
            },
            {"job_id": "j1", "service_provider": "b", "phone_number": "2", "call_status": "odd"},
        ],
    )
    assert bad.status_code == 400 and bad.json()["code"] == "23514"
    assert fake.rows("providers") == []
    # Deleting a job cascades to its providers.
    await _raw(
        fake,
        "POST",
        "/providers",
        json={"job_id": "j1", "service_provider": "a", "phone_number": "1"},
    )
    gone = await _raw(fake, "DELETE", "/jobs?id=eq.j1")
    assert gone.status_code == 204 and fake.rows("providers") == []
