"""Measure the offline extractor on the labelled calls: `make eval`.

Each labelled set is a file in `evals/` (`prices.jsonl`, the blind sets, holdouts: every
`evals/*.jsonl` unless files are named); each line is one call: `id`, `case` (what the call
tests), `turns`, the `expected` agreed price (or null), and where labelled the
`expected_first_quote` and `expected_conditions` (words the conditions must mention).

Prints the agreed-price accuracy overall and per case, the first-quote accuracy, how often the
labelled conditions were found, the original's regex fallback on the same calls for
comparison, and every failure, for each set, then one line per set with its agreed-price and
first-quote accuracy. Exits 1 when any set's agreed-price accuracy is below the bar (97%).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pricing.base import PriceResult
from pricing.offline import OfflinePriceExtractor
from shared.models import TranscriptTurn
from shared.money import amount

DEFAULT_SET = Path(__file__).resolve().parents[1] / "evals" / "prices.jsonl"
MIN_ACCURACY = 0.97


@dataclass(frozen=True)
class Case:
    """One labelled call."""

    id: str
    case: str
    turns: list[TranscriptTurn]
    expected: float | None
    expected_first_quote: float | None
    has_first_quote: bool
    expected_conditions: list[str]
    note: str | None


@dataclass(frozen=True)
class Outcome:
    """One call, read."""

    case: Case
    result: PriceResult
    price_ok: bool
    first_quote_ok: bool | None
    conditions_ok: bool | None
    original: float | None


def load_cases(path: Path) -> list[Case]:
    """The labelled calls in `path` (JSON Lines)."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw: dict[str, Any] = json.loads(line)
        try:
            cases.append(
                Case(
                    id=raw["id"],
                    case=raw["case"],
                    turns=[TranscriptTurn.model_validate(turn) for turn in raw["turns"]],
                    expected=raw["expected"],
                    expected_first_quote=raw.get("expected_first_quote"),
                    has_first_quote="expected_first_quote" in raw,
                    expected_conditions=raw.get("expected_conditions", []),
                    note=raw.get("note"),
                )
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f"{path}:{number}: not a labelled call ({error})") from None
    return cases


def same_price(expected: float | None, got: float | None) -> bool:
    """Exact match to the cent; None only matches None."""
    if expected is None or got is None:
        return expected is got
    return abs(expected - got) < 0.005


_ORIGINAL_PATTERNS = [
    r"\$(\d+\.?\d*)",
    r"(\d+\.?\d*)\s*dollars?",
    r"agreed\s+on\s+(\d+\.?\d*)",
    r"(\d+\.?\d*)\s+for\s+the",
    r"price\s+is\s+(\d+\.?\d*)",
]


def original_regex_fallback(turns: list[TranscriptTurn]) -> float | None:
    """The original's regex fallback, reproduced for comparison only (it is what this package
    replaces): over all the call's text, the last match of the first pattern that matches."""
    text = " ".join(turn.text for turn in turns)
    for pattern in _ORIGINAL_PATTERNS:
        matches = re.findall(pattern, text, re.IGNORECASE)
        if matches:
            return float(matches[-1])
    return None


def evaluate(cases: list[Case]) -> list[Outcome]:
    """Read every call with the offline extractor and compare with its labels."""
    extractor = OfflinePriceExtractor()
    outcomes = []
    for case in cases:
        result = extractor.read(case.turns)
        conditions_ok = None
        if case.expected_conditions:
            said = (result.conditions or "").lower()
            conditions_ok = all(word.lower() in said for word in case.expected_conditions)
        outcomes.append(
            Outcome(
                case=case,
                result=result,
                price_ok=same_price(case.expected, result.agreed_price),
                first_quote_ok=(
                    same_price(case.expected_first_quote, result.first_quote)
                    if case.has_first_quote
                    else None
                ),
                conditions_ok=conditions_ok,
                original=original_regex_fallback(case.turns),
            )
        )
    return outcomes


def _share(good: int, total: int) -> str:
    return f"{good:>4}/{total:<4} {100 * good / total:5.1f}%" if total else "   -"


