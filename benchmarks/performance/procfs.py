"""Process-tree memory and CPU time from /proc (Linux), and how busy the machine was.

CPU time makes the per-core comparison robust on a shared machine: wall-clock rates move
with whatever else runs, CPU seconds per article much less. `MachineMeter` tells how many
cores *other* processes kept busy during a measurement, so a noisy figure can be seen.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")
ROLES = ("supervisor", "workers", "forkserver", "extractors")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    children = _children()
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one live process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def roles(root: int, children: dict[int, list[int]] | None = None) -> dict[int, str]:
    """The role of each process of a service's tree: supervisor, workers (spawned group
    members), forkserver, extractors (the sandbox children, forked from the forkserver).
    `children`: the machine's process tree (`_children()`), when the caller already has it."""
    children = _children() if children is None else children
    found: dict[int, str] = {}

    def walk(pid: int, role: str) -> None:
        found[pid] = role
        for child in children.get(pid, []):
            cmdline = _cmdline(child)
            if role == "forkserver":  # forked from it: same command line
                walk(child, "extractors")
            elif "forkserver" in cmdline:
                walk(child, "forkserver")
            elif "spawn_main" in cmdline:
                walk(child, "workers")
            elif "resource_tracker" not in cmdline:
                walk(child, role)

    walk(root, "supervisor")
    return found


def rss_tree(root: int) -> dict[str, int]:
    """Resident memory (bytes) of a service's processes by role (see `roles`)."""
    by_role = dict.fromkeys(ROLES, 0)
    for pid, role in roles(root).items():
        by_role[role] += _rss(pid)
    return by_role


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat, everything but idle)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


class CpuMeter(threading.Thread):
    """CPU seconds used by the process trees under `roots` between `start()` and `stop()`,
    sampled twice a second (a process that exits between samples loses < 0.5 s of its time).
    Also the CPU the rest of the machine used meanwhile, in cores."""

    def __init__(self, *roots: int) -> None:
        super().__init__(daemon=True, name="cpu-meter")
        self.roots = roots
        self.first: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], float] = {}
        self._halt = threading.Event()

    def snapshot(self) -> dict[tuple[int, int], float]:
        return {(root, pid): cpu_seconds(pid) for root in self.roots for pid in tree(root)}

    def start(self) -> None:
        self.first = self.snapshot()
        self.last = dict(self.first)
        self._began = time.monotonic()
        self._busy = busy_seconds()
        self._own = _self_cpu()
        super().start()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            self.last.update(self.snapshot())

    def stop(self) -> dict[str, Any]:
        """CPU seconds per root tree (`cpu_seconds`, in the order given), the wall time, the
        harness's own CPU, and `other_cores`: how many cores the rest of the machine kept
        busy on average meanwhile."""
        self._halt.set()
        self.join()
        self.last.update(self.snapshot())
        wall = time.monotonic() - self._began
        per_root = dict.fromkeys(self.roots, 0.0)
        for (root, pid), value in self.last.items():
            per_root[root] += value - self.first.get((root, pid), 0.0)
        ours = sum(per_root.values())
        harness = _self_cpu() - self._own
        others = busy_seconds() - self._busy - ours - harness
        return {
            "cpu_seconds": [per_root[root] for root in self.roots],
            "wall_seconds": wall,
            "harness_cpu_seconds": harness,
            "other_cores": max(0.0, others / wall) if wall else 0.0,
        }


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_times(pid: int) -> dict[int, tuple[str, float, float]]:
    """Per thread of a live process: its name, seconds run on a CPU and seconds spent
    runnable but waiting for one (/proc/<pid>/task/<tid>/schedstat), since it started."""
    found: dict[int, tuple[str, float, float]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            run, wait, _ = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        except (OSError, ValueError):
            continue
        found[int(tid)] = (name, int(run) / 1e9, int(wait) / 1e9)
    return found


class ThreadMeter(threading.Thread):
    """Per thread of the processes under `roots` (name → root pid), between `start()` and
    `stop()`: seconds on a CPU and seconds runnable but waiting for one. On a machine with
    fewer cores than busy threads, the wait is what the service loses to sharing them."""

    def __init__(self, roots: dict[str, int]) -> None:
        super().__init__(daemon=True, name="thread-meter")
        self.roots = roots
        self.first: dict[tuple[int, int], tuple[str, str, float, float]] = {}
        self.last: dict[tuple[int, int], tuple[str, str, float, float]] = {}
        self._halt = threading.Event()

    def snapshot(self) -> dict[tuple[int, int], tuple[str, str, float, float]]:
        found = {}
        children = _children()  # one scan of /proc for every root
        labels: dict[int, str] = {}  # a process under two roots (the broker is the harness's
        for name, root in self.roots.items():  # child) belongs to the first
            for pid, role in roles(root, children).items():
                labels.setdefault(
                    pid, name if len(self.roots) > 1 and role == "supervisor" else role
                )
        for pid, label in labels.items():
            for tid, (thread, run, wait) in thread_times(pid).items():
                found[(pid, tid)] = (label, thread if tid != pid else "main", run, wait)
        return found

    def start(self) -> None:
        self.first = self.snapshot()
        self.last = dict(self.first)
        super().start()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            for key, value in self.snapshot().items():
                self.first.setdefault(key, (*value[:2], 0.0, 0.0))  # born meanwhile
                self.last[key] = value

    def stop(self) -> list[dict[str, Any]]:
        """One row per (process role, thread name): seconds run and waited, busiest first."""
        self._halt.set()
        self.join()
        rows: dict[tuple[str, str], list[float]] = {}
        for key, (role, thread, run, wait) in self.last.items():
            _, _, run0, wait0 = self.first[key]
            row = rows.setdefault((role, thread), [0.0, 0.0])
            row[0] += run - run0
            row[1] += wait - wait0
        ordered = sorted(rows.items(), key=lambda item: -item[1][0])
        return [
            {"process": role, "thread": thread, "run_seconds": run, "wait_seconds": wait}
            for (role, thread), (run, wait) in ordered
        ]
