"""The persona bench's numbers: one `CallReport` per call, measured from the persona's phone
and the agent, and the report, per persona and overall, over every seed and budget.

Word error rates are over whole calls (each side's words aligned at once, so a split or merged
utterance costs nothing extra), except a voicemail's greeting, which the agent does not listen
to (it hangs up without a message)."""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pricing.numbers import find_amounts
from pricing.tokens import tokenize
from shared.money import amount as plain_amount
from shared.money import spoken_number

__all__ = ["CallReport", "load_reports", "measure", "summarise", "unclear_run"]

#: A price said by a persona is matched to what the agent heard starting within this long.
_MATCH_SECONDS = 2.0
#: Agent lines that say it did not hear (the "didn't catch that" kind).
_UNCLEAR = re.compile(r"didn't catch|line is bad|say that again|repeat that", re.IGNORECASE)


@dataclass
class CallReport:
    """One call, measured."""

    persona: str
    trade: str
    kind: str
    seed: int
    budget: float
    outcome: str | None
    designed: str
    first_quote: float | None
    agreed: float | None
    floor: float | None
    persona_agreed: float | None
    text_agreed: float | None
    agent_words: int = 0
    agent_errors: int = 0
    persona_words: int = 0
    persona_errors: int = 0
    price_lines: int = 0
    prices_heard: int = 0
    unclear_run: int = 0
    seconds: float = 0.0
    #: How long the call lasted, in line time (0 for one nobody picked up).
    call_seconds: float = 0.0
    transcript: str = ""
    #: (line seconds, who, text): what each side said and heard, in time order.
    timeline: list[tuple[float, str, str]] = field(default_factory=list)
    misheard_prices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def outcome_ok(self) -> bool:
        """Whether the call ended as the persona was designed to end it."""
        return self.outcome == self.designed


#: One spelling for words written two ways (the recogniser's dictionary has both).
_SAME_WORD = {"ok": ["okay"], "alright": ["all", "right"], "goodbye": ["good", "bye"]}
_DOLLARS = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)")
_DIGITS = re.compile(r"\d[\d,]*")


def _spelled(match: re.Match[str]) -> str:
    return f" {spoken_number(int(match.group(0).replace(',', '')))} "


def _words(text: str) -> list[str]:
    """`text` as the words compared for the word error rate, the same way on both sides:
    lowercase, punctuation and hyphens dropped (apostrophes kept: "that's" is one word), a
    sum in digits said in words ("$150" → "one hundred fifty dollars", "94110" → "ninety four
    thousand one hundred ten"), and the words spelt two ways spelt one way ("ok" → "okay",
    "alright" → "all right", "goodbye" → "good bye")."""
    text = _DOLLARS.sub(lambda m: f" {m.group(1)} dollars ", text.lower())
    text = _DIGITS.sub(_spelled, text.replace("-", " "))
    out: list[str] = []
    for word in re.sub(r"[^a-z' ]", " ", text).split():
        word = word.strip("'")
        if word:
            out += _SAME_WORD.get(word, [word])
    return out


def _edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, hyp in enumerate(hypothesis, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref != hyp))
    return row[-1]


def _prices(text: str) -> set[float]:
    """The amounts of $20 or more said in `text` (both readings of an ambiguous one)."""
    found: set[float] = set()
    for amount in find_amounts(tokenize(text)):
        for value in (amount.value, amount.alternative):
            if value is not None and value >= 20:
                found.add(value)
    return found


def unclear_run(transcript: str) -> int:
    """The most "didn't catch that"-style agent turns in a row in a transcript."""
    run = longest = 0
    for line in transcript.splitlines():
        if "[ASSISTANT]: " not in line:
            continue
        run = run + 1 if _UNCLEAR.search(line) else 0
        longest = max(longest, run)
    return longest


def measure(report: CallReport, said: list[Any], understood: list[Any], heard: list[Any]) -> None:
    """Word error rates both ways and the prices heard, from the persona's lines (`said`,
    what it `understood`) and what the agent `heard` ((line seconds, text) pairs)."""
    # A voicemail greeting is not listened to: the agent hangs up on it without a message.
    if report.kind != "voicemail":
        reference = [w for line in said for w in _words(line.text)]
        hypothesis = [w for _, text in heard for w in _words(text)]
        report.agent_words = len(reference)
        report.agent_errors = _edit_distance(reference, hypothesis)
    agent_said = [
        line.split("]: ", 1)[1]
        for line in report.transcript.splitlines()
        if "[ASSISTANT]: " in line
    ]
    reference = [w for text in agent_said for w in _words(text)]
    hypothesis = [w for line in understood for w in _words(line.text)]
    report.persona_words = len(reference)
    report.persona_errors = _edit_distance(reference, hypothesis)
    report.unclear_run = unclear_run(report.transcript)
    for line in said:
        expected = _prices(line.text)
        if not expected:
            continue
        report.price_lines += 1
        near = [
            (abs(start - line.started_at), text)
            for start, text in heard
            if abs(start - line.started_at) <= _MATCH_SECONDS
        ]
        got = min(near)[1] if near else ""
        if expected <= _prices(got):
            report.prices_heard += 1
        else:
            report.misheard_prices.append((line.text, got))


