"""`haggle call`: start the calls, then watch until each one is completed or failed.

The voice service is a stand-in that accepts `/start-job`; the calls move because the test
writes to the same SQLite store the voice service would write to.
"""

from __future__ import annotations

import os
import pty
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BufferedReader
from typing import cast

from shared.models import CallStatus, Outcome, TranscriptTurn
from tests.cli.conftest import HAGGLE, Stack, VoiceStandIn, assert_one_line_error, cli_env, haggle


class Output:
    """What a running process writes, read in a thread so the test can wait for a line."""

    def __init__(self, stream: BufferedReader | int) -> None:
        self.text = ""
        self._chunks: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: BufferedReader | int) -> None:
        while True:
            try:
                chunk = os.read(stream, 4096) if isinstance(stream, int) else stream.read1(4096)
            except OSError:  # a pty's reader gets EIO once the child is gone
                chunk = b""
            self._chunks.put(chunk.decode(errors="replace") or None)
            if not chunk:
                return

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            remaining = deadline - time.monotonic()
            try:
                chunk = self._chunks.get(timeout=max(remaining, 0.01))
            except queue.Empty:
                chunk = ""
            if chunk is None or remaining <= 0:
                assert predicate(self.text), f"never seen; output so far:\n{self.text}"
                break
            self.text += chunk
        return self.text


@contextmanager
def running(
    *args: str, api: str, tty: bool = False
) -> Iterator[tuple[subprocess.Popen[bytes], Output]]:
    if tty:
        primary, secondary = pty.openpty()
        stdout: int = secondary
    else:
        stdout = subprocess.PIPE
    process = subprocess.Popen(
        [str(HAGGLE), *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=cli_env(api, COLUMNS="120"),
    )
    if tty:
        os.close(secondary)
        output = Output(primary)
    else:
        assert process.stdout is not None
        output = Output(cast(BufferedReader, process.stdout))
    try:
        yield process, output
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=15)
        if tty:
            os.close(primary)


def _started(voice: VoiceStandIn, job_id: str) -> None:
    deadline = time.monotonic() + 20
    while job_id not in voice.started:
        assert time.monotonic() < deadline, "haggle call never reached /start-job"
        time.sleep(0.05)


def test_call_in_a_pipe_prints_each_change_until_every_call_ends(
    stack: Stack, voice: VoiceStandIn
) -> None:
    job_id = stack.create_job()
    ace, bob = stack.add_providers(job_id, "Ace Plumbing", "Bob's Drains")

    with running("call", job_id, "--interval", "0.1", api=stack.url) as (process, output):
        _started(voice, job_id)
        output.wait_for(lambda text: text.count("pending") == 2)
        stack.set_call(ace, call_status=CallStatus.IN_PROGRESS)
        output.wait_for(lambda text: "Ace Plumbing (+14155550100): in_progress" in text)
        stack.set_call(ace, call_status=CallStatus.COMPLETED, outcome=Outcome.AGREED,
                       minimum_quote=200, negotiated_price=150)  # fmt: skip
        output.wait_for(lambda text: "agreed $150" in text)
        assert process.poll() is None, "it stopped while a call was still pending"
        stack.set_call(bob, call_status=CallStatus.FAILED, outcome=Outcome.NO_ANSWER)
        assert process.wait(timeout=20) == 0
        text = output.wait_for(lambda text: "all 2 calls ended" in text)
        assert process.stderr is not None and process.stderr.read() == b""

    lines = text.splitlines()
    assert lines[0] == f"calling 2 providers for {job_id}"
    changes = [line.split("] ", 1)[1] for line in lines[1:-1]]
    assert changes == [
        "Ace Plumbing (+14155550100): pending",
        "Bob's Drains (+14155550101): pending",
        "Ace Plumbing (+14155550100): in_progress",
        "Ace Plumbing (+14155550100): completed (agreed), first quote $200, agreed $150",
        "Bob's Drains (+14155550101): failed (no_answer)",
    ]
    assert all(line.startswith("[0:") for line in lines[1:-1])
    summary = f"all 2 calls ended (1 agreed, 1 no_answer); ranked: haggle results {job_id}"
    assert lines[-1] == summary
    assert "\x1b" not in text


def test_call_on_a_terminal_redraws_one_table(stack: Stack, voice: VoiceStandIn) -> None:
    job_id = stack.create_job()
    ace, bob = stack.add_providers(job_id, "Ace Plumbing", "Bob's Drains")

    with running("call", job_id, "--interval", "0.1", api=stack.url, tty=True) as (
        process,
        output,
    ):
        _started(voice, job_id)
        output.wait_for(lambda text: "0 of 2 calls ended" in text)
        stack.set_call(ace, call_status=CallStatus.COMPLETED, outcome=Outcome.AGREED,
                       minimum_quote=200, negotiated_price=150)  # fmt: skip
        output.wait_for(lambda text: "1 of 2 calls ended" in text)
        stack.set_call(bob, call_status=CallStatus.FAILED, outcome=Outcome.BUSY)
        assert process.wait(timeout=20) == 0
        text = output.wait_for(lambda text: "all 2 calls ended" in text)

    assert "PROVIDER" in text and "STATUS" in text and "FIRST QUOTE" in text
    assert "\x1b[2K" in text and "A\x1b[2K" in text  # lines cleared, cursor moved back up
    assert "2 of 2 calls ended" in text and "Ctrl-C" in text
    final = text.rsplit("\x1b[J", 1)[-1]
    assert "all 2 calls ended (1 agreed, 1 busy)" in final


