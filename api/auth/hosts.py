"""Answer only the `Host` names this deployment is reached by (`ALLOWED_HOSTS`): a page on
another site whose name was re-pointed at this machine (DNS rebinding) gets `400`."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

#: Liveness and readiness answer any name (orchestrators probe by address).
_OPEN_PATHS = {"/healthz", "/readyz"}


def host_name(header: str) -> str:
    """`example.com:8000` → `example.com`; `[::1]:8000` → `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class AllowedHosts:
    """ASGI middleware: `400` unless the request's `Host` is one of `hosts`."""

    def __init__(self, app: ASGIApp, hosts: list[str]) -> None:
        self._app = app
        self._hosts = {host.lower() for host in hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 to a request whose Host is not allowed; pass the rest on."""
        if scope["type"] in ("http", "websocket") and scope["path"] not in _OPEN_PATHS:
            host = Headers(scope=scope).get("host", "")
            if host_name(host) not in self._hosts:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                response = PlainTextResponse("Invalid host header", status_code=400)
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)
