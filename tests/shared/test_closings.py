"""The agent's closings, and the price reader knowing them by their words."""

from __future__ import annotations

from pricing.grok import SYSTEM_PROMPT
from pricing.reading import read_turn
from shared.closings import (
    AGREED_CUE,
    AGREED_SENTENCE,
    CLOSING_AGREED,
    CLOSING_NO_AGREEMENT,
    NO_AGREEMENT_CUE,
    NO_AGREEMENT_ENDS,
    NO_AGREEMENT_SENTENCE,
)
from voice_backend import prompt


def test_the_closings_are_the_originals_word_for_word() -> None:
    assert CLOSING_NO_AGREEMENT == (
        "Thank you for the info. I need to think about it and will call you back."
    )
    assert CLOSING_AGREED == "Thank you for your help! I will reach out to you again shortly."


def test_the_cues_are_words_of_the_closings() -> None:
    assert AGREED_CUE in CLOSING_AGREED.lower()
    assert NO_AGREEMENT_CUE in CLOSING_NO_AGREEMENT.lower()
    assert any(end in CLOSING_NO_AGREEMENT.lower() for end in NO_AGREEMENT_ENDS)


def test_the_reader_takes_each_closing_for_what_it_is() -> None:
    agreed = read_turn("assistant", CLOSING_AGREED)
    no_deal = read_turn("assistant", CLOSING_NO_AGREEMENT)
    assert agreed.closing_agreed and not agreed.closing_no_deal
    assert no_deal.closing_no_deal and not no_deal.closing_agreed


def test_the_prompts_quote_the_same_sentences() -> None:
    assert f'"{NO_AGREEMENT_SENTENCE}"' in SYSTEM_PROMPT
    assert f'"{AGREED_SENTENCE}"' in SYSTEM_PROMPT
    assert prompt.CLOSING_AGREED is CLOSING_AGREED
    assert prompt.CLOSING_NO_AGREEMENT is CLOSING_NO_AGREEMENT
