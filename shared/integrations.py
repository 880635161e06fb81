"""Half-configured integrations: settings that look like production but would not run as one.

Both services' `/readyz` list every problem found here; the voice service refuses to start on
the ones that would make it dial openly or fall back silently (`voice_refusal`).
"""

from __future__ import annotations

from shared.settings import AgentKind, Settings, Telephony

_TWILIO = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER")


def _twilio_values(settings: Settings) -> dict[str, str | None]:
    return {
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
        "TWILIO_AUTH_TOKEN": Settings.secret(settings.twilio_auth_token),
        "TWILIO_PHONE_NUMBER": settings.twilio_phone_number,
    }


def twilio_configured(settings: Settings) -> bool:
    """Real calls are meant: `TELEPHONY=twilio`, or any Twilio credential set."""
    return settings.telephony is Telephony.TWILIO or any(_twilio_values(settings).values())


def _refusals(settings: Settings) -> list[str]:
    if not twilio_configured(settings):
        return []
    found = []
    missing = [name for name, value in _twilio_values(settings).items() if not value]
    if missing:
        found.append(
            f"{missing[0]} is not set, but other Twilio settings are: set all of "
            f"{', '.join(_TWILIO)} (or none, for simulated calls)"
        )
    if not Settings.secret(settings.voice_backend_token):
        found.append(
            "VOICE_BACKEND_TOKEN is not set: with Twilio configured, anyone reaching the voice "
            "service could make it dial"
        )
    if not settings.xai_api_key and not (
        settings.agent is AgentKind.LOCAL and settings.agent_chosen
    ):
        found.append(
            "XAI_API_KEY is not set: real providers would hear the offline agent (set "
            "AGENT=local to mean that)"
        )
    return found


def voice_refusal(settings: Settings) -> str | None:
    """Why the voice service must not start with these settings, or `None`."""
    found = _refusals(settings)
    return found[0] if found else None


def integration_problems(settings: Settings) -> list[str]:
    """Every half-configured integration, one line each."""
    found = _refusals(settings)
    if twilio_configured(settings) and not settings.public_base_url:
        found.append("PUBLIC_BASE_URL (or DOMAIN) is not set: Twilio could not reach the service")
    if settings.agent is AgentKind.GROK and not settings.xai_api_key:
        found.append("AGENT=grok needs XAI_API_KEY")
    if settings.local_anonymous_access and settings.haggle_api_key:
        found.append(
            "LOCAL_ANONYMOUS_ACCESS is on next to HAGGLE_API_KEY: a deployment should not "
            "serve anonymous requests"
        )
    return found
