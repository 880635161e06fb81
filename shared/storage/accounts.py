"""Accounts in the store: users, API keys (and dashboard sessions), the do-not-call list.

Every backend implements four small generic primitives over these tables (`_insert_row`,
`_select_rows`, `_update_rows`, `_delete_rows`) plus `_count_dials`; the methods here are
written once on top of them. Secrets are never stored: the caller hands in hashes.
"""

from __future__ import annotations

import abc
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from shared.models import utcnow

#: The do-not-call scope of entries that hold for every account (a callee asked).
EVERYONE = "*"

KeyKind = Literal["api", "session"]


class User(BaseModel):
    """A person who signs in to the dashboard; their account is their user id."""

    id: str
    username: str
    created_at: datetime
    disabled_at: datetime | None = None


class ApiKey(BaseModel):
    """A stored credential (the secret itself is only ever held hashed)."""

    id: str
    user_id: str
    name: str
    kind: KeyKind
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        """Not revoked and not expired."""
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


class DoNotCall(BaseModel):
    """A number not to dial: for one account, or for everyone (`account_id` is `None`)."""

    phone_number: str
    account_id: str | None
    source: Literal["account", "callee"]
    created_at: datetime


def _dnc_id(account_id: str | None, phone_number: str) -> str:
    return f"{account_id or EVERYONE}:{phone_number}"


def _dnc(row: dict[str, Any]) -> DoNotCall:
    scope = row["account_id"]
    return DoNotCall.model_validate(row | {"account_id": None if scope == EVERYONE else scope})


