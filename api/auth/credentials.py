"""Making and checking secrets: API keys and session tokens (random, stored as SHA-256), and
passwords (Argon2id through pwdlib, hashed off the event loop)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets

from pwdlib import PasswordHash

#: Every key starts with this, so a leaked one is recognisable (secret scanners, logs).
KEY_PREFIX = "hgl_"
MIN_PASSWORD_LENGTH = 12

_passwords = PasswordHash.recommended()
#: A hash to verify against when the user does not exist, so both cases take as long.
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))


def new_key() -> str:
    """A fresh API key or session token: 256 random bits."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """What the store keeps of a key. A key has 256 random bits, so one fast hash suffices:
    there is nothing to guess, and the lookup stays one indexed read."""
    return hashlib.sha256(key.encode()).hexdigest()


async def hash_password(password: str) -> str:
    """An Argon2id hash of the password (computed in a worker thread)."""
    return await asyncio.to_thread(_passwords.hash, password)


async def verify_password(password: str, stored: str | None) -> bool:
    """Whether the password matches the stored hash (`None`: no such user, still as slow)."""
    if stored is None:
        await asyncio.to_thread(_passwords.verify, password, _DUMMY_HASH)
        return False
    return await asyncio.to_thread(_passwords.verify, password, stored)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or `None`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1024:
        return "a password has at most 1024 characters"
    return None