def report(outcomes: list[Outcome], source: str) -> str:
    """The printed report."""
    lines = [f"Offline price extractor on {source}: {len(outcomes)} labelled calls", ""]
    priced = sum(o.price_ok for o in outcomes)
    quotes = [o.first_quote_ok for o in outcomes if o.first_quote_ok is not None]
    conditions = [o.conditions_ok for o in outcomes if o.conditions_ok is not None]
    original = sum(same_price(o.case.expected, o.original) for o in outcomes)
    lines += [
        f"  agreed price      {_share(priced, len(outcomes))}",
        f"  first quote       {_share(sum(quotes), len(quotes))}",
        f"  conditions found  {_share(sum(conditions), len(conditions))}",
        f"  (the original's regex fallback, same calls: {_share(original, len(outcomes))})",
        "",
        "  by case                    agreed price",
    ]
    by_case: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_case[outcome.case.case].append(outcome)
    for name in sorted(by_case):
        group = by_case[name]
        lines.append(f"    {name:<24} {_share(sum(o.price_ok for o in group), len(group))}")
    failures = [
        o
        for o in outcomes
        if not o.price_ok or o.first_quote_ok is False or o.conditions_ok is False
    ]
    lines += ["", f"  failures: {len(failures) or 'none'}"]
    for outcome in failures:
        case, result = outcome.case, outcome.result
        what = []
        if not outcome.price_ok:
            price, expected = (
                amount(result.agreed_price, cents=True),
                amount(case.expected, cents=True),
            )
            what.append(f"price {price}, expected {expected}")
        if outcome.first_quote_ok is False:
            what.append(
                f"first quote {amount(result.first_quote, cents=True)}, "
                f"expected {amount(case.expected_first_quote, cents=True)}"
            )
        if outcome.conditions_ok is False:
            what.append(f"conditions {result.conditions!r}, expected {case.expected_conditions}")
        lines.append(f"    {case.id} [{case.case}]: " + "; ".join(what))
    return "\n".join(lines)


def summary(results: list[tuple[str, list[Outcome]]]) -> str:
    """One line per set: agreed-price and first-quote accuracy."""
    lines = ["Per set                          calls   agreed price        first quote"]
    for name, outcomes in results:
        quotes = [o.first_quote_ok for o in outcomes if o.first_quote_ok is not None]
        priced = _share(sum(o.price_ok for o in outcomes), len(outcomes))
        quoted = _share(sum(quotes), len(quotes))
        lines.append(f"  {name:<30} {len(outcomes):>5}   {priced}   {quoted}")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def default_sets() -> list[Path]:
    """Every labelled set in `evals/`: `prices.jsonl` first, then the others by name."""
    found = sorted(DEFAULT_SET.parent.glob("*.jsonl"))
    return sorted(found, key=lambda path: (path != DEFAULT_SET, path.name))


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation on each set; exit 1 when any set is below the accuracy bar."""
    parser = argparse.ArgumentParser(
        prog="python -m pricing.evaluate",
        description="Measure the offline price extractor on labelled calls.",
    )
    parser.add_argument(
        "files", nargs="*", type=Path, help="JSON Lines sets (default: every evals/*.jsonl)"
    )
    parser.add_argument(
        "--min-accuracy", type=float, default=MIN_ACCURACY, help="bar for agreed-price accuracy"
    )
    args = parser.parse_args(argv)
    files: list[Path] = args.files or default_sets()
    results: list[tuple[str, list[Outcome]]] = []
    for path in files:
        try:
            cases = load_cases(path)
        except (OSError, ValueError) as error:
            print(f"evaluate: {error}", file=sys.stderr)
            return 2
        if not cases:
            print(f"evaluate: no labelled calls in {path}", file=sys.stderr)
            return 2
        results.append((_shown(path), evaluate(cases)))
    for name, outcomes in results:
        print(report(outcomes, name))
        print()
    print(summary(results))
    status = 0
    for name, outcomes in results:
        accuracy = sum(o.price_ok for o in outcomes) / len(outcomes)
        if accuracy < args.min_accuracy:
            print(
                f"{name}: below the bar: {accuracy:.1%} < {args.min_accuracy:.0%}", file=sys.stderr
            )
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