class AccountStore(abc.ABC):
    """The account methods every store has."""

    # -- users -----------------------------------------------------------------------------

    async def create_user(self, username: str, password_hash: str) -> User | None:
        """A new user; `None` when the name is taken."""
        row = {
            "id": str(uuid.uuid4()),
            "username": username,
            "password_hash": password_hash,
            "created_at": utcnow(),
            "disabled_at": None,
        }
        stored = await self._insert_row("users", row)
        return User.model_validate(stored) if stored else None

    async def user_login(self, username: str) -> tuple[User, str] | None:
        """The user of that name with their password hash, or `None`."""
        rows = await self._select_rows("users", {"username": username})
        return (User.model_validate(rows[0]), rows[0]["password_hash"]) if rows else None

    async def get_user(self, user_id: str) -> User | None:
        """The user, or `None`."""
        rows = await self._select_rows("users", {"id": user_id})
        return User.model_validate(rows[0]) if rows else None

    async def list_users(self) -> list[User]:
        """Every user, by name."""
        rows = await self._select_rows("users", {})
        return sorted((User.model_validate(row) for row in rows), key=lambda user: user.username)

    async def set_password(self, user_id: str, password_hash: str) -> bool:
        """Replace a user's password hash; whether the user exists."""
        return bool(
            await self._update_rows("users", {"id": user_id}, {"password_hash": password_hash})
        )

    # -- keys and sessions -------------------------------------------------------------------

    async def create_key(
        self,
        user_id: str,
        name: str,
        key_hash: str,
        kind: KeyKind = "api",
        expires_at: datetime | None = None,
    ) -> ApiKey:
        """Store a key's hash for a user; the key's public id comes back."""
        row = {
            "id": f"key_{secrets.token_hex(6)}",
            "user_id": user_id,
            "name": name,
            "key_hash": key_hash,
            "kind": kind,
            "created_at": utcnow(),
            "expires_at": expires_at,
            "revoked_at": None,
        }
        stored = await self._insert_row("api_keys", row)
        if stored is None:  # a 48-bit id collided: astronomically rare, so just try again
            return await self.create_key(user_id, name, key_hash, kind, expires_at)
        return ApiKey.model_validate(stored)

    async def key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash (revoked or not), or `None`."""
        rows = await self._select_rows("api_keys", {"key_hash": key_hash})
        return ApiKey.model_validate(rows[0]) if rows else None

    async def list_keys(self, user_id: str | None = None, kind: KeyKind = "api") -> list[ApiKey]:
        """A user's keys (every user's with `None`), oldest first."""
        where: dict[str, Any] = {"kind": kind}
        if user_id is not None:
            where["user_id"] = user_id
        rows = await self._select_rows("api_keys", where)
        keys = [ApiKey.model_validate(row) for row in rows]
        return sorted(keys, key=lambda key: (key.created_at, key.id))

    async def revoke_key(self, key_id: str, user_id: str | None = None) -> ApiKey | None:
        """Revoke a key (only if it is `user_id`'s, when given); the key, or `None`."""
        where: dict[str, Any] = {"id": key_id}
        if user_id is not None:
            where["user_id"] = user_id
        rows = await self._update_rows("api_keys", where, {"revoked_at": utcnow()})
        return ApiKey.model_validate(rows[0]) if rows else None

    async def revoke_user_keys(self, user_id: str, kind: KeyKind) -> int:
        """Revoke every key of one kind a user holds (sessions, on a password change)."""
        rows = await self._update_rows(
            "api_keys", {"user_id": user_id, "kind": kind}, {"revoked_at": utcnow()}
        )
        return len(rows)

    # -- the do-not-call list --------------------------------------------------------------

    async def add_do_not_call(
        self, phone_number: str, account_id: str | None, source: Literal["account", "callee"]
    ) -> bool:
        """Put a number on a list (`account_id=None`: everyone's); `False` if it was there."""
        row = {
            "id": _dnc_id(account_id, phone_number),
            "phone_number": phone_number,
            "account_id": account_id or EVERYONE,
            "source": source,
            "created_at": utcnow(),
        }
        return await self._insert_row("do_not_call", row) is not None

    async def remove_do_not_call(self, phone_number: str, account_id: str | None) -> bool:
        """Take a number off one list; whether it was on it."""
        removed = await self._delete_rows("do_not_call", {"id": _dnc_id(account_id, phone_number)})
        return removed > 0

    async def list_do_not_call(self, account_id: str | None) -> list[DoNotCall]:
        """An account's own list (`None`: everyone's, the operator's). Everyone's list holds for
        every account but is not shown to each: its numbers came from other accounts' calls."""
        rows = await self._select_rows("do_not_call", {"account_id": [account_id or EVERYONE]})
        entries = [_dnc(row) for row in rows]
        return sorted(entries, key=lambda entry: (entry.phone_number, entry.account_id or ""))

    async def blocked_numbers(self, numbers: Iterable[str], account_id: str | None) -> set[str]:
        """Which of `numbers` are on the account's list or everyone's."""
        wanted = sorted(set(numbers))
        if not wanted:
            return set()
        ids = [_dnc_id(None, number) for number in wanted]
        if account_id is not None:
            ids += [_dnc_id(account_id, number) for number in wanted]
        rows = await self._select_rows("do_not_call", {"id": ids})
        return {row["phone_number"] for row in rows}

    # -- the daily quota -------------------------------------------------------------------

    async def calls_counted(self, account_id: str | None, since: datetime) -> int:
        """Calls the account placed since `since` (every attempt: a provider called again
        counts each time), plus those queued and not yet placed."""
        return await self._count_dials(account_id, since)

    # -- primitives ------------------------------------------------------------------------

    @abc.abstractmethod
    async def _insert_row(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        """Insert one row; `None` when it collides with a unique key (nothing stored)."""

    @abc.abstractmethod
    async def _select_rows(self, table: str, where: dict[str, Any]) -> list[dict[str, Any]]:
        """Rows where every column equals its value (a list value: is one of them)."""

    @abc.abstractmethod
    async def _update_rows(
        self, table: str, where: dict[str, Any], values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Update the matching rows in one statement; the rows after it."""

    @abc.abstractmethod
    async def _delete_rows(self, table: str, where: dict[str, Any]) -> int:
        """Delete the matching rows; how many."""

    @abc.abstractmethod
    async def _count_dials(self, account_id: str | None, since: datetime) -> int:
        """Calls of the account dialled at or after `since` (the providers' latest attempts
        and their earlier ones), plus those queued and still pending."""