def test_call_can_watch_without_starting_and_give_up_after_a_timeout(
    stack: Stack, voice: VoiceStandIn
) -> None:
    job_id = stack.create_job()
    stack.add_providers(job_id, "Ace Plumbing")

    run = haggle("call", job_id, "--no-start", "--interval", "0.1", "--timeout", "0.5",
                 api=stack.url)  # fmt: skip

    assert job_id not in voice.started
    assert run.returncode == 1
    assert "Ace Plumbing (+14155550100): pending" in run.stdout
    (line,) = run.stderr.splitlines()
    assert line.startswith("haggle: call: 1 of 1 calls still open after 0.5 s")
    assert f"haggle call {job_id} --no-start" in line


def test_call_when_every_call_has_already_ended(stack: Stack, voice: VoiceStandIn) -> None:
    job_id = stack.create_job()
    (ace,) = stack.add_providers(job_id, "Ace Plumbing")
    stack.set_call(ace, call_status=CallStatus.FAILED, outcome=Outcome.DIAL_ERROR)
    voice.body = {"status": "started", "count": 0}

    run = haggle("call", job_id, api=stack.url)

    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].startswith("no provider of")
    assert "all 1 calls ended (1 dial_error)" in run.stdout


def test_call_errors_are_one_line(stack: Stack, voice: VoiceStandIn) -> None:
    empty = stack.create_job()
    assert_one_line_error(
        haggle("call", empty, api=stack.url),
        "No providers found",
        f"haggle providers add {empty} --csv FILE",
    )
    assert_one_line_error(haggle("call", "no-such-job", api=stack.url), "not found")
    assert_one_line_error(haggle("call", "no-such-job", "--no-start", api=stack.url), "not found")

    job_id = stack.create_job()
    stack.add_providers(job_id, "Ace Plumbing")
    voice.status_code, voice.body = 401, {"detail": "bad token"}
    assert_one_line_error(haggle("call", job_id, api=stack.url), "call:", "bad token")
    assert_one_line_error(
        haggle("call", job_id, "--interval", "0", api=stack.url), "--interval", status=2
    )


def test_call_shows_each_turn_as_it_is_spoken(stack: Stack, voice: VoiceStandIn) -> None:
    job_id = stack.create_job()
    (ace,) = stack.add_providers(job_id, "Ace Plumbing")
    greeting = TranscriptTurn(role="assistant", text="Hi, is this Ace Plumbing?")
    quote = TranscriptTurn(role="user", text="We charge two hundred dollars.")

    with running("call", job_id, "--interval", "0.1", api=stack.url) as (process, output):
        _started(voice, job_id)
        # Its first look (on a loaded machine it may come after /start-job by a while).
        output.wait_for(lambda text: "Ace Plumbing (+14155550100): pending" in text)
        stack.set_call(ace, call_status=CallStatus.IN_PROGRESS, transcript_turns=[greeting])
        output.wait_for(lambda text: "agent: Hi, is this Ace Plumbing?" in text)
        # The voice service writes each turn as it ends, with the first quote once heard.
        stack.set_call(ace, transcript_turns=[greeting, quote], minimum_quote=200)
        output.wait_for(lambda text: "Ace Plumbing: We charge two hundred dollars." in text)
        assert process.poll() is None
        stack.set_call(ace, call_status=CallStatus.COMPLETED, outcome=Outcome.NO_AGREEMENT)
        assert process.wait(timeout=20) == 0
        text = output.wait_for(lambda text: "all 1 calls ended" in text)

    changes = [line.split("] ", 1)[1] for line in text.splitlines()[1:-1]]
    assert changes == [
        "Ace Plumbing (+14155550100): pending",
        "Ace Plumbing (+14155550100): in_progress",
        "Ace Plumbing · agent: Hi, is this Ace Plumbing?",
        "Ace Plumbing (+14155550100): in_progress, first quote $200",
        "Ace Plumbing · Ace Plumbing: We charge two hundred dollars.",
        "Ace Plumbing (+14155550100): completed (no_agreement), first quote $200",
    ]


def test_call_on_a_terminal_shows_what_was_last_said(stack: Stack, voice: VoiceStandIn) -> None:
    job_id = stack.create_job()
    (ace,) = stack.add_providers(job_id, "Ace Plumbing")
    quote = TranscriptTurn(role="user", text="We charge two hundred dollars.")
    with running("call", job_id, "--interval", "0.1", api=stack.url, tty=True) as (
        process,
        output,
    ):
        _started(voice, job_id)
        stack.set_call(ace, call_status=CallStatus.IN_PROGRESS, transcript_turns=[quote])
        output.wait_for(lambda text: "Ace Plumbing · Ace Plumbing: We charge two hundred" in text)
        stack.set_call(ace, call_status=CallStatus.FAILED, outcome=Outcome.ERROR)
        assert process.wait(timeout=20) == 0
