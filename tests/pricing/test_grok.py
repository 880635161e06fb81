"""The Grok extractor against a fake gRPC Chat server on loopback: what it sends, what it makes
of good and bad replies, and how it falls back to the offline reading."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from xai_sdk.proto import chat_pb2

from pricing import make_extractor
from pricing.grok import GrokPriceExtractor
from pricing.offline import OfflinePriceExtractor
from shared.models import TranscriptTurn
from shared.settings import Settings
from shared.xai import is_loopback
from tests.pricing.fake_chat import Fail, FakeChat, Reply, running_fake_chat

CALL = [
    TranscriptTurn(role="assistant", text="Hi, what would you charge to unclog a kitchen sink?"),
    TranscriptTurn(role="user", text="that'd be two hundred"),
    TranscriptTurn(role="assistant", text="Could you do one fifty?"),
    TranscriptTurn(role="user", text="yeah i can do one fifty if i come this afternoon"),
    TranscriptTurn(
        role="assistant", text="Thank you for your help! I will reach out to you again shortly."
    ),
]
GOOD = json.dumps(
    {"agreed_price": 150, "first_quote": 200, "conditions": "if I come this afternoon"}
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeChat]:
    async with running_fake_chat() as server:
        yield server


def extractor(fake: FakeChat, **overrides: object) -> GrokPriceExtractor:
    options: dict = {"model": "grok-test-model", "api_host": fake.host, "timeout": 2.0}
    options |= {"backoff": 0.01, **overrides}
    return GrokPriceExtractor("test-key", **options)


async def test_a_good_structured_reply_is_the_result(fake: FakeChat) -> None:
    fake.script = [Reply(GOOD)]

    result = await extractor(fake).extract(CALL)

    assert result.source == "grok"
    assert result.agreed_price == 150
    assert result.first_quote == 200
    assert result.conditions == "if I come this afternoon"
    assert result.fallback_reason is None


async def test_the_request_carries_model_schema_rules_transcript_and_key(fake: FakeChat) -> None:
    fake.script = [Reply(GOOD)]

    await extractor(fake).extract(CALL)

    (request,) = fake.requests
    assert request.model == "grok-test-model"
    assert request.response_format.format_type == chat_pb2.FormatType.FORMAT_TYPE_JSON_SCHEMA
    schema = json.loads(request.response_format.schema)
    assert set(schema["properties"]) >= {"agreed_price", "first_quote", "conditions"}
    assert {"agreed_price_confidence", "first_quote_confidence", "notes"} <= set(
        schema["properties"]
    )
    system, user = request.messages
    assert system.role == chat_pb2.MessageRole.ROLE_SYSTEM
    rules = system.content[0].text
    assert "FINAL AGREED-UPON PRICE" in rules
    assert "counter-offer" in rules and "budget" in rules
    assert "hourly rate" in rules and "maintenance-visit fee IS the job's price" in rules
    assert "before the assistant described the job" in rules
    assert "never answers it" in rules and "still unanswered" in rules
    assert "cut off mid-way" in rules and "pending their okay" in rules
    assert "while turning the job down" in rules and "plan's rate" in rules
    assert "misheard and put right" in rules
    # the schema itself says the same: an unanswered confirmation, the fee that is the job
    fields = schema["properties"]
    assert "never answered" in fields["agreed_price"]["description"]
    first_quote = fields["first_quote"]["description"]
    assert "before the job was described" in first_quote and "when that is the job" in first_quote
    assert "one fifty" in rules and "$1,200" in rules
    transcript = user.content[0].text
    assert "2. [USER]: that'd be two hundred" in transcript
    assert fake.metadata[0]["authorization"] == "Bearer test-key"


async def test_a_null_price_from_grok_is_no_deal(fake: FakeChat) -> None:
    fake.script = [Reply('{"agreed_price": null, "first_quote": 200, "conditions": null}')]

    result = await extractor(fake).extract(CALL)

    assert (result.source, result.agreed_price, result.first_quote) == ("grok", None, 200)


@pytest.mark.parametrize(
    "content",
    [
        "The agreed price was $150.",  # prose, the original's kind of reply
        '{"agreed_price": "one fifty", "first_quote": null, "conditions": null}',
        '{"agreed_price": -150, "first_quote": null, "conditions": null}',
        "",
    ],
)
async def test_a_malformed_reply_falls_back_offline_with_the_reason(
    fake: FakeChat, content: str
) -> None:
    fake.script = [Reply(content)]

    result = await extractor(fake).extract(CALL)

    assert result.source == "offline"
    assert result.agreed_price == 150  # the offline reading of the same call
    assert result.first_quote == 200
    assert result.fallback_reason is not None
    assert result.fallback_reason.startswith("grok reply malformed")
    assert len(fake.requests) == 1  # a bad reply is not retried: it would only cost again


async def test_a_reply_slower_than_the_timeout_falls_back_offline(fake: FakeChat) -> None:
    fake.script = [Reply(GOOD, delay=2.0), Reply(GOOD, delay=2.0)]
    started = time.monotonic()

    result = await extractor(fake, timeout=0.3, retries=1).extract(CALL)

    assert time.monotonic() - started < 1.5  # two attempts of 0.3s, not the slow replies
    assert result.source == "offline"
    assert result.agreed_price == 150
    assert result.fallback_reason == "grok timed out after 0.3s"
    assert len(fake.requests) == 2  # a timeout is transient: retried once, then given up


async def test_a_transient_unavailable_is_retried_then_succeeds(fake: FakeChat) -> None:
    fake.script = [Fail(grpc.StatusCode.UNAVAILABLE, "overloaded"), Reply(GOOD)]

    result = await extractor(fake).extract(CALL)

    assert result.source == "grok"
    assert result.agreed_price == 150
    assert len(fake.requests) == 2


async def test_rate_limiting_is_retried_until_the_retries_run_out(fake: FakeChat) -> None:
    fake.script = [Fail(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")] * 3

    result = await extractor(fake, retries=2).extract(CALL)

    assert len(fake.requests) == 3
    assert result.source == "offline"
    assert result.fallback_reason == "grok error RESOURCE_EXHAUSTED: slow down"


async def test_a_permanent_error_is_not_retried(fake: FakeChat) -> None:
    fake.script = [Fail(grpc.StatusCode.PERMISSION_DENIED, "bad key"), Reply(GOOD)]

    result = await extractor(fake).extract(CALL)

    assert len(fake.requests) == 1
    assert result.source == "offline"
    assert result.fallback_reason == "grok error PERMISSION_DENIED: bad key"


async def test_an_unreachable_host_falls_back_offline() -> None:
    async with running_fake_chat() as server:
        host = server.host  # a port that was free a moment ago, now closed
    grok = GrokPriceExtractor("k", model="m", api_host=host, timeout=1.0, retries=1, backoff=0.01)

    result = await grok.extract(CALL)

    assert result.source == "offline"
    assert result.agreed_price == 150
    assert result.fallback_reason is not None and "UNAVAILABLE" in result.fallback_reason


async def test_an_empty_transcript_needs_no_call(fake: FakeChat) -> None:
    result = await extractor(fake).extract([])

    assert (result.source, result.agreed_price) == ("offline", None)
    assert fake.requests == []


def test_make_extractor_chooses_grok_only_with_a_key() -> None:
    assert isinstance(make_extractor(Settings(_env_file=None)), OfflinePriceExtractor)
    with_key = Settings(_env_file=None, xai_api_key="k", xai_api_host="127.0.0.1:1")
    assert isinstance(make_extractor(with_key), GrokPriceExtractor)
    assert isinstance(make_extractor(with_key, offline=True), OfflinePriceExtractor)


async def test_make_extractor_uses_the_settings_model_host_and_timeout(fake: FakeChat) -> None:
    fake.script = [Reply(GOOD)]
    settings = Settings(
        _env_file=None,
        xai_api_key="from-settings",
        xai_api_host=fake.host,
        price_model="grok-from-settings",
        price_timeout_seconds=3,
    )

    result = await make_extractor(settings).extract(CALL)

    assert result.source == "grok"
    assert fake.requests[0].model == "grok-from-settings"
    assert fake.metadata[0]["authorization"] == "Bearer from-settings"


def test_the_default_model_is_a_current_one() -> None:
    model = Settings(_env_file=None).price_model
    assert not model.startswith("grok-3")  # retired on 2026-05-15
    assert model not in {"grok-4-fast-non-reasoning", "grok-4-1-fast-non-reasoning"}  # retired too


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("[::1]:5000", True),
        ("api.x.ai", False),
        ("api.x.ai:443", False),
    ],
)
def test_only_loopback_hosts_go_without_tls(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


async def test_a_figure_grok_and_the_offline_reader_disagree_on_is_marked(fake: FakeChat) -> None:
    fake.script = [Reply('{"agreed_price": 180, "first_quote": 200, "conditions": null}')]

    result = await extractor(fake).extract(CALL)

    assert (result.source, result.agreed_price) == ("grok", 180)
    assert result.confidence.agreed_price == "medium"
    assert result.confidence.first_quote == "high"
    assert "the offline reader heard agreed $150" in result.confidence.notes


async def test_grok_confidence_and_notes_travel_with_the_result(fake: FakeChat) -> None:
    reply = {
        "agreed_price": None,
        "first_quote": 200,
        "conditions": None,
        "agreed_price_confidence": None,
        "first_quote_confidence": "medium",
        "notes": ["confirmation not heard"],
    }
    fake.script = [Reply(json.dumps(reply))]

    result = await extractor(fake).extract(CALL)

    assert result.agreed_price is None
    assert result.confidence.first_quote == "medium"
    assert result.confidence.notes[0] == "confirmation not heard"


UNANSWERED_CALL = [
    TranscriptTurn(role="assistant", text="Hi, is this Ace Plumbing?"),
    TranscriptTurn(role="user", text="ace"),
    TranscriptTurn(role="assistant", text="I'm calling for a homeowner whose faucet drips."),
    TranscriptTurn(role="user", text="one thirty for the cartridge"),
    TranscriptTurn(role="assistant", text="So $130, is that right?"),
    TranscriptTurn(role="user", text="huh sorry say again"),
]


async def test_a_deal_grok_reports_without_a_heard_confirmation_is_marked_low(
    fake: FakeChat,
) -> None:
    fake.script = [Reply('{"agreed_price": 130, "first_quote": 130, "conditions": null}')]

    result = await extractor(fake).extract(UNANSWERED_CALL)

    assert (result.source, result.agreed_price) == ("grok", 130)
    assert result.confidence.agreed_price == "low"
    assert "confirmation not heard (offline reader)" in result.confidence.notes


async def test_an_unsure_figure_from_grok_always_carries_a_reason(fake: FakeChat) -> None:
    reply = {**json.loads(GOOD), "agreed_price_confidence": "medium", "notes": []}
    fake.script = [Reply(json.dumps(reply))]

    result = await extractor(fake).extract(CALL)

    assert (result.agreed_price, result.confidence.agreed_price) == (150, "medium")
    assert result.confidence.notes == ["Grok was not sure of the agreed price"]


async def test_a_deal_above_the_first_quote_only_by_its_fees_keeps_the_quote_credible(
    fake: FakeChat,
) -> None:
    call = [
        TranscriptTurn(role="assistant", text="Hi, I'm calling for a homeowner whose sink drips."),
        TranscriptTurn(role="user", text="A cartridge is $150, plus a $40 trip charge."),
        TranscriptTurn(role="assistant", text="Okay, so $190 total with the trip charge. Works."),
    ]
    fake.script = [Reply('{"agreed_price": 190, "first_quote": 150, "conditions": null}')]

    result = await extractor(fake).extract(call)

    assert (result.agreed_price, result.first_quote) == (190, 150)
    assert result.confidence.first_quote == "high"
    assert "first quote below the agreed price" not in result.confidence.notes
