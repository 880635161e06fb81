"""Call bridge load benchmark: N concurrent calls of real-time 20 ms frames, echoed by a fake Grok.

Run: `.venv/bin/python bench/bridge_bench.py` (about 5 minutes; `--help` for the knobs), or
`make bench`. Prints one table; `--json FILE` keeps the raw numbers.

Who runs where
--------------
* The voice service under test runs alone in its own process: `python -m uvicorn
  voice_backend.app:app` with production's options (uvloop, httptools, no per-message
  deflate, the service's own WebSocket protocol, as in docker-compose.yml and `haggle serve`;
  the reference bridge of `--compare` runs on uvicorn's default WebSocket implementation, as
  its sample would), configured through the
  environment: TELEPHONY=twilio, AGENT=grok, a SQLite file in a temp dir, silence and time limits
  far beyond the run. Its CPU time is read from /proc/<pid>/stat before and after the window.
* The fake Grok (`tests.fakes.grok_realtime.FakeGrok(echo=True, vad=False, record_audio=False)`)
  runs in a second process. It echoes every `input_audio_buffer.append` straight back as an
  output audio delta, and answers the agent's first `response.create` with a scripted greeting
  (`--greeting-ms` of tone).
* This process plays Twilio for every call. Calls bypass the dispatcher: provider rows are
  written straight into the store in `dialing` with a call SID (claimed by another instance
  id, so the service's start-up sweep leaves them alone), then, as Twilio would once a call is
  answered, each call fetches its signed TwiML (`POST /twiml` with `X-Twilio-Signature` and the
  CallSid), opens the `<Stream>` WebSocket, sends `connected` and `start` with the TwiML's
  `<Parameter>`s, and streams 20 ms μ-law `media` frames. No status callbacks are sent (they
  are per call, not per frame). Calls start at `--ramp-rate` per second, each on a random
  1 ms phase of the 20 ms clock (real calls do not tick in step).
* With two or more CPUs, the service is pinned to CPU 0 and the load (this process and the fake
  Grok) to CPU 1 (`--pin none` to let the kernel choose). The load shares its core between two
  processes: the table shows how busy it was, and its own send lag, so a limit of the load
  generator is not mistaken for one of the bridge.
* On a shared machine other processes take the CPUs too. Before each step the script waits for
  them to go quiet (`--quiet-threshold`, `--quiet-timeout`), and each row shows how long the
  service's and the generator's threads waited for a CPU (`wait%`, `gwait%`, from
  /proc/<pid>/schedstat), the others' CPU and the hypervisor's steal. A step where the service
  waited, the load fell behind or much was stolen is CONTENDED and is run again (`--retries`).
  `--nice -15` and, as root, `--rt` (SCHED_RR for the service, the fake and the load) keep
  other work from delaying them: under EEVDF a nice value does not stop another task from
  finishing its slice before ours runs, so only `--rt` removes those waits.

Why not `TwilioPeer`: it hands received audio to its phone on its playback clock (one frame per
20 ms tick), so the moment an echo arrives is not observable, and it keeps every message it
receives. Here a lean client does the same Twilio protocol on a raw asyncio protocol (a minimal
RFC 6455 client: masked text frames out, frames parsed in place, no task per call) and one
scheduler task sends every call's frames on an absolute schedule: frame k of a call is due at
`first_due + k * 20 ms`; the time it actually left is recorded too. Each `mark` the service
sends is echoed at once (Twilio echoes it once the audio before it has played; the service's
work per mark is the same).

What is measured
----------------
Each frame carries a marker: with `pcmu` the bridge passes bytes through, so the first 8 bytes of
the 160 are a magic and the frame number and each echoed frame is identified exactly. With
`pcm24k` audio is resampled 8 -> 24 kHz on the way to Grok and 24 -> 8 kHz on the way back, so
bytes do not survive: frames are matched by counting, since the echo is sample-exact in length
(frame k is back once `160 * (k + 1)` bytes of echo have arrived, after the greeting's bytes;
the resamplers' buffering thus counts as latency, as it should).

* latency (per frame): arrival of its echo minus the moment it was sent, in ms. It is the whole
  loop: this client -> service -> fake Grok (echo) -> service -> this client, so it is an
  UPPER BOUND of what the bridge adds; `--baseline` also runs the same N streams directly
  against the fake Grok (no service), whose round trip is the fake's and the client's share.
* late: a frame whose echo arrives more than 20 ms after its ideal time, where ideal means the
  arrival of the call's first measured echo plus 20 ms per frame since (the playout schedule of
  a jitter buffer started by the first echo), with frames on their ideal send schedule; a frame
  never echoed counts as late (and as lost). Only frames due in the measurement window count:
  the window opens `--warmup` s after the last call heard its first audio, and lasts
  `--duration` s; frames go on `--grace` s after it, while its last echoes are awaited.
* first audio: time from sending `start` to the first `media` the service sends (the greeting,
  or an echo if that comes first), per call, measured while earlier calls are streaming.
* CPU s per call-minute: the service process's user+system CPU over the window, divided by
  N x window minutes (the steady state of streaming calls; set-up is not in it).
* `--compare`: after each N, the same load runs through `bench/reference_bridge.py`, a minimal
  bridge written the way the vendors' samples are (json per message, a base64 round trip per
  delta, `send_json`, a mark per delta, no metrics or checks), pinned and measured the same
  way; a line under the pair gives the service's CPU per call-minute as a ratio of the
  reference's, and both echo p99s, lost frames and first-audio p50s.
* The largest N with no late frame (the sweep stops after two failing steps in a row;
  `--refine` steps bisect between the last pass and the first failure).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ and the fake Grok (in tests/) are not installed
    sys.path.insert(0, str(ROOT))

from bench.bridge.cli import main  # noqa: E402  (needs ROOT on the path)

if __name__ == "__main__":
    sys.exit(main(description=__doc__.split("\n\n")[0]))
