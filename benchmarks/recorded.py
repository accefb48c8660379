"""What `newsflow process` holds for the outcomes an --out already records, and what telling
an input by them costs: `python -m benchmarks.recorded --outcomes 1000000`.

Writes `--outcomes` outcome events into clean.ndjson, duplicates.ndjson and rejected.ndjson
in `--dir` (a temporary directory, removed after, by default), 80 % clean, 10 % duplicates,
10 % rejections. They are the events `newsflow process samples/` writes (run once, in a child
process), each given an id of its own: an `article_id` (a BLAKE2b digest, as ingest's are),
or for a rejection before ingest its own line of the file; a clean event's text is cut to
`--text-chars` (the ids held are the same whatever the lines' length; the time to read them
grows with it). Then, in this process:

- reads them as a run does (`read_recorded`): CPU seconds, and the resident memory it took (VmRSS
  after less before, and the peak, VmHWM reset before, less before);
- admits `--admits` inputs whose outcome is not recorded (new article ids), then as many whose
  outcome is: CPU microseconds per `Recorded.admit`, the time to build the event taken off,
  and the resident memory the first took (grown, and at the peak);
- reads them again under tracemalloc: the bytes held after and at the peak, and those that
  `--admits` new inputs add (what a run of that many inputs grows by).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from newsflow.batch.recorded import Recorded, read_recorded

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NAMES = ("clean", "duplicates", "rejected")
SHARES = {"clean": 8, "duplicates": 1, "rejected": 1}  # in every 10 outcomes
MIB = 1 << 20


def templates(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """The events `newsflow process` writes for samples/, by file."""
    out = folder / "templates"
    command = [sys.executable, "-m", "newsflow", "process", str(SAMPLES), "--out", str(out)]
    subprocess.run([*command, "--quiet", "--workers", "1"], check=True, timeout=300)
    found = {name: (out / f"{name}.ndjson").read_bytes().splitlines() for name in NAMES}
    shutil.rmtree(out)
    return {name: [orjson.loads(line) for line in lines] for name, lines in found.items()}


def article_id(n: int) -> str:
    return hashlib.blake2b(n.to_bytes(8), digest_size=16).hexdigest()


KINDS = [name for name, share in SHARES.items() for _ in range(share)]


def _kind(n: int) -> str:
    """The file of the `n`th outcome."""
    return KINDS[n % len(KINDS)]


def write_outcomes(count: int, folder: Path, *, text_chars: int) -> int:
    """`count` outcome events, each of its own input, into the three files; their bytes."""
    shapes = templates(folder)
    for event in shapes["clean"]:
        event["text"] = event["text"][:text_chars]
    files = {name: (folder / f"{name}.ndjson").open("wb") for name in NAMES}
    try:
        for n in range(count):
            name = _kind(n)
            shape = shapes[name][n % len(shapes[name])]
            if shape.get("article_id") is None:  # a rejection before ingest: by its origin
                event = {**shape, "origin": {**shape["origin"], "line": n + 1}}
            else:
                event = {**shape, "article_id": article_id(n)}
            files[name].write(orjson.dumps(event) + b"\n")
    finally:
        for stream in files.values():
            stream.close()
    return sum((folder / f"{name}.ndjson").stat().st_size for name in NAMES)


def _status(field: str) -> int:
    """A field of /proc/self/status in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def _events(numbers: Iterable[int]) -> Iterator[dict[str, Any]]:
    return ({"article_id": article_id(n)} for n in numbers)


def _seconds_per_admit(recorded: Recorded, numbers: Sequence[int]) -> float:
    """CPU seconds per `admit` of the inputs `numbers`, building their events taken off."""
    if not numbers:
        return 0.0
    started = time.process_time()
    for _ in _events(numbers):
        pass
    building = time.process_time() - started
    started = time.process_time()
    for event in _events(numbers):
        recorded.admit(event)
    return (time.process_time() - started - building) / len(numbers)


