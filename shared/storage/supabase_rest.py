"""One Supabase project's REST API (PostgREST) through supabase-py's async client: opening and
closing the connection, one request and its rows (every failure a `StoreError` whose line never
holds the key), and reads of more rows than one answer holds, a page at a time.
`SupabaseStore` builds its primitives on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from postgrest import APIError, AsyncRequestBuilder, AsyncSelectRequestBuilder
from supabase import AsyncClient, AsyncClientOptions, AsyncSupabaseException, acreate_client

from shared.storage.errors import StoreError
from shared.storage.postgrest_errors import (
    UNIQUE_VIOLATION,
    Conflict,
    one_line,
    refused,
    transport_error,
)
from shared.storage.postgrest_rows import decode
from shared.storage.schema import jobs, providers

__all__ = ["DEFAULT_PAGE_SIZE", "SupabaseRest"]

#: Supabase's default `max_rows`: the most rows PostgREST returns for one read.
DEFAULT_PAGE_SIZE = 1000

_Query = AsyncSelectRequestBuilder
_JOBS = jobs.name
_PROVIDERS = providers.name


class SupabaseRest:
    """The REST API of one project: `url` (`https://<ref>.supabase.co`) with `key`."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout: float = 10.0,
        page_size: int = DEFAULT_PAGE_SIZE,
        retry_reads: bool = True,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._url = url
        self._key = key
        self._timeout = timeout
        self._page_size = page_size
        self._retry_reads = retry_reads
        self._http: httpx.AsyncClient | None = None
        self._client: AsyncClient | None = None

    @property
    def client(self) -> AsyncClient:
        """The open supabase-py client (raises `StoreError` when the store is not open)."""
        if self._client is None:
            raise StoreError("the store is not open")
        return self._client

    async def open(self) -> None:
        """Create the client and check that the project answers with this key."""
        if self._client is not None:
            return
        # Our own HTTP client, so that `close` releases its connections and the timeout is ours.
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self._timeout), follow_redirects=False, http2=True
        )
        options = AsyncClientOptions(
            httpx_client=self._http,
            postgrest_client_retry=self._retry_reads,
            auto_refresh_token=False,
            persist_session=False,
        )
        try:
            self._client = await acreate_client(self._url, self._key, options=options)
            await self.ping()
        except AsyncSupabaseException as error:
            await self.close()
            reason = one_line(error.message, self._key)
            raise StoreError(f"cannot open Supabase: {reason}") from None
        except StoreError as error:
            await self.close()
            raise StoreError(f"cannot open Supabase: {error}") from error
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Release the HTTP connections."""
        self._client = None
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    async def ping(self) -> None:
        """Raise `StoreError` unless the REST API answers a read of `jobs` with this key."""
        # A health check answers now or fails: no retries with back-off.
        await self._execute(self._table(_JOBS).select("id").limit(1).retry(False))

    # -- plumbing --------------------------------------------------------------------------

    async def _select_pages(
        self, table: str, where: Callable[[_Query], _Query], *, columns: str = "*"
    ) -> list[dict[str, Any]]:
        """Every matching row of `table`, a page (by offset, under a total order) at a time."""
        found: list[dict[str, Any]] = []
        while True:
            query = where(self._table(table).select(columns)).limit(self._page_size)
            if found:
                query = query.offset(len(found))
            page = await self._execute(query)
            found.extend(decode(table, row) for row in page)
            if len(page) < self._page_size:
                return found

    def _table(self, name: str) -> AsyncRequestBuilder:
        return self.client.table(name)

    async def _select_providers_by_id(
        self, where: Callable[[_Query], _Query]
    ) -> list[dict[str, Any]]:
        """Every matching provider in id order, a page (keyed on the id) at a time."""
        found: list[dict[str, Any]] = []
        last_id: int | None = None
        while True:
            query = where(self._table(_PROVIDERS).select("*"))
            if last_id is not None:
                query = query.gt("id", last_id)
            page = await self._execute(query.order("id").limit(self._page_size))
            found.extend(decode(_PROVIDERS, row) for row in page)
            if len(page) < self._page_size:
                return found
            last_id = found[-1]["id"]

    async def _execute(self, query: Any, *, conflicts: bool = False) -> list[dict[str, Any]]:
        """Send one request; its rows, or `StoreError` with a one-line reason (`Conflict`
        for a unique-key violation, when the caller handles it)."""
        try:
            response = await query.execute()
        except APIError as error:
            if conflicts and error.code == UNIQUE_VIOLATION:
                raise Conflict from None
            raise refused(error, self._key) from None
        except (httpx.HTTPError, OSError) as error:
            raise transport_error(error, self._key) from None
        data: Any = response.data
        if isinstance(data, Mapping):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
            raise StoreError("Supabase answered with something other than rows")
        return [dict(row) for row in data]
