"""Authentication of every `/api/` request, as a router dependency.

A request is admitted with, in this order:

1. `Authorization: Bearer <key>`: the operator key (`HAGGLE_API_KEY`) or an API key a user
   created (stored hashed); a wrong or revoked key is `401`, never a fall-back to a cookie;
2. the dashboard's session cookie (`HttpOnly`, `SameSite=Strict`); a write must then come from
   this origin (its `Origin`, or `Referer`, names this host), so another site cannot forge it;
3. with `LOCAL_ANONYMOUS_ACCESS=true` only: a request without credentials from this machine,
   not through a proxy (see `local_anonymous`).

Anything else is `401`, before the route runs: nothing is stored, dialled or shown. Every
admitted credential spends from its own request-rate bucket (`429` with `Retry-After`).
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status

from api.auth.credentials import key_hash
from api.auth.limits import RateLimiter
from api.auth.principal import Principal
from shared.models import utcnow
from shared.settings import Settings
from shared.storage import Store

SESSION_COOKIE = "haggle_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Headers a reverse proxy adds: a request carrying one did not come from this machine.
_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "via")


def _unauthorized(
    message: str = "sign in, or send an API key as 'Authorization: Bearer …'",
) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )


def is_loopback(host: str | None) -> bool:
    """Whether an address is this machine's (127.0.0.0/8, ::1)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def from_this_machine(request: Request) -> bool:
    """A direct connection over loopback: client and local address are loopback, and no
    proxy forwarded it (a proxy on this machine would otherwise make everyone local)."""
    client = request.client.host if request.client else None
    server = request.scope.get("server")
    local = server[0] if server else None
    if not (is_loopback(client) and is_loopback(local)):
        return False
    return not any(name in request.headers for name in _FORWARDING_HEADERS)


def same_origin(request: Request, settings: Settings, *, required: bool) -> bool:
    """Whether a browser request comes from this origin (or a configured dashboard origin).
    Without `Origin` and `Referer`, `required` decides (non-browser clients send neither)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return not required and source != "null"
    parts = urlsplit(source)
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin in settings.cors_origins:
        return True
    return parts.netloc.lower() == request.headers.get("host", "").lower()


async def _from_bearer(token: str, store: Store, settings: Settings) -> Principal:
    operator = Settings.secret(settings.haggle_api_key)
    if operator and hmac.compare_digest(token.encode(), operator.encode()):
        return Principal("operator", None, "operator", "operator")
    key = await store.key_by_hash(key_hash(token))
    if key is None or key.kind != "api" or not key.usable(utcnow()):
        raise _unauthorized("this API key is not valid (revoked, expired or mistyped)")
    user = await store.get_user(key.user_id)
    if user is None or user.disabled_at is not None:
        raise _unauthorized("this API key's user is disabled")
    return Principal("key", user.id, user.username, key.id)


async def session_principal(token: str, store: Store) -> Principal | None:
    """The signed-in user of a session token, or `None`."""
    key = await store.key_by_hash(key_hash(token))
    if key is None or key.kind != "session" or not key.usable(utcnow()):
        return None
    user = await store.get_user(key.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return Principal("session", user.id, user.username, key.id)


async def identify(request: Request) -> Principal | None:
    """Who sends this request, or `None` (no usable credential). A bad bearer key raises."""
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("use 'Authorization: Bearer <API key>'")
        return await _from_bearer(token.strip(), store, settings)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = await session_principal(cookie, store)
        if principal is not None:
            return principal
    if settings.local_anonymous_access and from_this_machine(request):
        return Principal("local", None, "local", "local")
    return None


async def authenticate(request: Request) -> Principal:
    """The router dependency: the caller, or `401`; `403` for a cross-site write; `429` past
    the credential's request rate."""
    principal = await identify(request)
    if principal is None:
        raise _unauthorized()
    settings: Settings = request.app.state.settings
    # A cookie (or no credential at all) rides along on any site's request: only this origin
    # may write. Browsers always send `Origin` on a cross-site write.
    cookie_like = principal.via in ("session", "local")
    if (
        request.method not in _SAFE_METHODS
        and cookie_like
        and not same_origin(request, settings, required=principal.via == "session")
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-site request refused")
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.take(principal.credential_id)
    if wait > 0:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests for this credential; slow down",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticate)]


def require_operator(principal: PrincipalDep) -> Principal:
    """Only the operator key passes (`403` for a user)."""
    if not principal.is_operator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the operator key may do this")
    return principal


OperatorDep = Annotated[Principal, Depends(require_operator)]
