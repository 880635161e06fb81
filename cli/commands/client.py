"""The job API over HTTP, for the command line: every failure becomes one readable line."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from cli.commands.base import CommandError, printable_document

#: A validation error's location (`["body", "zip_code"]`) as the user wrote it (`--zip`).
FieldNamer = Callable[[list[Any]], str]


class ApiError(CommandError):
    """The job API answered with an error status; `detail` is its `detail`, as sent."""

    def __init__(self, message: str, status_code: int, detail: Any) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail


class JobApi:
    """The calls `haggle` makes to the job API, each returning the decoded JSON answer."""

    def __init__(self, base_url: str, key: str | None = None, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, headers=headers)

    def __enter__(self) -> JobApi:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        """`POST /api/jobs`: the stored job."""
        answer: dict[str, Any] = self._request("POST", "/api/jobs", json=body)
        return answer

    def get_job(self, job_id: str) -> dict[str, Any]:
        """`GET /api/jobs/{job_id}`."""
        answer: dict[str, Any] = self._request("GET", f"/api/jobs/{job_id}")
        return answer

    def add_providers(self, job_id: str, providers: list[dict[str, str]]) -> list[dict[str, Any]]:
        """`POST /api/jobs/{job_id}/providers`: the providers this request stored."""
        body = {"providers": providers}
        answer: list[dict[str, Any]] = self._request(
            "POST", f"/api/jobs/{job_id}/providers", json=body
        )
        return answer

    def providers(self, job_id: str) -> list[dict[str, Any]]:
        """`GET /api/providers/{job_id}`: the job's providers with their calls' state."""
        answer: list[dict[str, Any]] = self._request("GET", f"/api/providers/{job_id}")
        return answer

    def calls(self, job_id: str) -> list[dict[str, Any]]:
        """`GET /api/providers/{job_id}/status`: the providers with their calls' state and
        the transcript so far (written turn by turn while a call runs)."""
        answer: list[dict[str, Any]] = self._request("GET", f"/api/providers/{job_id}/status")
        return answer

    def start_calls(self, job_id: str) -> dict[str, Any]:
        """`POST /api/start-calls/{job_id}`. The API waits for the voice service, so this
        request may take longer than the others."""
        answer: dict[str, Any] = self._request(
            "POST", f"/api/start-calls/{job_id}", timeout=self._timeout + 30
        )
        return answer

    def call_again(self, job_id: str, provider_ids: list[int] | None) -> dict[str, Any]:
        """`POST /api/jobs/{job_id}/call-again`: the named providers, or every failed call."""
        body = {"provider_ids": provider_ids} if provider_ids is not None else {}
        answer: dict[str, Any] = self._request("POST", f"/api/jobs/{job_id}/call-again", json=body)
        return answer

    def costs(self, job_id: str) -> dict[str, Any]:
        """`GET /api/jobs/{job_id}/costs`."""
        answer: dict[str, Any] = self._request("GET", f"/api/jobs/{job_id}/costs")
        return answer

    def export_csv(self, job_id: str) -> str:
        """`GET /api/jobs/{job_id}/export.csv`: the CSV text (without the byte-order mark)."""
        text: str = self._request("GET", f"/api/jobs/{job_id}/export.csv", raw=True)
        return text.lstrip("\ufeff")

    def cancel(self, job_id: str) -> dict[str, Any]:
        """`POST /api/jobs/{job_id}/cancel`."""
        answer: dict[str, Any] = self._request("POST", f"/api/jobs/{job_id}/cancel")
        return answer

    def call(self, method: str, path: str, json: Any = None) -> Any:
        """Any other request to the job API; its decoded JSON answer."""
        return self._request(method, path, json=json)

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        timeout: float | None = None,
        raw: bool = False,
    ) -> Any:
        try:
            response = self._client.request(
                method, path, json=json, timeout=timeout or self._timeout
            )
        except httpx.TimeoutException:
            raise CommandError(
                f"the job API at {self.base_url} did not answer within "
                f"{timeout or self._timeout:g} s"
            ) from None
        except httpx.TransportError as error:
            raise CommandError(
                f"cannot reach the job API at {self.base_url} ({_reason(error)}); is it "
                "running? Start it with 'haggle serve api', or point --api or HAGGLE_API_URL "
                "at it"
            ) from None
        if raw and response.is_success:
            return response.text
        try:
            # Names, transcripts and error details may carry escape codes: gone from here on.
            body = printable_document(response.json())
        except ValueError:
            body = None
        if response.is_success:
            if body is None:
                raise CommandError(
                    f"{self.base_url} answered {path} with something other than JSON: "
                    "is it the Haggle job API?"
                )
            return body
        detail = body.get("detail") if isinstance(body, dict) else None
        if response.status_code == 401:
            message = (
                f"the job API refused the request: {detail or 'no credential'}; set "
                "HAGGLE_API_KEY (or pass --api-key) to a key from 'haggle keys create'"
            )
        elif response.status_code in (404, 405) and detail in (None, "Not Found"):
            # The route itself is missing: the URL points at something else.
            message = f"{self.base_url} has no {path}: is it the Haggle job API?"
        elif detail is None:
            message = f"the job API answered {response.status_code}: {_snippet(response.text)}"
        else:
            message = describe_detail(detail)
        raise ApiError(message, response.status_code, detail)


def describe_detail(detail: Any, name: FieldNamer | None = None) -> str:
    """An API error's `detail` as one line: a text as it is, validation errors as
    `field: message` joined with `; ` (fields named by `name`)."""
    if isinstance(detail, str):
        return detail
    if not isinstance(detail, list):
        return _snippet(str(detail))
    parts = []
    for error in detail:
        if not isinstance(error, dict):
            parts.append(str(error))
            continue
        loc = [part for part in error.get("loc", []) if part != "body"]
        field = name(loc) if name else ".".join(str(part) for part in loc)
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts) or "the request was refused"


def _reason(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text).rstrip(".").lower()


def _snippet(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
