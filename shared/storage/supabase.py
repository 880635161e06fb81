"""Storage through Supabase's REST API (PostgREST), with supabase-py's async client.

Every primitive is one HTTP request, so it is as atomic as the SQL store's statement:

* a bulk insert is one `POST` with a JSON array (PostgREST inserts it in one transaction);
* a conditional update is one `PATCH` whose conditions are filters in the query string
  (`id=eq.5&call_status=in.(pending,dialing)&queued_at=not.is.null`) with
  `Prefer: return=representation`: PostgREST runs it as one `UPDATE ... WHERE ... RETURNING`,
  a compare-and-set. An empty answer means the conditions did not hold.

Values travel as JSON: datetimes are sent as ISO-8601 strings and parsed back timezone-aware,
prices come back as JSON numbers, the JSON columns as JSON. Errors of the transport or of the
API become `StoreError` with one line that never contains the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from postgrest import APIError, AsyncSelectRequestBuilder
from postgrest.types import ReturnMethod

from shared.storage.base import Store, StoreError, Where
from shared.storage.postgrest_errors import (
    UNIQUE_VIOLATION,
    Conflict,
    refused,
)
from shared.storage.postgrest_rows import decode, encode, filtered
from shared.storage.schema import call_attempts, jobs, providers
from shared.storage.supabase_rest import DEFAULT_PAGE_SIZE, SupabaseRest

_Query = AsyncSelectRequestBuilder
_JOBS = jobs.name
_PROVIDERS = providers.name
_ATTEMPTS = call_attempts.name
#: Ids sent in one `in.(…)` filter: a query string stays well under the proxies' limits.
_IDS_PER_REQUEST = 200


class SupabaseStore(SupabaseRest, Store):
    """Jobs and providers in a Supabase project's tables, through its REST API.

    `url` is the project URL (`https://<ref>.supabase.co`) and `key` the service-role key
    (server side only). `page_size` must not exceed the project's `max_rows` (1000 unless
    changed): reads of more rows than that are fetched page by page. `retry_reads` lets
    supabase-py retry idempotent reads (GET) after a transient failure; writes are never
    retried by the client.
    """

    # -- primitives ------------------------------------------------------------------------

    async def _insert_job(self, row: dict[str, Any]) -> dict[str, Any]:
        query = self._table(_JOBS).insert(encode(row), returning=ReturnMethod.representation)
        rows = await self._execute(query)
        if len(rows) != 1:
            raise StoreError(f"Supabase returned {len(rows)} rows for one inserted job")
        return decode(_JOBS, rows[0])

    async def _select_job(self, job_id: str) -> dict[str, Any] | None:
        rows = await self._execute(self._table(_JOBS).select("*").eq("id", job_id))
        return decode(_JOBS, rows[0]) if rows else None

    async def _select_jobs(self, limit: int, account_id: str | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        # Offset pages: the order is total (created_at, then the unique id).
        while len(found) < limit:
            size = min(self._page_size, limit - len(found))
            query = (
                self._table(_JOBS)
                .select("*")
                .order("created_at", desc=True)
                .order("id")
                .limit(size)
            )
            if account_id is not None:
                query = query.eq("account_id", account_id)
            if found:
                query = query.offset(len(found))
            page = await self._execute(query)
            found.extend(decode(_JOBS, row) for row in page)
            if len(page) < size:
                break
        return found

    async def _patch_job(self, job_id: str, values: dict[str, Any]) -> dict[str, Any] | None:
        query = self._table(_JOBS).update(encode(values), returning=ReturnMethod.representation)
        rows = await self._execute(query.eq("id", job_id))
        return decode(_JOBS, rows[0]) if rows else None

    async def _insert_providers(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # One POST with a JSON array, in one transaction; `ON CONFLICT (job_id, phone_number)
        # DO NOTHING` leaves out a number the job has already, and only new rows come back.
        query = self._table(_PROVIDERS).upsert(
            [encode(row) for row in rows],
            returning=ReturnMethod.representation,
            on_conflict="job_id,phone_number",
            ignore_duplicates=True,
            default_to_null=False,
        )
        inserted = [decode(_PROVIDERS, row) for row in await self._execute(query)]
        return sorted(inserted, key=lambda row: row["id"])

    async def _select_provider(self, provider_id: int) -> dict[str, Any] | None:
        rows = await self._execute(self._table(_PROVIDERS).select("*").eq("id", provider_id))
        return decode(_PROVIDERS, rows[0]) if rows else None

    async def _select_providers(self, job_id: str) -> list[dict[str, Any]]:
        return await self._select_providers_by_id(lambda query: query.eq("job_id", job_id))

    async def _select_by_status(
        self, statuses: list[str], queued: bool | None
    ) -> list[dict[str, Any]]:
        if not statuses:
            return []

        def where(query: _Query) -> _Query:
            query = query.in_("call_status", statuses)
            if queued is True:
                query = query.not_.is_("queued_at", "null")
            elif queued is False:
                query = query.is_("queued_at", "null")
            return query

        return await self._select_providers_by_id(where)

    async def _select_changed_since(self, since: datetime) -> list[tuple[str, datetime | None]]:
        stamp = since.isoformat()
        changed: list[tuple[str, datetime | None]] = []
        for table, key in ((_JOBS, "id"), (_PROVIDERS, "job_id")):
            query = (
                self._table(table)
                .select(f"{key},updated_at")
                .gte("updated_at", stamp)
                .order("updated_at", desc=True)
                .limit(self._page_size)
            )
            for row in await self._execute(query):
                decoded = decode(table, row)
                changed.append((decoded[key], decoded["updated_at"]))
        return changed

    async def _patch_provider(
        self,
        provider_id: int,
        values: dict[str, Any],
        *,
        only_if_status_in: list[str] | None = None,
        only_if_queued: bool = False,
    ) -> dict[str, Any] | None:
        if only_if_status_in is not None and not only_if_status_in:
            return None  # `status IN ()` holds for no row
        # One PATCH whose conditions are filters: PostgREST's UPDATE ... WHERE is the
        # compare-and-set; an empty answer means the conditions did not hold (or no row).
        query = self._table(_PROVIDERS).update(
            encode(values), returning=ReturnMethod.representation
        )
        query = query.eq("id", provider_id)
        if only_if_status_in is not None:
            query = query.in_("call_status", only_if_status_in)
        if only_if_queued:
            query = query.not_.is_("queued_at", "null")
        rows = await self._execute(query)
        return decode(_PROVIDERS, rows[0]) if rows else None

    async def _patch_providers_where(
        self, values: dict[str, Any], where: Where
    ) -> list[dict[str, Any]]:
        query = self._table(_PROVIDERS).update(
            encode(values), returning=ReturnMethod.representation
        )
        if where.job_id is not None:
            query = query.eq("job_id", where.job_id)
        if where.provider_id is not None:
            query = query.eq("id", where.provider_id)
        if where.attempt is not None:
            query = query.eq("attempt", where.attempt)
        if where.statuses is not None:
            if not where.statuses:
                return []  # `status IN ()` holds for no row
            if len(where.statuses) == 1:
                query = query.eq("call_status", where.statuses[0])
            else:
                query = query.in_("call_status", list(where.statuses))
        if where.queued is True:
            query = query.not_.is_("queued_at", "null")
        elif where.queued is False:
            query = query.is_("queued_at", "null")
        if where.claimed_by is not None:
            query = query.eq("claimed_by", where.claimed_by)
        if where.lease_before is not None:
            query = query.lt("lease_expires_at", where.lease_before.isoformat())
        rows = [decode(_PROVIDERS, row) for row in await self._execute(query)]
        return sorted(rows, key=lambda row: row["id"])

    async def _insert_attempt(self, row: dict[str, Any]) -> bool:
        query = self._table(_ATTEMPTS).insert(encode(row), returning=ReturnMethod.minimal)
        try:
            await query.execute()
        except APIError as error:
            if error.code == UNIQUE_VIOLATION:
                return False  # kept already: the id is the provider and attempt number
            raise refused(error, self._key) from None
        except httpx.HTTPError as error:
            raise StoreError(f"Supabase request failed: {type(error).__name__}") from None
        return True

    async def _select_attempts(self, job_id: str) -> list[dict[str, Any]]:
        return await self._select_pages(
            _ATTEMPTS,
            lambda query: query.eq("job_id", job_id).order("provider_id").order("attempt"),
        )

    async def _select_due(self, now: datetime) -> list[dict[str, Any]]:
        return await self._select_providers_by_id(
            lambda query: query.lte("next_attempt_at", now.isoformat()).in_(
                "call_status", ["completed", "failed"]
            )
        )

    async def _select_costs(self, since: datetime) -> list[dict[str, Any]]:
        def where(query: _Query) -> _Query:
            return query.gte("ended_at", since.isoformat()).not_.is_("cost", "null").order("id")

        found: list[dict[str, Any]] = []
        for table in (_PROVIDERS, _ATTEMPTS):
            found += await self._select_pages(table, where, columns="job_id,cost")
        return found

    async def _insert_row(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        query = self._table(table).insert(encode(row), returning=ReturnMethod.representation)
        try:
            rows = await self._execute(query, conflicts=True)
        except Conflict:
            return None
        return decode(table, rows[0]) if rows else None

    async def _select_rows(self, table: str, where: dict[str, Any]) -> list[dict[str, Any]]:
        query = filtered(self._table(table).select("*"), where)
        return [decode(table, row) for row in await self._execute(query)]

    async def _update_rows(
        self, table: str, where: dict[str, Any], values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if not where:
            raise ValueError("an update needs a condition")
        query = self._table(table).update(encode(values), returning=ReturnMethod.representation)
        return [decode(table, row) for row in await self._execute(filtered(query, where))]

    async def _delete_rows(self, table: str, where: dict[str, Any]) -> int:
        if not where:
            raise ValueError("a delete needs a condition")
        query = self._table(table).delete(returning=ReturnMethod.representation)
        return len(await self._execute(filtered(query, where)))

    async def _count_dials(self, account_id: str | None, since: datetime) -> int:
        def owned(query: _Query) -> _Query:
            if account_id is None:
                return query.is_("account_id", "null")
            return query.eq("account_id", account_id)

        placed = await self._select_providers_by_id(
            lambda query: owned(query).gte("dialed_at", since.isoformat())
        )
        waiting = await self._select_providers_by_id(
            lambda query: owned(query).eq("call_status", "pending").not_.is_("queued_at", "null")
        )
        latest = len({row["id"] for row in placed} | {row["id"] for row in waiting})
        # A provider called again keeps its earlier calls in `call_attempts`: each counts too.
        earlier = await self._select_pages(
            _ATTEMPTS,
            lambda query: query.gte("dialed_at", since.isoformat()).order("id"),
            columns="id,provider_id",
        )
        called = sorted({row["provider_id"] for row in earlier})
        mine: set[int] = set()
        for start in range(0, len(called), _IDS_PER_REQUEST):  # the URL stays short
            chunk = called[start : start + _IDS_PER_REQUEST]

            def these(query: _Query, chunk: list[int] = chunk) -> _Query:
                return owned(query).in_("id", chunk)

            mine |= {row["id"] for row in await self._select_providers_by_id(these)}
        return latest + sum(1 for row in earlier if row["provider_id"] in mine)


__all__ = ["DEFAULT_PAGE_SIZE", "SupabaseStore"]
