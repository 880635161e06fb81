"""Signing in and out of the dashboard, users, API keys and the do-not-call list.

* `GET /login`, `POST /login` (form), `POST /logout`: the dashboard's session cookie.
* `GET /api/session`: who the caller is.
* `POST /api/users`, `GET /api/users` (operator), `POST /api/users/{name}/password` (the
  operator, or the user themself): accounts.
* `POST /api/keys`, `GET /api/keys`, `DELETE /api/keys/{id}`: API keys, each shown once.
* `GET /api/do-not-call`, `POST /api/do-not-call`, `DELETE /api/do-not-call/{number}`: the
  account's do-not-call list. A callee who asks is put on everyone's list, which every account
  honours and only the operator sees and edits, and on the list of the account that called.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from api.auth.credentials import (
    hash_password,
    key_hash,
    new_key,
    password_problem,
    verify_password,
)
from api.auth.guard import (
    SESSION_COOKIE,
    OperatorDep,
    PrincipalDep,
    authenticate,
    same_origin,
    session_principal,
)
from api.auth.pages import login_page
from api.deps import SettingsDep, StoreDep
from shared.dialing import NumberRefused, dialable_number
from shared.models import utcnow
from shared.storage.accounts import ApiKey, DoNotCall, User

logger = logging.getLogger(__name__)

pages = APIRouter(include_in_schema=False)
router = APIRouter(prefix="/api", dependencies=[Depends(authenticate)])

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


# -- the dashboard's sign-in -------------------------------------------------------------------


@pages.get("/login")
async def login_form(request: Request, store: StoreDep, m: str | None = None) -> Response:
    """The sign-in page (signed in already: the dashboard)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and await session_principal(cookie, store) is not None:
        return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    return login_page(m)


@pages.post("/login")
async def login(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Check the password; on success set the session cookie and open the dashboard."""
    if not same_origin(request, settings, required=True):
        return login_page("refused", status.HTTP_403_FORBIDDEN)
    client = request.client.host if request.client else "?"
    if request.app.state.login_limiter.take(f"{username.lower()}|{client}") > 0:
        return login_page("busy", status.HTTP_429_TOO_MANY_REQUESTS)
    found = await store.user_login(username)
    user, stored = found if found else (None, None)
    if not await verify_password(password, stored) or user is None or user.disabled_at:
        logger.info("sign-in refused", extra={"username": username[:64]})
        return login_page("failed", status.HTTP_401_UNAUTHORIZED)
    token = new_key()
    expires = utcnow() + timedelta(hours=settings.session_hours)
    await store.create_key(user.id, "dashboard session", key_hash(token), "session", expires)
    logger.info("signed in", extra={"username": user.username})
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@pages.post("/logout")
async def logout(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    """End the session (its token is revoked in the store) and clear the cookie."""
    if not same_origin(request, settings, required=True):
        return login_page("refused", status.HTTP_403_FORBIDDEN)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await store.key_by_hash(key_hash(cookie))
        if session is not None and session.kind == "session":
            await store.revoke_key(session.id)
    response = RedirectResponse("/login?m=signed_out", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class SessionOut(BaseModel):
    """Who the caller is."""

    username: str
    account_id: str | None
    via: str
    operator: bool


@router.get("/session")
async def whoami(principal: PrincipalDep) -> SessionOut:
    """The caller's name, account and credential kind."""
    return SessionOut(
        username=principal.username,
        account_id=principal.account_id,
        via=principal.via,
        operator=principal.is_operator,
    )


# -- users -------------------------------------------------------------------------------------


class UserIn(BaseModel):
    """A new user."""

    username: str = Field(pattern=_NAME)
    password: str = Field(max_length=1024)


class PasswordIn(BaseModel):
    """A new password."""

    password: str = Field(max_length=1024)


def _checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problem)
    return password


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def add_user(body: UserIn, store: StoreDep, _operator: OperatorDep) -> User:
    """Create a user (operator only)."""
    password_hash = await hash_password(_checked_password(body.password))
    user = await store.create_user(body.username, password_hash)
    if user is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.username!r} exists already")
    logger.info("user created", extra={"username": user.username})
    return user


@router.get("/users")
async def list_users(store: StoreDep, _operator: OperatorDep) -> list[User]:
    """Every user (operator only)."""
    return await store.list_users()


