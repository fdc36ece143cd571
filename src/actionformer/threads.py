"""How many CPU threads torch may use: one rule for ``train``, ``eval`` and any later command.

torch's own default is the machine's core count, whatever share of it this process may actually
use. On a shared machine that is too many: OpenMP threads spin on a barrier while one of them is
descheduled, and an epoch that takes 1.6 s on one thread took 124.5 s on two cores beside
another CPU-bound job. The default here counts only the CPUs this process may run on (its
affinity mask and its cgroup CPU quota) and splits them among torchrun's local processes.

A busy machine still takes CPUs away while a run holds its threads, so commands also ask
OpenMP to sleep rather than spin while it waits at a barrier (:func:`prefer_passive_wait`):
on the 2-core machine under a load average of ~3, an epoch of the synthetic recipe took 56 s
with torch's defaults, 8.6 s with passive waiting (2 threads) and 4.6 s on one thread.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Mapping, MutableMapping, Optional

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (``os.cpu_count()`` where the OS has no masks)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def cgroup_cpu_quota(path: Path = CGROUP_CPU_MAX) -> Optional[int]:
    """Whole CPUs allowed by a cgroup v2 quota (``cpu.max`` = "QUOTA PERIOD"), None without one.

    Rounded down (at least 1): a thread more than the quota allows is exactly the oversubscription
    that makes OpenMP spin.
    """
    try:
        fields = path.read_text().split()
    except OSError:
        return None
    if len(fields) != 2 or fields[0] == "max":
        return None
    try:
        quota, period = int(fields[0]), int(fields[1])
    except ValueError:
        return None
    return max(1, quota // period) if quota > 0 and period > 0 else None


def local_processes(env: Mapping[str, str]) -> int:
    """Processes torchrun started on this machine (``LOCAL_WORLD_SIZE``), 1 outside torchrun."""
    try:
        return max(1, int(env.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def default_num_threads(env: Optional[Mapping[str, str]] = None, cgroup_path: Path = CGROUP_CPU_MAX) -> int:
    """The thread count to use when ``--threads`` is not given.

    An explicit ``OMP_NUM_THREADS`` wins (the user chose); otherwise the usable CPUs
    (affinity, capped by the cgroup quota) divided among the local processes, at least 1.
    torchrun itself sets ``OMP_NUM_THREADS=1`` for every process when it starts several on a
    machine and the user set none; that ``1`` is torchrun's default, not a choice, so it is
    replaced by the division (``--threads 1`` still asks for one thread).
    """
    env = os.environ if env is None else env
    explicit = _positive_int(env.get("OMP_NUM_THREADS"))
    if explicit is not None and not (explicit == 1 and local_processes(env) > 1):
        return explicit
    cpus = affinity_cpus()
    quota = cgroup_cpu_quota(cgroup_path)
    if quota is not None:
        cpus = min(cpus, quota)
    return max(1, math.floor(cpus / local_processes(env)))


def prefer_passive_wait(env: Optional[MutableMapping[str, str]] = None) -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the user chose a wait policy or spin count; True
    when set. OpenMP reads it once, when torch loads: call this before ``import torch``
    (it does nothing once torch is imported)."""
    env = os.environ if env is None else env
    if "torch" in sys.modules or "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env:
        return False
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return True


def configure_threads(requested: Optional[int] = None) -> int:
    """Set torch's intra-op (and, when still possible, inter-op) thread count; returns it.

    ``requested`` is the ``--threads`` value (None: :func:`default_num_threads`).
    """
    import torch

    threads = int(requested) if requested is not None else default_num_threads()
    if threads < 1:
        raise ValueError(f"--threads {threads}: must be at least 1")
    torch.set_num_threads(threads)
    try:
        # inter-op threads only run torch.jit forks here; keep them within the same budget.
        # torch allows setting them once, before any inter-op work: later calls raise.
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass
    return threads


def _positive_int(value: Optional[str]) -> Optional[int]:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 1 else None
