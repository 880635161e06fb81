"""The labelled evaluation set, and the offline extractor's accuracy on it (`make eval`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pricing.evaluate import (
    DEFAULT_SET,
    MIN_ACCURACY,
    Case,
    evaluate,
    load_cases,
    main,
    original_regex_fallback,
    same_price,
)


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases(DEFAULT_SET)


def test_the_set_is_large_varied_and_covers_every_case(cases: list[Case]) -> None:
    assert len(cases) >= 80
    assert len({c.id for c in cases}) == len(cases)
    tags = {c.case for c in cases}
    assert tags >= {
        "offer_accepted",
        "counter_accepted",
        "counter_rejected",
        "budget",
        "later_offer",
        "offer_rejected",
        "no_agreement",
        "provider_declines",
        "range_only",
        "range_agreed",
        "hourly_only",
        "hourly_agreed",
        "trip_fee",
        "fee_is_price",
        "conditions",
        "digits",
        "spoken",
        "buck_fifty",
        "not_money_numbers",
        "no_word",
    }
    # calls with no deal are a real share of the set, not an afterthought
    assert sum(c.expected is None for c in cases) >= 20
    # speech-to-text style: lowercase, no punctuation, numbers in words
    raw = [json.loads(line) for line in DEFAULT_SET.read_text().splitlines()]
    asr = [r for r in raw if r["style"].startswith("asr")]
    assert len(asr) >= 40
    provider_lines = [t["text"] for r in asr for t in r["turns"] if t["role"] == "user"]
    assert all(text == text.lower() and "." not in text for text in provider_lines)


def test_the_offline_extractor_meets_the_bar(cases: list[Case]) -> None:
    outcomes = evaluate(cases)
    accuracy = sum(o.price_ok for o in outcomes) / len(outcomes)
    missed = [
        (o.case.id, o.case.expected, o.result.agreed_price) for o in outcomes if not o.price_ok
    ]
    assert accuracy >= MIN_ACCURACY, missed
    quotes = [o.first_quote_ok for o in outcomes if o.first_quote_ok is not None]
    assert sum(quotes) / len(quotes) >= MIN_ACCURACY


def test_the_set_holds_every_failure_of_the_original(cases: list[Case]) -> None:
    wrong = [c for c in cases if not same_price(c.expected, original_regex_fallback(c.turns))]
    # the original's regex fallback gets each kind of call wrong somewhere in the set: commas,
    # spoken numbers, the last figure being a rejected counter or the budget, stray numbers
    for tag in ("digits", "spoken", "counter_rejected", "budget", "not_money_numbers"):
        assert any(c.case == tag for c in wrong), f"no {tag} call that the original gets wrong"
    # "$1,200" read as 1.0
    assert any(
        "$1,200" in turn.text and (original_regex_fallback(c.turns) or 0) < 10
        for c in wrong
        for turn in c.turns
    )
    # any "no" in the reply read as no price: deals struck with "no problem", "not a problem"
    no_word = [c for c in cases if c.case == "no_word" and c.expected is not None]
    assert len(no_word) >= 5
    assert all(any(" no" in f" {t.text.lower()}" for t in c.turns) for c in no_word)


def test_the_originals_regex_fallback_is_reproduced_faithfully() -> None:
    from shared.models import TranscriptTurn

    def turns(*texts: str) -> list[TranscriptTurn]:
        return [TranscriptTurn(role="user", text=text) for text in texts]

    assert original_regex_fallback(turns("It's $1,200.")) == 1.0
    assert original_regex_fallback(turns("$250", "Could you do $180?")) == 180  # last one wins
    assert original_regex_fallback(turns("one fifty works")) is None


def test_make_eval_prints_the_report_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DEFAULT_SET)]) == 0
    out = capsys.readouterr().out
    assert "agreed price" in out and "first quote" in out and "by case" in out
    assert "the original's regex fallback" in out


def test_make_eval_reads_every_set_and_prints_one_line_each(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main([])  # its status depends on every set dropped into evals/, the frozen one included
    out = capsys.readouterr().out
    summary = out[out.index("Per set") :].splitlines()[1:]
    sets = sorted(DEFAULT_SET.parent.glob("*.jsonl"))
    assert len(summary) == len(sets) >= 2
    assert summary[0].split()[0].endswith("prices.jsonl")
    for path in sets:
        (line,) = [row for row in summary if row.split()[0].endswith(path.name)]
        assert line.count("%") == 2  # agreed price and first quote


def test_it_fails_below_the_bar_and_lists_each_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = {
        "id": "mislabelled",
        "case": "offer_accepted",
        "style": "clean",
        "turns": [
            {"role": "user", "text": "It's $180."},
            {"role": "assistant", "text": "$180 works."},
        ],
        "expected": 150,
        "expected_first_quote": 180,
    }
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(wrong) + "\n")

    assert main([str(path)]) == 1

    captured = capsys.readouterr()
    assert "mislabelled [offer_accepted]: price 180, expected 150" in captured.out
    assert "below the bar" in captured.err


def test_an_unreadable_set_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.jsonl")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
