"""A small n-gram language model in ARPA format, and the pronunciation dictionary it needs.

PocketSphinx decodes against a language model; its general English one (27 MB) is slow and
makes a mess of phone haggling. A trigram model of the domain's sentences (`corpus`) is small,
fast, and biased towards prices, yes and no, and the questions of a service call, while still
letting words of the corpus combine in new ways through back-off.

Smoothing is absolute discounting with back-off (Ney's `D = n1 / (n1 + 2 n2)` per order), with
back-off weights computed so every context's probabilities sum to one, as the ARPA format
expects. The dictionary keeps only the model's words (and their alternative pronunciations),
which makes a decoder load in milliseconds instead of seconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["add_pronunciations", "build_arpa", "filter_dictionary", "read_dictionary_words"]

_BOS, _EOS = "<s>", "</s>"
#: Probability mass given to the corpus's vocabulary beyond the counts, for unigrams.
_UNIGRAM_ADD = 0.1
_ALTERNATIVE = re.compile(r"\(\d+\)$")


def _discount(counts: Counter[tuple[str, ...]]) -> float:
    n1 = sum(1 for c in counts.values() if c == 1)
    n2 = sum(1 for c in counts.values() if c == 2)
    if n1 == 0:
        return 0.5
    return min(0.9, max(0.1, n1 / (n1 + 2 * n2)))


def build_arpa(sentences: Iterable[list[str]], order: int = 3) -> str:
    """An ARPA back-off model of `sentences` (each a list of words, without `<s>`/`</s>`)."""
    counts: list[Counter[tuple[str, ...]]] = [Counter() for _ in range(order + 1)]
    for sentence in sentences:
        words = [_BOS, *sentence, _EOS]
        for n in range(1, order + 1):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i : i + n])
                if gram != (_BOS,):
                    counts[n][gram] += 1
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    total = sum(counts[1].values())
    vocabulary = len(counts[1])
    for gram, count in counts[1].items():
        probs[1][gram] = (count + _UNIGRAM_ADD) / (total + _UNIGRAM_ADD * vocabulary)
    probs[1][(_BOS,)] = 0.0
    for n in range(2, order + 1):
        discount = _discount(counts[n])
        context_totals: Counter[tuple[str, ...]] = Counter()
        for gram, count in counts[n].items():
            context_totals[gram[:-1]] += count
        for gram, count in counts[n].items():
            probs[n][gram] = (count - discount) / context_totals[gram[:-1]]
    backoffs = _backoff_weights(probs, order)
    return _format(probs, backoffs, order)


def _backoff_weights(
    probs: list[dict[tuple[str, ...], float]], order: int
) -> dict[tuple[str, ...], float]:
    backoffs: dict[tuple[str, ...], float] = {}

    def lower(gram: tuple[str, ...]) -> float:
        if len(gram) == 1:
            return probs[1].get(gram, 0.0)
        if gram in probs[len(gram)]:
            return probs[len(gram)][gram]
        return backoffs.get(gram[:-1], 1.0) * lower(gram[1:])

    for n in range(2, order + 1):
        by_context: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for gram in probs[n]:
            by_context[gram[:-1]].append(gram)
        for context, grams in by_context.items():
            left = 1.0 - sum(probs[n][g] for g in grams)
            below = 1.0 - sum(lower(g[1:]) for g in grams)
            backoffs[context] = left / below if below > 1e-9 else 1e-9
    return backoffs


def _format(
    probs: list[dict[tuple[str, ...], float]],
    backoffs: dict[tuple[str, ...], float],
    order: int,
) -> str:
    lines = ["\\data\\"]
    lines += [f"ngram {n}={len(probs[n])}" for n in range(1, order + 1)]
    lines.append("")
    for n in range(1, order + 1):
        lines.append(f"\\{n}-grams:")
        for gram in sorted(probs[n]):
            p = probs[n][gram]
            line = f"{math.log10(p) if p > 0 else -99.0:.5f} {' '.join(gram)}"
            if n < order and gram in backoffs:
                line += f" {math.log10(max(backoffs[gram], 1e-12)):.5f}"
            lines.append(line)
        lines.append("")
    lines.append("\\end\\")
    return "\n".join(lines) + "\n"


def read_dictionary_words(path: Path) -> set[str]:
    """The words a PocketSphinx dictionary can pronounce (alternatives folded in)."""
    words: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                words.add(_ALTERNATIVE.sub("", line.split(maxsplit=1)[0]))
    return words


def filter_dictionary(path: Path, words: set[str]) -> str:
    """The entries of dictionary `path` for `words` only, alternatives included."""
    kept: list[str] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            head = line.split(maxsplit=1)
            if head and _ALTERNATIVE.sub("", head[0]) in words:
                kept.append(line.rstrip("\n"))
    return "\n".join(kept) + "\n"


def add_pronunciations(dictionary: str, variants: Mapping[str, Iterable[str]]) -> str:
    """`dictionary` (a PocketSphinx dictionary's text) with more pronunciations of its words:
    each of `variants` (word → phones) it lacks, as the word's next alternative (`word(2)`).
    Words the dictionary does not have are left out, as the model cannot say them."""
    known: dict[str, list[str]] = defaultdict(list)
    for line in dictionary.splitlines():
        head, _, phones = line.partition(" ")
        if phones:
            known[_ALTERNATIVE.sub("", head)].append(" ".join(phones.split()))
    added: list[str] = []
    for word, pronunciations in variants.items():
        if word not in known:
            continue
        for phones in pronunciations:
            phones = " ".join(phones.split())
            if phones not in known[word]:
                known[word].append(phones)
                added.append(f"{word}({len(known[word])}) {phones}")
    text = dictionary if dictionary.endswith("\n") or not dictionary else dictionary + "\n"
    return text + "".join(f"{line}\n" for line in added)
