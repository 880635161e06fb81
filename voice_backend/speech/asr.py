"""Speech recognition with PocketSphinx, offline, for 8 kHz phone audio.

The acoustic model is the US English one the `pocketsphinx` wheel ships (16 kHz), so phone
audio is upsampled with soxr before decoding. The language models are built here from `corpus`
by `lm` on first use and kept, with their trimmed pronunciation dictionary, in a cache folder
named by the corpus's hash (the temporary directory unless told otherwise): nothing is
downloaded. There is one model per `Expect`ation (what the listener waits for next: a greeting,
a yes or no, a price…); each utterance is decoded against the one its caller names, the
decoder switching searches between utterances.

Decoders are pooled: each holds its model (a few megabytes) and decodes one utterance at a
time; `recognize` runs decoding in the speech threads (PocketSphinx lets go of the GIL while it
works, so the event loop keeps running).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import queue
import re
import tempfile
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import soxr

from voice_backend.audio import TWILIO_RATE
from voice_backend.speech import corpus, lm
from voice_backend.speech.executor import speech_executor
from voice_backend.speech.expect import Expect, topics

__all__ = [
    "Expect",
    "ModelFiles",
    "SpeechRecognizer",
    "prepare_expectation",
    "prepare_model",
]

logger = logging.getLogger(__name__)

_DECODER_RATE: Final = 16000
_PAD: Final = np.zeros(int(TWILIO_RATE * 0.3), np.float32)
#: Bumped whenever the model's recipe changes, so old cached files are not reused.
_RECIPE: Final = "haggle-lm-7"


@dataclass(frozen=True)
class ModelFiles:
    """The files a decoder loads: the language model and the dictionary."""

    lm: Path
    dictionary: Path


_prepare_lock = threading.Lock()

#: Pronunciations the CMU dictionary lacks, as number words come down a phone line: the "t" of
#: forty and eighty is a flap in American speech (eSpeak NG's included), like thirty's, which
#: the dictionary has; and the "s" of sixty and seventy, mostly above the line's 4 kHz, is all
#: but lost, or heard as a "d". Without them "sixty" is heard as "eighty" or "fifty" in every
#: shipped voice; with them, 107 of 112 prices of "one hundred twenty dollars" to "ninety five
#: dollars" in seven voices are heard right, against 92 (none of "fifty" and "five" without
#: their "f": that made "ninety five" into "nine fifty five").
_VARIANTS: Final = {
    "forty": ("F AO R D IY",),
    "eighty": ("EY D IY",),
    "sixty": ("IH K S T IY", "D IH K S T IY", "D IH K S IY"),
    "seventy": ("EH V AH N T IY", "D EH V AH N T IY"),
}


def _model_path() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


def prepare_model(cache_dir: Path | None = None) -> ModelFiles:
    """Build (or find, already built) the domain language model and its dictionary."""
    sentences = list(corpus.sentences())
    folder = _folder(cache_dir)
    files = ModelFiles(folder / "haggle.lm", folder / "haggle.dict")
    with _prepare_lock:
        if files.lm.is_file() and files.dictionary.is_file():
            return files
        folder.mkdir(parents=True, exist_ok=True)
        full_dictionary = _model_path() / "cmudict-en-us.dict"
        known = lm.read_dictionary_words(full_dictionary)
        usable = [words for words in sentences if all(word in known for word in words)]
        if len(usable) < len(sentences):
            unknown = {w for words in sentences for w in words if w not in known}
            logger.warning("corpus words missing from the dictionary: %s", sorted(unknown))
        vocabulary = {word for words in usable for word in words}
        dictionary = lm.filter_dictionary(full_dictionary, vocabulary)
        _write_atomically(files.dictionary, lm.add_pronunciations(dictionary, _VARIANTS))
        _write_atomically(files.lm, lm.build_arpa(usable))
        logger.info("built the speech language model in %s", folder)
    return files


def prepare_expectation(expect: Expect, general: ModelFiles) -> Path:
    """Build (or find) the language model leaning towards what `expect` names, next to the
    `general` one (whose dictionary has every word it uses); its path."""
    if expect is Expect.ANYTHING:
        return general.lm
    path = general.lm.with_name(f"haggle-{expect.value}.lm")
    with _prepare_lock:
        if path.is_file():
            return path
        known = lm.read_dictionary_words(general.dictionary)
        usable = [
            words
            for words in corpus.sentences(boost=topics(expect))
            if all(word in known for word in words)
        ]
        _write_atomically(path, lm.build_arpa(usable))
        logger.info("built the speech language model for %s", expect.value)
    return path


def _folder(cache_dir: Path | None) -> Path:
    digest = hashlib.sha256(_RECIPE.encode())
    for words in corpus.sentences():
        digest.update(" ".join(words).encode() + b"\n")
    for expect in Expect:
        digest.update(f"{expect.value}:{sorted(topics(expect))}".encode())
    digest.update(repr(sorted(_VARIANTS.items())).encode())
    return (cache_dir or Path(tempfile.gettempdir())) / f"haggle-speech-{digest.hexdigest()[:16]}"


def _write_atomically(path: Path, text: str) -> None:
    # Several processes (both services, a benchmark) may build at once: never a half file.
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


class SpeechRecognizer:
    """Turns one utterance of 8 kHz audio (16-bit PCM) into lowercase words.

    `decoders` caps how many utterances are decoded at once (more would only share the cores).
    `options` go to every PocketSphinx decoder as keyword arguments (`samprate=8000` decodes the
    line's audio as it is, for an 8 kHz acoustic model; the shipped one is 16 kHz).
    """

    def __init__(
        self,
        files: ModelFiles | None = None,
        *,
        decoders: int = 2,
        processes: int = 0,
        **options: Any,
    ) -> None:
        self._files = files
        self._options = options
        self._rate = int(options.get("samprate", _DECODER_RATE))
        # PocketSphinx holds the GIL while it decodes: with `processes`, `recognize` decodes
        # in that many worker processes, so the event loop never waits on a decode.
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._workers_ready = 0
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._slots = threading.Semaphore(decoders)
        self._lock = threading.Lock()
        self._vocabulary: set[str] | None = None
        # Words learnt after the model was built (names), in order, and how many of them each
        # decoder (by id) has been taught, per search (one per expectation).
        self._learnt: list[tuple[str, str]] = []
        self._taught: dict[tuple[int, str], int] = {}

    def learn(self, text: str) -> list[str]:
        """Teach every decoder the words of `text` the model lacks (a business's or a
        person's name, say), as words on their own; the words added. Blocking: see `learn_async`.
        """
        words = _NOT_A_WORD.sub(" ", text.lower()).split()
        with self._lock:
            if self._files is None:
                self._files = prepare_model()
            if self._vocabulary is None:
                self._vocabulary = lm.read_dictionary_words(self._files.dictionary)
            known = self._vocabulary | {word for word, _ in self._learnt}
            new = [w for w in dict.fromkeys(words) if w not in known]
            if not new:
                return []
            pronunciations = _pronunciations()
            added = [(w, pronunciations[w]) for w in new if w in pronunciations]
            self._learnt.extend(added)
        return [word for word, _ in added]

    async def learn_async(self, text: str) -> list[str]:
        """`learn` in the speech threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(speech_executor(), self.learn, text)

    def transcribe(self, pcm: bytes, expect: Expect = Expect.ANYTHING) -> str:
        """The words in `pcm` (16-bit little-endian, 8 kHz), or "" when none were heard,
        decoded against the language model for what the listener `expect`s.

        Blocking and CPU-bound: prefer `recognize`.
        """
        if len(pcm) < 2:
            return ""
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32)
        # The decoder wants a little silence around words to place their edges.
        samples = np.concatenate([_PAD, samples, _PAD])
        if self._rate != TWILIO_RATE:
            samples = soxr.resample(samples, TWILIO_RATE, self._rate, quality="HQ")
        audio = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
        with self._slots:
            decoder = self._decoder()
            try:
                self._switch(decoder, expect)
                decoder.start_utt()
                decoder.process_raw(audio, full_utt=True)
                decoder.end_utt()
                hypothesis = decoder.hyp()
            finally:
                self._idle.put(decoder)
        return " ".join(hypothesis.hypstr.split()) if hypothesis is not None else ""

    async def recognize(self, pcm: bytes, expect: Expect = Expect.ANYTHING) -> str:
        """`transcribe` in the speech threads (or the worker processes, when it has them)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            pool = self._pool if self._workers_ready >= self._processes > 0 else None
            learnt = list(self._learnt)
        if pool is None:  # no workers, or not started yet: the threads
            return await loop.run_in_executor(speech_executor(), self.transcribe, pcm, expect)
        return await loop.run_in_executor(pool, _decode_in_worker, pcm, expect.value, learnt)

    def _start_workers(self) -> None:
        """Start the worker processes in the background; `recognize` uses them once each has
        loaded its decoder (starting them takes seconds: meanwhile, the threads decode)."""
        with self._lock:
            if self._pool is not None:
                return
            self._pool = ProcessPoolExecutor(
                self._processes, mp_context=multiprocessing.get_context("spawn")
            )
            pool = self._pool

        def ready(started: Future[None]) -> None:
            if started.exception() is None:
                with self._lock:
                    self._workers_ready += 1
            else:
                logger.warning("a speech worker failed to start: %r", started.exception())

        for _ in range(self._processes):
            pool.submit(_warm_worker).add_done_callback(ready)

    def close(self) -> None:
        """Stop the worker processes, if any (the next `recognize` starts them again)."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._workers_ready = 0
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> None:
        """Build the model files (one per expectation) and load one decoder now rather than at
        the first utterance."""
        decoder = self._decoder()
        assert self._files is not None
        for expect in Expect:
            prepare_expectation(expect, self._files)
        self._idle.put(decoder)
        if self._processes:
            self._start_workers()

    def _switch(self, decoder: Any, expect: Expect) -> None:
        """Make `expect`'s model the decoder's search (loading it the first time), taught the
        words learnt since (a word added goes to the dictionary and the current model only)."""
        search = "_default" if expect is Expect.ANYTHING else expect.value
        key = (id(decoder), search)
        with self._lock:
            files = self._files
            loaded = key in self._taught
            taught = self._taught.get(key, 0)
            lesson = self._learnt[taught:]
            self._taught[key] = len(self._learnt)
        if not loaded and search != "_default":
            assert files is not None
            decoder.add_lm_file(search, str(prepare_expectation(expect, files)))
        if decoder.current_search() != search:
            decoder.activate_search(search)
        model = decoder.get_lm(search)
        for word, phones in lesson:
            if decoder.lookup_word(word) is None:
                decoder.add_word(word, phones, update=True)
            else:  # taught while another search was current: in the dictionary already
                model.add_word(word, 1.0)

    def _decoder(self) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        from pocketsphinx import Decoder

        with self._lock:
            if self._files is None:
                self._files = prepare_model()
            files = self._files
        config: dict[str, Any] = {
            "samprate": _DECODER_RATE,
            "lm": str(files.lm),
            "dict": str(files.dictionary),
            "loglevel": "FATAL",
            # A little noise where the line is digitally silent: without it, the feature
            # normalisation trips over zero-energy frames and the first words suffer.
            "dither": True,
            "seed": 1,
            # No second, flat-lexicon pass: half the decoding time, and with a model fitted to
            # what is expected it hears as well or better (bench/personas.py).
            "fwdflat": False,
            # Wider beams than the defaults (1e-48, 7e-29): synthetic voices match the
            # acoustic model loosely, and the narrow defaults prune the right words early.
            # Still far within real time (bench/hearing.py: under 0.1 CPU s per audio s).
            "beam": 1e-60,
            "wbeam": 1e-40,
        }
        config.update(self._options)
        return Decoder(**config)


_NOT_A_WORD = re.compile(r"[^a-z' ]+")
#: A worker process's own recognizer (see `SpeechRecognizer(processes=...)`).
_in_worker: SpeechRecognizer | None = None


def _warm_worker() -> None:
    """In a worker process: load its recognizer (the model files exist by now)."""
    global _in_worker
    if _in_worker is None:
        _in_worker = SpeechRecognizer(decoders=1)
        _in_worker.warm_up()


def _decode_in_worker(pcm: bytes, expect: str, learnt: list[tuple[str, str]]) -> str:
    """One decode in a worker process, with the words the parent has learnt so far."""
    global _in_worker
    if _in_worker is None:
        _in_worker = SpeechRecognizer(decoders=1)
    worker = _in_worker
    with worker._lock:
        worker._learnt.extend(learnt[len(worker._learnt) :])
    return worker.transcribe(pcm, Expect(expect))


_pronunciation_table: dict[str, str] | None = None


def _pronunciations() -> dict[str, str]:
    """The full CMU dictionary shipped with the model: word → its first pronunciation."""
    global _pronunciation_table
    if _pronunciation_table is None:
        table: dict[str, str] = {}
        path = _model_path() / "cmudict-en-us.dict"
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                word, _, phones = line.strip().partition(" ")
                if phones and "(" not in word:
                    table.setdefault(word, phones.strip())
        _pronunciation_table = table
    return _pronunciation_table
