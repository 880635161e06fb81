"""xAI's chat API, the one way Haggle calls it (price extraction, intake, provider search):
xai-sdk's async gRPC client, a JSON-schema reply parsed through `chat.parse`, transient gRPC
errors retried here (and only here)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

import grpc
from pydantic import BaseModel
from xai_sdk import AsyncClient

logger = logging.getLogger(__name__)

Reply = TypeVar("Reply", bound=BaseModel)

#: gRPC codes worth another attempt: the service was briefly away, slow or busy.
TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


def is_loopback(host: str) -> bool:
    """Whether `host` (`name:port`) is this machine: reached without TLS, as in tests."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]", 1)[0]
    return name in ("localhost", "::1") or name.startswith("127.")


class XaiChat:
    """Asks a Grok chat model for a reply of a given shape."""

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        api_host: str = "api.x.ai",
        timeout: float = 20.0,
        retries: int = 1,
        backoff: float = 0.5,
    ) -> None:
        """`timeout` is per attempt, in seconds; `retries` counts the attempts after the first,
        made only on transient errors."""
        self._api_key = api_key
        self._model = model
        self._api_host = api_host
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff

    @property
    def timeout(self) -> float:
        """Seconds per attempt."""
        return self._timeout

    async def ask(
        self, shape: type[Reply], messages: list[Any], *, tools: list[Any] | None = None
    ) -> Reply:
        """The model's reply to `messages`, parsed into `shape`; raises on any failure."""
        # A client per request: a grpc.aio channel belongs to the event loop that made it.
        client = AsyncClient(
            api_key=self._api_key,
            api_host=self._api_host,
            timeout=self._timeout,
            use_insecure_channel=is_loopback(self._api_host),
            channel_options=[("grpc.enable_retries", 0)],  # one retry policy: ours
        )
        try:
            for attempt in range(self._retries + 1):
                try:
                    options: dict[str, Any] = {"tools": tools} if tools else {"temperature": 0}
                    chat = client.chat.create(model=self._model, messages=messages, **options)
                    _, reply = await chat.parse(shape)
                    return reply
                except grpc.aio.AioRpcError as error:
                    if error.code() not in TRANSIENT_CODES or attempt == self._retries:
                        raise
                    delay = self._backoff * 2**attempt
                    logger.info(
                        "grok %s, retrying in %.1fs (attempt %d of %d)",
                        error.code().name,
                        delay,
                        attempt + 2,
                        self._retries + 1,
                    )
                    await asyncio.sleep(delay)
            raise AssertionError("unreachable")  # the loop returns or raises
        finally:
            await client.close()
