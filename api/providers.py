"""Providers as the API receives them: names cleaned, numbers in E.164, no number twice in a job."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import HTTPException, status

from api.intake import FoundProvider
from api.schemas import ProviderIn
from api.text import clean_name
from shared.dialing import NumberRefused, dialable_number
from shared.models import Provider, ProviderCreate
from shared.settings import Settings


def checked(providers: Sequence[ProviderIn], settings: Settings) -> list[ProviderCreate]:
    """Every provider with its number in E.164, or a `422` naming each number the guardrails
    refuse and why (then nothing of the request is stored)."""
    errors: list[dict[str, Any]] = []
    cleaned: list[ProviderCreate] = []
    for index, provider in enumerate(providers):
        try:
            phone = dialable_number(
                provider.phone_number, settings.default_region, settings.dial_countries
            )
        except NumberRefused as error:
            errors.append(
                {
                    "loc": ["body", "providers", index, "phone_number"],
                    "msg": str(error),
                    "type": "value_error.phone_number",
                    "input": provider.phone_number,
                }
            )
            continue
        cleaned.append(
            ProviderCreate(service_provider=provider.service_provider, phone_number=phone)
        )
    if errors:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, errors)
    return cleaned


def dialable(found: Iterable[FoundProvider], settings: Settings) -> list[ProviderCreate]:
    """What a search found, keeping only named providers with a number the guardrails dial."""
    kept = []
    for item in found:
        name = clean_name(item.name)[:200]
        try:
            phone = dialable_number(item.phone, settings.default_region, settings.dial_countries)
        except NumberRefused:
            continue
        if name:
            kept.append(ProviderCreate(service_provider=name, phone_number=phone))
    return kept


def not_yet_in(
    candidates: Iterable[ProviderCreate], existing: Iterable[Provider]
) -> list[ProviderCreate]:
    """The candidates whose number the job does not have yet (and each number once)."""
    seen = {provider.phone_number for provider in existing}
    fresh = []
    for candidate in candidates:
        if candidate.phone_number not in seen:
            seen.add(candidate.phone_number)
            fresh.append(candidate)
    return fresh
