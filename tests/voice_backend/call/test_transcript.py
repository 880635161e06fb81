"""The transcript keeps spoken order and one text per utterance."""

from __future__ import annotations

from shared.models import format_transcript
from voice_backend.call.transcript import Transcript


def test_spoken_order_even_when_text_arrives_late() -> None:
    transcript = Transcript()
    transcript.agent_started("resp_1")
    transcript.agent_said("resp_1", "Hi, is this Ace Plumbing?")
    transcript.provider_started("item_u1")
    # The agent answers before the provider's transcription arrives.
    transcript.agent_started("resp_2")
    transcript.provider_said("item_u1", "yes this is")  # partial
    transcript.agent_said("resp_2", "Great, my toilet keeps running.")
    transcript.provider_said("item_u1", "Yes, this is Ace.")  # final replaces partial
    assert [(turn.role, turn.text) for turn in transcript.turns()] == [
        ("assistant", "Hi, is this Ace Plumbing?"),
        ("user", "Yes, this is Ace."),
        ("assistant", "Great, my toilet keeps running."),
    ]
    assert format_transcript(transcript.turns()) == (
        "1. [ASSISTANT]: Hi, is this Ace Plumbing?\n"
        "2. [USER]: Yes, this is Ace.\n"
        "3. [ASSISTANT]: Great, my toilet keeps running.\n"
    )


def test_empty_utterances_are_dropped() -> None:
    transcript = Transcript()
    transcript.provider_started("noise")
    transcript.agent_said(None, "Hello?")
    assert [(turn.role, turn.text) for turn in transcript.turns()] == [("assistant", "Hello?")]


def test_transcription_without_speech_start_is_appended() -> None:
    transcript = Transcript()
    transcript.agent_said("r1", "Hi")
    transcript.provider_said("u9", "hello")
    assert [turn.role for turn in transcript.turns()] == ["assistant", "user"]
