"""`haggle check`: before the first real call, confirm every outside system the settings name.

Read-only and silent: it looks the Twilio account and number up, sends the voice service one
request signed as Twilio signs its webhooks, opens a Grok Realtime session and closes it
without letting the model speak, and asks the chat model for one tiny reply. It places no call.
One line per check; exit 0 when none failed, 1 otherwise, 2 for malformed settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from cli.checks.base import Check, Result, Verdict
from cli.commands.base import CommandError, printable
from shared.redact import mask_secrets
from shared.settings import AgentKind, Settings, SettingsError, Telephony, load_settings


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Add `check` to the `haggle` subcommands."""
    check = commands.add_parser(
        "check",
        help="confirm Twilio, PUBLIC_BASE_URL and xAI work, before the first call",
        description=(
            "With the settings of the services (environment and .env): look up the Twilio "
            "account and TWILIO_PHONE_NUMBER (read-only), send the voice service at "
            "PUBLIC_BASE_URL a webhook signed with TWILIO_AUTH_TOKEN, open a Grok Realtime "
            "session with the configured voice and audio format and close it unspoken, and ask "
            "the chat model for one short reply. Places no call. One line per check; exit "
            "status 1 when any check fails."
        ),
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="how long each check may take (default: 20)",
    )
    check.set_defaults(handler=_check)


def plan(settings: Settings, timeout: float) -> tuple[list[Check], list[Any]]:
    """The checks these settings call for, and the clients to close afterwards."""
    from cli.checks import grok
    from cli.checks.twilio import TwilioChecks

    checks: list[Check] = []
    closers: list[Any] = []
    if settings.telephony is Telephony.TWILIO:
        sid, token = settings.twilio_account_sid, Settings.secret(settings.twilio_auth_token)
        number = settings.twilio_phone_number
        missing = [
            name
            for name, value in (
                ("TWILIO_ACCOUNT_SID", sid),
                ("TWILIO_AUTH_TOKEN", token),
                ("TWILIO_PHONE_NUMBER", number),
            )
            if not value
        ]
        if missing:
            run = _fails(f"TELEPHONY=twilio needs {', '.join(missing)}")
            checks += [Check(name, run) for name in ("twilio account", "twilio number")]
            checks.append(Check("twilio webhook", run))
        else:
            twilio = TwilioChecks(
                sid or "",
                token or "",
                number or "",
                settings.twilio_api_base_url,
                settings.public_base_url,
            )
            closers.append(twilio)
            checks += [
                Check("twilio account", twilio.account),
                Check("twilio number", twilio.number),
                Check("twilio webhook", twilio.webhook),
            ]
    else:
        reason = "TELEPHONY=sim: calls go to simulated providers, not through Twilio"
        checks += [
            Check(name, None, reason)
            for name in ("twilio account", "twilio number", "twilio webhook")
        ]

    api_key = Settings.secret(settings.xai_api_key)
    if settings.agent is AgentKind.GROK:
        if api_key:
            checks.append(
                Check(
                    "grok realtime",
                    lambda: grok.realtime_session(
                        settings.grok_realtime_url,
                        api_key,
                        settings.grok_voice,
                        settings.audio_format,
                        wait_seconds=timeout / 2,
                    ),
                )
            )
        else:
            checks.append(Check("grok realtime", _fails("AGENT=grok needs XAI_API_KEY")))
    else:
        checks.append(Check("grok realtime", None, "AGENT=local: the offline voice agent"))

    if api_key:
        models = sorted({settings.price_model, settings.intake_model})
        for model in models:
            checks.append(
                Check(
                    f"grok chat {model}",
                    _chat(api_key, model, settings.xai_api_host, timeout),
                )
            )
    else:
        checks.append(
            Check("grok chat", None, "no XAI_API_KEY: prices are read by the offline extractor")
        )
    return checks, closers


def _chat(api_key: str, model: str, host: str, timeout: float) -> Any:
    from cli.checks import grok

    return lambda: grok.chat_model(api_key, model, host, wait_seconds=timeout)


def _fails(message: str) -> Any:
    from cli.checks.base import CheckFailed

    async def run() -> str:
        raise CheckFailed(message)

    return run


def format_result(name: str, result: Result) -> str:
    """`ok    twilio account   AC… is active (Full account)`: one line, printable, no secret."""
    line = f"{result.verdict.value:<5} {name:<16} {result.detail}"
    return mask_secrets(printable(line))


async def run_checks(settings: Settings, seconds_each: float) -> list[tuple[str, Result]]:
    """Run every check in order, printing each line as its result comes."""
    checks, closers = plan(settings, seconds_each)
    results = []
    try:
        for check in checks:
            result = await check.result(seconds_each)
            print(format_result(check.name, result), flush=True)
            results.append((check.name, result))
    finally:
        for closer in closers:
            await closer.close()
    return results


def _check(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise CommandError("check: --timeout must be more than 0", status=2)
    try:
        settings = load_settings()
    except SettingsError as error:
        raise CommandError(f"check: {error}", status=2) from None
    results = asyncio.run(run_checks(settings, args.timeout))
    failed = [name for name, result in results if result.verdict is Verdict.FAIL]
    if failed:
        print(f"haggle: check: {len(failed)} failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