@router.post("/users/{username}/password")
async def change_password(
    username: str, body: PasswordIn, store: StoreDep, principal: PrincipalDep
) -> dict[str, object]:
    """Set a new password (the operator, or the user themself); every session ends."""
    found = await store.user_login(username)
    if found is None or not (principal.is_operator or principal.account_id == found[0].id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username!r}")
    user = found[0]
    await store.set_password(user.id, await hash_password(_checked_password(body.password)))
    ended = await store.revoke_user_keys(user.id, "session")
    logger.info("password changed", extra={"username": user.username})
    return {"username": user.username, "sessions_ended": ended}


# -- API keys ----------------------------------------------------------------------------------


class KeyIn(BaseModel):
    """A new key: a name to recognise it by; the operator names the user it is for."""

    name: str = Field(min_length=1, max_length=100)
    username: str | None = Field(default=None, pattern=_NAME)


class KeyCreated(ApiKey):
    """A new key, with its secret: shown this once, never stored."""

    key: str
    username: str


@router.post("/keys", status_code=status.HTTP_201_CREATED)
async def create_key(body: KeyIn, store: StoreDep, principal: PrincipalDep) -> KeyCreated:
    """Create an API key for the caller (the operator: for the user named)."""
    if principal.is_operator:
        if body.username is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "name the user the key is for (username)"
            )
        found = await store.user_login(body.username)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {body.username!r}")
        user = found[0]
    else:
        assert principal.account_id is not None
        mine = await store.get_user(principal.account_id)
        if mine is None or (body.username not in (None, mine.username)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "a user creates keys for themself")
        user = mine
    secret = new_key()
    key = await store.create_key(user.id, body.name, key_hash(secret))
    logger.info("API key created", extra={"key_id": key.id, "username": user.username})
    return KeyCreated(**key.model_dump(), key=secret, username=user.username)


@router.get("/keys")
async def list_keys(store: StoreDep, principal: PrincipalDep) -> list[ApiKey]:
    """The caller's API keys (the operator: everyone's), never their secrets."""
    return await store.list_keys(principal.scope)


@router.delete("/keys/{key_id}")
async def revoke_key(key_id: str, store: StoreDep, principal: PrincipalDep) -> ApiKey:
    """Revoke a key at once (the caller's own; the operator: any)."""
    key = await store.revoke_key(key_id, principal.scope)
    if key is None or key.kind != "api":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no API key {key_id!r}")
    logger.info("API key revoked", extra={"key_id": key.id})
    return key


# -- the do-not-call list ----------------------------------------------------------------------


class NumberIn(BaseModel):
    """A number for the do-not-call list."""

    phone_number: str = Field(min_length=1, max_length=40)


def _e164(raw: str, settings: SettingsDep) -> str:
    try:
        # Any region: a number may be listed whether or not this deployment dials its region.
        return dialable_number(raw, settings.default_region, [raw_region(raw, settings)])
    except NumberRefused as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


def raw_region(raw: str, settings: SettingsDep) -> str:
    """The region a number is in (for listing numbers of any region)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, settings.default_region)
    except phonenumbers.NumberParseException:
        return settings.default_region
    return phonenumbers.region_code_for_number(parsed) or settings.default_region


@router.get("/do-not-call")
async def list_do_not_call(store: StoreDep, principal: PrincipalDep) -> list[DoNotCall]:
    """The numbers the caller's account never dials."""
    return await store.list_do_not_call(principal.account_id)


@router.post("/do-not-call", status_code=status.HTTP_201_CREATED)
async def add_do_not_call(
    body: NumberIn, store: StoreDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, object]:
    """Never dial this number for the caller's account (the operator: for everyone)."""
    number = _e164(body.phone_number, settings)
    added = await store.add_do_not_call(number, principal.account_id, "account")
    return {"phone_number": number, "added": added}


@router.delete("/do-not-call/{phone_number}")
async def remove_do_not_call(
    phone_number: str, store: StoreDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, object]:
    """Take a number off the caller's list (the operator: off everyone's)."""
    number = _e164(phone_number, settings)
    if not await store.remove_do_not_call(number, principal.account_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{number} is not on your list")
    return {"phone_number": number, "removed": True}