def measure(folder: Path, *, outcomes: int, admits: int) -> dict[str, Any]:
    """The figures of reading the outcome files in `folder` and admitting inputs."""
    paths = [folder / f"{name}.ndjson" for name in NAMES]
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) reset to VmRSS
    rss = _status("VmRSS")
    started = time.process_time()
    recorded, _ = read_recorded(paths)
    figures: dict[str, Any] = {
        "read_seconds": time.process_time() - started,
        "rss_grown": _status("VmRSS") - rss,
        "rss_peak_grown": _status("VmHWM") - rss,
    }
    fresh = range(outcomes, outcomes + admits)
    known = list(islice((n for n in range(outcomes) if _kind(n) != "rejected"), admits))
    Path("/proc/self/clear_refs").write_text("5")
    rss = _status("VmRSS")
    figures["admit_new_us"] = _seconds_per_admit(recorded, fresh) * 1e6
    figures["admitted_rss_grown"] = _status("VmRSS") - rss
    figures["admitted_rss_peak_grown"] = _status("VmHWM") - rss
    if recorded.skipped:
        raise AssertionError(f"{recorded.skipped} inputs not recorded were skipped")
    figures["admit_recorded_us"] = _seconds_per_admit(recorded, known) * 1e6
    if recorded.skipped != len(known):
        raise AssertionError(f"{recorded.skipped} of {len(known)} recorded inputs skipped")
    figures["skipped"] = recorded.skipped
    del recorded
    tracemalloc.start()
    try:
        recorded, _ = read_recorded(paths)
        figures["held"], figures["held_peak"] = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for event in _events(fresh):
            recorded.admit(event)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    figures["admitted_held"] = held - figures["held"]
    figures["admitted_peak"] = peak - figures["held"]
    return figures


def run(outcomes: int, *, admits: int, text_chars: int, folder: Path) -> dict[str, Any]:
    """Write the outcome files into `folder` (unless it holds those of the same arguments, from
    an earlier run with `--dir`), and measure."""
    made = {"outcomes": outcomes, "text_chars": text_chars}
    marker = folder / "written.json"
    started = time.perf_counter()
    if marker.exists() and orjson.loads(marker.read_bytes()) == made:
        size = sum((folder / f"{name}.ndjson").stat().st_size for name in NAMES)
    else:
        size = write_outcomes(outcomes, folder, text_chars=text_chars)
        marker.write_bytes(orjson.dumps(made))
    figures = {
        "outcomes": outcomes,
        "admits": admits,
        "bytes": size,
        "write_seconds": time.perf_counter() - started,
    }
    return figures | measure(folder, outcomes=outcomes, admits=admits)


def report(figures: dict[str, Any]) -> str:
    n, admits = figures["outcomes"], figures["admits"]
    per_id = f" ({figures['held'] / n:.1f} bytes an id)" if n else ""
    per_line = f" ({figures['read_seconds'] / n * 1e6:.1f} µs a line)" if n else ""
    return "\n".join(
        [
            f"outcomes recorded   {n:,} ({figures['bytes'] / MIB:,.0f} MiB in 3 files, written "
            f"in {figures['write_seconds']:.1f} s)",
            f"read                {figures['read_seconds']:.2f} s of CPU{per_line}; RSS "
            f"+{figures['rss_grown'] / MIB:,.1f} MiB, peak +{figures['rss_peak_grown'] / MIB:,.1f}",
            f"held (tracemalloc)  {figures['held'] / MIB:,.1f} MiB{per_id}, peak "
            f"{figures['held_peak'] / MIB:,.1f} MiB while reading",
            f"admit (CPU)         {figures['admit_new_us']:.2f} µs an input not recorded, "
            f"{figures['admit_recorded_us']:.2f} µs one recorded ({admits:,} and "
            f"{figures['skipped']:,})",
            f"{admits:,} admitted      +{figures['admitted_held'] / MIB:,.1f} MiB held, peak "
            f"+{figures['admitted_peak'] / MIB:,.1f} MiB (tracemalloc); RSS "
            f"+{figures['admitted_rss_grown'] / MIB:,.1f} MiB, peak "
            f"+{figures['admitted_rss_peak_grown'] / MIB:,.1f}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes", type=int, default=1_000_000, help="recorded in the files")
    parser.add_argument("--admits", type=int, default=100_000, help="inputs admitted after")
    parser.add_argument("--text-chars", type=int, default=500, help="a clean event's text cut")
    parser.add_argument(
        "--dir", type=Path, help="write the files here and keep them (or read those kept there)"
    )
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        folder = args.dir
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="recorded-")))
        folder.mkdir(parents=True, exist_ok=True)
        figures = run(args.outcomes, admits=args.admits, text_chars=args.text_chars, folder=folder)
    print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
