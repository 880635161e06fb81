"""Word lists written as strings, and matching them against a turn's words."""

from __future__ import annotations

from shared.words import has, phrases, plain_words, word_set


def test_lists_are_written_as_one_string() -> None:
    assert word_set("yes  yeah yep") == {"yes", "yeah", "yep"}
    assert phrases("hold on; one sec ;bear with") == ("hold on", "one sec", "bear with")


def test_plain_words_drop_punctuation_tokens() -> None:
    assert plain_words(["okay", ",", "one", "fifty", "?", "it's"]) == [
        "okay",
        "one",
        "fifty",
        "it's",
    ]


def test_has_matches_whole_consecutive_words() -> None:
    words = ["can", "you", "hold", "on", "a", "second"]
    assert has(words, "hold on")
    assert has(words, "bye", "a second")
    assert not has(words, "on hold")
    assert not has(words, "sec")  # not a word of its own
    assert not has([], "hold on")
