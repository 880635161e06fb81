"""Letting a media stream in: the checks of its `start` before a call's bridge goes live.

A stream must carry the call token we put in its TwiML, for the provider and call SID it names;
each token is used once; the provider must be ours and its call the one we placed; and the
store must move that call to this stream (compare-and-set: one stream per call, whichever
instance it reaches). `check` does the first part, `begin_stream` the last, so that the bridge
can open the model session in between.
"""

from __future__ import annotations

from datetime import timedelta

from shared.models import Provider, utcnow
from voice_backend.call.services import CallServices
from voice_backend.security import InvalidCallToken
from voice_backend.twilio import media as wire


class StreamRefused(Exception):
    """The stream's `start` did not prove it belongs to a call we placed."""


async def check(start: wire.Start, services: CallServices) -> Provider:
    """The provider the stream is for, once its token and the provider's call check out.

    Raises `StreamRefused` otherwise.
    """
    parameters = start.custom_parameters
    raw_id, token = parameters.get("provider_id", ""), parameters.get("token", "")
    if not raw_id.isdigit() or not token:
        raise StreamRefused("start without provider_id and token")
    provider_id = int(raw_id)
    try:
        services.tokens.verify(token, provider_id, start.call_sid)
    except InvalidCallToken as error:
        raise StreamRefused(f"bad call token: {error}") from None
    if not services.registry.claim_token(token):
        raise StreamRefused("call token already used")
    provider = await services.store.get_provider(provider_id)
    if provider is None:
        raise StreamRefused(f"unknown provider {provider_id}")
    if provider.call_sid not in (None, start.call_sid):
        raise StreamRefused("stream for a call we did not place")
    return provider


async def begin_stream(start: wire.Start, provider: Provider, services: CallServices) -> Provider:
    """Move the provider's call to this stream in the store; the provider as it is now.

    Raises `StreamRefused` when the call is not waiting for a stream (another one has it).
    """
    settings = services.settings
    moved = await services.store.begin_stream(
        provider.id,
        start.call_sid,
        settings.instance_id,
        utcnow() + timedelta(seconds=settings.lease_seconds),
    )
    if moved is None:
        raise StreamRefused(f"provider {provider.id}'s call is not waiting for a stream")
    return moved
