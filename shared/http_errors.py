r"""What both services answer when a request goes wrong: always JSON, never a plain-text 500.

* A body that is not strict JSON (`NaN`, `Infinity`, a lone surrogate escape such as
  `"\ud800"`, which no UTF-8 text can hold) is a `422`, like any other malformed body.
* A validation error's echo of the input is made JSON-safe before it is sent.
* A `StoreError` (the database missing, moved, read-only or unreachable) is a `503` whose
  `detail` is one line; at start-up it stops the service with one line naming the setting,
  not a traceback.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.redact import mask_secrets
from shared.storage import StoreError

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI, store_setting: str) -> None:
    """Answer validation and storage errors with JSON (422 and 503); a store that cannot be
    opened at start-up is one line naming `store_setting` (its secrets masked)."""
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(StoreError, _store_failed)
    app.add_middleware(_StartUpStoreError, setting=mask_secrets(store_setting))


class _StartUpStoreError:
    """A start-up that fails on the store is reported as one line rather than the traceback
    Starlette hands the server; any other start-up failure keeps its traceback."""

    def __init__(self, app: ASGIApp, setting: str) -> None:
        self.app = app
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_one_line(message: Message) -> None:
            # Starlette sends `startup.failed` from inside its `except` block: the error is
            # the one being handled.
            error = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(error, StoreError):
                message = {**message, "message": f"haggle: {_one_line(error)} ({self.setting})"}
            await send(message)

        await self.app(scope, receive, send_one_line)


async def strict_json_body(connection: HTTPConnection) -> None:
    """A dependency: refuse a JSON body that only Python's lenient parser accepts.

    Runs before the route's own validation; the body was already read (and cached) by then.
    """
    if not isinstance(connection, Request) or not _is_json(connection):
        return
    body = await connection.body()
    if not body:
        return
    try:
        document = json.loads(body, parse_constant=_reject_constant)
        _reject_surrogates(document)
    except (ValueError, UnicodeDecodeError) as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body",),
                    "msg": f"JSON decode error: {error}",
                    "input": {},
                }
            ]
        ) from None


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _reject_surrogates(value: Any) -> None:
    """Raise ValueError for a string holding a lone UTF-16 surrogate, anywhere in `value`."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone surrogate escape (not Unicode text)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_surrogates(key)
            _reject_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _reject_surrogates(item)


async def _validation_failed(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": _json_safe(jsonable_encoder(error.errors()))}, status_code=422)


async def _store_failed(request: Request, error: Exception) -> JSONResponse:
    message = _one_line(error) or "the database failed"
    logger.error("%s %s: storage unavailable: %s", request.method, request.url.path, message)
    return JSONResponse({"detail": f"storage unavailable: {message}"}, status_code=503)


def _one_line(error: BaseException) -> str:
    """A storage error as one line, any secret in it (a URL's password) masked."""
    return mask_secrets(" ".join(str(error).split()))


def _json_safe(value: Any) -> Any:
    """`value` with non-finite numbers as text and lone surrogates escaped."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value
