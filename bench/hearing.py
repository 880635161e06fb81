"""Each side's lines, synthesised and recognised one by one: the recogniser alone, quickly.

Run: `.venv/bin/python bench/hearing.py --seeds 3 --trades plumber` (`--help` for the knobs).

The full persona bench (`personas.py`) runs real-time calls; this one measures only what the
recogniser makes of each line, in a few seconds per persona, to compare recognition settings.
The lines are those of the text-only calls (`text_calls.py`: the same personas, seeds and
policy, every word heard right), each tagged with what its listener was expecting at the time.
Each line is spoken with its speaker's voice (Piper, or eSpeak NG with `--tts espeak`, → μ-law),
cut into utterances by the listener's voice activity detector as on a call, and decoded one
utterance at a time in this process (one core) by Whisper (or PocketSphinx: `--asr sphinx`).
Reported: word error rate each way (`persona_report`'s normalisation), provider lines whose
prices were all heard, and the recogniser's and the synthesiser's CPU seconds per second of
audio.

`--option name=value` passes a PocketSphinx decoder option (repeatable), e.g. `-o lw=9`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.persona_report import _edit_distance, _prices, _words
from bench.personas import JOBS
from bench.text_calls import heard_as_text, policy_for
from voice_backend.agents.local.agent import AGENT_VOICE
from voice_backend.audio import TWILIO_RATE
from voice_backend.sim.persona import PERSONA_DIR, Persona, load_personas
from voice_backend.sim.persona_mind import PersonaMind
from voice_backend.speech.asr import SpeechRecognizer
from voice_backend.speech.expect import Expect
from voice_backend.speech.tts import SpeechSynthesizer, Voice
from voice_backend.speech.vad import SpeechEnded, UtteranceDetector
from voice_backend.speech.whisper_asr import WhisperRecognizer

_SILENCE = b"\xff" * (TWILIO_RATE // 2)


@dataclass
class Spoken:
    """One line of a text call: who said it, with which voice, what the listener expected."""

    persona: str
    by_provider: bool
    text: str
    voice: Voice
    expect: Expect


def lines_of(key: str, persona: Persona, problem: str, budget: float) -> list[Spoken]:
    """Every line of the text-only call between `persona` and the policy."""
    mind = PersonaMind(persona, job=problem)
    if not mind.answers:
        return []
    policy = policy_for(persona, problem, budget)
    voice = Voice(persona.voice, persona.speaking_rate, persona.pitch)
    out: list[Spoken] = []
    said: str | None = mind.greeting()
    for _ in range(60):
        if said:
            out.append(Spoken(key, True, said, voice, policy.expecting))
        agent = policy.reply(heard_as_text(said)) if said else policy.on_silence()
        if agent is None:
            break
        if agent.text:
            out.append(Spoken(key, False, agent.text, AGENT_VOICE, mind.expecting))
        if agent.hang_up:
            break
        turn = mind.reply(heard_as_text(agent.text)) if agent.text else None
        if turn is None:
            break
        if turn.hang_up:
            if turn.text:
                out.append(Spoken(key, True, turn.text, voice, policy.expecting))
            break
        said = turn.text
    return out


def utterances(mulaw: bytes) -> list[bytes]:
    """The line's audio as the listener's detector cuts it."""
    detector = UtteranceDetector()
    found = [
        e.pcm for e in detector.feed(_SILENCE + mulaw + _SILENCE) if isinstance(e, SpeechEnded)
    ]
    last = detector.flush()
    return found + ([last.pcm] if last is not None else [])


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trades", help="only these trades' personas, comma-separated")
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--anything", action="store_true", help="ignore the expectation")
    parser.add_argument("-o", "--option", action="append", default=[], help="decoder name=value")
    parser.add_argument("--show", action="store_true", help="print every misheard line")
    parser.add_argument("--agent-voice", help="the agent's voice instead: name,wpm,pitch")
    parser.add_argument("--provider-rate", type=int, help="every persona at this many wpm")
    parser.add_argument("--provider-voice", help="every persona's voice instead: name,wpm,pitch")
    parser.add_argument("--only", help="persona keys, comma-separated")
    parser.add_argument("--tts", choices=("piper", "espeak"), default="piper")
    parser.add_argument("--asr", choices=("whisper", "sphinx"), default="whisper")
    args = parser.parse_args()
    options: dict[str, Any] = {}
    for item in args.option:
        name, _, value = item.partition("=")
        options[name] = _value(value)
    personas = load_personas(PERSONA_DIR)
    if args.trades:
        wanted = {t.strip().lower() for t in args.trades.split(",")}
        personas = {k: p for k, p in personas.items() if p.trade.lower() in wanted}
    if args.only:
        personas = {k: p for k, p in personas.items() if k in args.only.split(",")}
    agent_voice = AGENT_VOICE
    if args.agent_voice:
        name, wpm, pitch = args.agent_voice.split(",")
        agent_voice = Voice(name, int(wpm), int(pitch))
    recognizer: SpeechRecognizer | WhisperRecognizer
    if args.asr == "sphinx":
        recognizer = SpeechRecognizer(decoders=1, **options)
    else:
        recognizer = WhisperRecognizer(decoders=1)
    recognizer.warm_up()
    tts = SpeechSynthesizer(engine=args.tts)
    speaking = 0.0
    errors: dict[bool, list[int]] = defaultdict(lambda: [0, 0])
    prices = [0, 0]
    by_persona: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    audio_seconds = cpu = 0.0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for key, persona in sorted(personas.items()):
            update: dict[str, Any] = {"seed": persona.seed + 1000 * seed}
            if args.provider_rate:
                update["speaking_rate"] = args.provider_rate
            if args.provider_voice:
                name, wpm, pitch = args.provider_voice.split(",")
                update |= {"voice": name, "speaking_rate": int(wpm), "pitch": int(pitch)}
            seeded = persona.model_copy(update=update)
            problem = JOBS.get(persona.trade, "a small repair around the house")
            recognizer.learn(f"{persona.name} {persona.contact or ''} {problem}")
            for line in lines_of(key, seeded, problem, args.budget):
                began = time.process_time()
                audio = tts.synthesize(line.text, line.voice if line.by_provider else agent_voice)
                speaking += time.process_time() - began
                expect = Expect.ANYTHING if args.anything else line.expect
                began = time.process_time()
                pieces = [recognizer.transcribe(pcm, expect) for pcm in utterances(audio)]
                cpu += time.process_time() - began
                audio_seconds += len(audio) / TWILIO_RATE
                got = " ".join(p for p in pieces if p)
                reference, hypothesis = _words(line.text), _words(got)
                wrong = _edit_distance(reference, hypothesis)
                tally = errors[line.by_provider]
                tally[0] += wrong
                tally[1] += len(reference)
                row = by_persona[key]
                row[0 if line.by_provider else 2] += wrong
                row[1 if line.by_provider else 3] += len(reference)
                said = _prices(line.text) if line.by_provider else set()
                if said:
                    prices[1] += 1
                    prices[0] += said <= _prices(got)
                if args.show and wrong:
                    mark = "P" if line.by_provider else "A"
                    print(f"{mark} {expect.value:<9} {line.text!r}\n{'':11} -> {got!r}")
    for key, (pe, pw, ae, aw) in sorted(by_persona.items()):
        print(f"{key:<20} WER a<-p {pe / max(1, pw):6.1%}   WER p<-a {ae / max(1, aw):6.1%}")
    heard, said = errors[True], errors[False]
    print(f"WER, provider heard by the agent: {heard[0] / max(1, heard[1]):.1%} ({heard[1]} words)")
    print(f"WER, agent heard by the provider: {said[0] / max(1, said[1]):.1%} ({said[1]} words)")
    print(f"provider lines with every price heard: {prices[0]}/{prices[1]}")
    print(f"decoding: {cpu / max(audio_seconds, 1e-9):.2f} CPU s per audio s")
    print(f"speaking: {speaking / max(audio_seconds, 1e-9):.2f} CPU s per audio s (cache included)")
    return 0


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


if __name__ == "__main__":
    raise SystemExit(main())
