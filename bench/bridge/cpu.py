"""CPU accounting from /proc, pinning, real-time scheduling and idle-CPU spinners."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_queue_wait(pid: int) -> float:
    """Seconds a process's main thread (the event loop) has been runnable but not running."""
    with open(f"/proc/{pid}/schedstat") as stat:
        return int(stat.read().split()[1]) / 1e9


def _own_cpu() -> float:
    """CPU seconds of this process and its spinners."""
    return time.process_time() + sum(cpu_seconds(spinner.pid) for spinner in SPINNERS)


def machine_cpu() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (all CPUs), and stolen by the hypervisor."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks[:8]
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


async def wait_for_quiet(threshold_pct: float, within: float) -> float:
    """Wait (up to `within` s) until the rest of the machine uses under `threshold_pct` of
    one core over a second; the last second's figure."""
    deadline = time.monotonic() + within
    while True:
        own0, (busy0, _) = _own_cpu(), machine_cpu()
        await asyncio.sleep(1.0)
        own1, (busy1, _) = _own_cpu(), machine_cpu()
        others = 100 * (busy1 - busy0 - (own1 - own0))
        if others < threshold_pct or time.monotonic() > deadline:
            return others


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pin(pid: int, cpus: set[int] | None) -> None:
    """Pin every thread of a process (threads started before keep their own affinity)."""
    if not cpus:
        return
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task), cpus)


def realtime(pid: int) -> bool:
    """Put every thread of a process under SCHED_RR (priority 1); False if not allowed."""
    done = False
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(int(task), os.SCHED_RR, os.sched_param(1))
            done = True
    return done


#: Keeps one CPU out of its idle halt, yielding at once to any other task (SCHED_IDLE).
_SPINNER = "import os\nos.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\nwhile 1: pass"


def start_spinners(cpus: set[int]) -> list[subprocess.Popen[bytes]]:
    """One SCHED_IDLE busy loop per CPU: a halted virtual CPU takes long to wake (here a
    cross-CPU wake-up costs ~100 us at p50 and ms at p99 when the target CPU idles), and
    every frame crosses CPUs four times. Like idle=poll on a host: it only uses idle time."""
    spinners = []
    for cpu in sorted(cpus):
        spinner = subprocess.Popen([sys.executable, "-c", _SPINNER])
        pin(spinner.pid, {cpu})
        spinners.append(spinner)
    return spinners


SPINNERS: list[subprocess.Popen[bytes]] = []
#: The CPUs this script may use, read before it pins itself to the load's CPU.
CPUS = sorted(os.sched_getaffinity(0))


def autogroup() -> str:
    try:
        with open("/proc/self/autogroup") as group:
            return group.read().strip().lstrip("/")
    except OSError:
        return "no autogroup"


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU counters at one moment: each named process's CPU seconds, this process's, the
    spinners', the machine's (busy, stolen), and the run-queue waits of the service's event
    loop (0 without a service) and of this process."""

    processes: dict[str, float]
    own: float
    spinners: dict[int, float]
    machine: tuple[float, float]
    service_wait: float
    loadgen_wait: float

    @classmethod
    def take(cls, pids: dict[str, int], service_pid: int | None) -> CpuSnapshot:
        """Read every counter now."""
        return cls(
            processes={name: cpu_seconds(pid) for name, pid in pids.items()},
            own=time.process_time(),
            spinners={s.pid: cpu_seconds(s.pid) for s in SPINNERS},
            machine=machine_cpu(),
            service_wait=run_queue_wait(service_pid) if service_pid else 0.0,
            loadgen_wait=run_queue_wait(os.getpid()),
        )