def _money(value: float | None) -> str:
    # Compact for the report's narrow columns: `$1200`, `$89.5`, no thousands separator.
    return "-" if value is None else f"${plain_amount(value)}"


def _rate(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _over_floor(reports: list[CallReport]) -> str:
    over = [r.agreed - r.floor for r in reports if r.agreed is not None and r.floor is not None]
    return f"${statistics.mean(over):.0f}" if over else "-"


def summarise(reports: list[CallReport], wall: float | None, cpu: float | None = None) -> list[str]:
    """The report as lines: a row per persona over its runs, then the overall figures
    (`wall`, `cpu`: the run's wall time and the CPU seconds it took, both services and their
    workers; None for reports gathered from several runs)."""
    by_persona: dict[str, list[CallReport]] = defaultdict(list)
    for report in reports:
        by_persona[report.persona].append(report)
    lines = [
        f"{'persona':<18} {'trade':<12} {'runs':>4} {'designed':<13} {'reached':>7} "
        f"{'WER a<-p':>8} {'WER p<-a':>8} {'prices':>7} {'deals':>5} {'text':>5} "
        f"{'>floor':>6} {'unclear':>7}"
    ]
    for key in sorted(by_persona):
        rs = by_persona[key]
        lines.append(
            f"{key:<18} {rs[0].trade[:12]:<12} {len(rs):>4} {rs[0].designed:<13} "
            f"{sum(r.outcome_ok for r in rs):>3}/{len(rs):<3} "
            f"{_rate(sum(r.agent_errors for r in rs), sum(r.agent_words for r in rs)):>8} "
            f"{_rate(sum(r.persona_errors for r in rs), sum(r.persona_words for r in rs)):>8} "
            f"{_rate(sum(r.prices_heard for r in rs), sum(r.price_lines for r in rs)):>7} "
            f"{sum(r.agreed is not None for r in rs):>5} "
            f"{sum(r.text_agreed is not None for r in rs):>5} "
            f"{_over_floor(rs):>6} {max(r.unclear_run for r in rs):>7}"
        )
    humans = [r for r in reports if r.kind == "human"]
    deals = [r for r in humans if r.agreed is not None]
    text_deals = [r for r in humans if r.text_agreed is not None]
    over_budget = [r for r in reports if r.agreed is not None and r.agreed > r.budget]
    under_floor = [
        r for r in reports if r.agreed is not None and r.floor is not None and r.agreed < r.floor
    ]
    mismatched = [r for r in deals if r.persona_agreed is None or r.persona_agreed != r.agreed]
    agent_words = sum(r.agent_words for r in reports)
    persona_words = sum(r.persona_words for r in reports)
    price_lines = sum(r.price_lines for r in reports)
    lines += [
        "",
        f"calls: {len(reports)}; designed outcome reached: "
        f"{sum(r.outcome_ok for r in reports)}/{len(reports)}",
        "word error rate, provider speech heard by the agent: "
        f"{sum(r.agent_errors for r in reports) / max(1, agent_words):.1%} ({agent_words} words)",
        "word error rate, agent speech heard by the providers: "
        f"{sum(r.persona_errors for r in reports) / max(1, persona_words):.1%} "
        f"({persona_words} words)",
        f"provider lines with a price heard with every price right: "
        f"{sum(r.prices_heard for r in reports)}/{price_lines} "
        f"({_rate(sum(r.prices_heard for r in reports), price_lines)})",
        f"deal rate (human personas): {len(deals)}/{len(humans)} ({_rate(len(deals), len(humans))})"
        f"; the text-only policy's: {len(text_deals)}/{len(humans)} "
        f"({_rate(len(text_deals), len(humans))})",
        f"agreed price over the persona's floor: mean {_over_floor(deals)}",
        f"deals the persona agrees on too: {len(deals) - len(mismatched)}/{len(deals)}",
        f"deals above the budget: {len(over_budget)}; below the persona's floor: "
        f"{len(under_floor)}",
        'most "didn\'t catch that" turns in a row in any call: '
        f"{max((r.unclear_run for r in reports), default=0)}",
    ]
    if wall is not None:
        lines.append(f"wall time: {wall:.0f} s")
    minutes = sum(r.call_seconds for r in reports) / 60
    if cpu is not None and minutes:
        lines.append(
            f"CPU: {cpu / minutes:.1f} s per call-minute (both ends of every call, both "
            f"services), {cpu:.0f} s over {minutes:.1f} call-minutes"
        )
    return lines


def load_reports(path: Path) -> list[CallReport]:
    """The calls a run wrote with `--json`."""
    rows: list[dict[str, Any]] = json.loads(path.read_text())
    reports = []
    for row in rows:
        row["timeline"] = [tuple(event) for event in row.get("timeline", [])]
        row["misheard_prices"] = [tuple(pair) for pair in row.get("misheard_prices", [])]
        reports.append(CallReport(**row))
    return reports


def money(value: float | None) -> str:
    """A price for the transcripts' headers."""
    return _money(value)
