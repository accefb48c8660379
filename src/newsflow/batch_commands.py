"""The commands of `newsflow` that need no broker: `process` (files through the stages into
DIR/*.ndjson) and `stories` (the largest recent stories in a store), with their settings.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from newsflow.batch.inputs import InputError, InputItem, read_inputs, skipped_line
from newsflow.batch.lock import exclusive
from newsflow.batch.recorded import read_recorded
from newsflow.batch.runner import (
    OUTPUT_NAMES,
    BatchSettings,
    BatchSummary,
    process_items,
    write_outcomes,
)
from newsflow.commands import MAX_MESSAGE_BYTES
from newsflow.config import Setting, add_settings, positive_float, positive_int, resolve
from newsflow.errors import ConfigError, NewsflowError
from newsflow.logs import configure_logging
from newsflow.pipeline import Outcome
from newsflow.stage_settings import STAGE_SETTINGS, stage_limits
from newsflow.stages.ingest import IngestLimits, format_timestamp
from newsflow.store.base import REDIS_SCHEMES, open_store, url_scheme

# `newsflow stories`: the store, and the window to list
LISTING_SETTINGS = tuple(
    s for s in STAGE_SETTINGS if s.field in ("store_url", "store_prefix", "story_window_hours")
)
PROCESS_SETTINGS = (
    *STAGE_SETTINGS,
    MAX_MESSAGE_BYTES,
    Setting("workers", "parallel extraction processes", os.cpu_count() or 1, positive_int),
)


MAX_STORY_LIMIT = 1_000_000


def story_limit(text: str) -> int:
    """How many stories `newsflow stories` lists: 1 to `MAX_STORY_LIMIT` (a larger number
    overflowed SQLite's integer in a traceback)."""
    value = positive_int(text)
    if value > MAX_STORY_LIMIT:
        raise ValueError(f"must be at most {MAX_STORY_LIMIT}")
    return value


def add_batch_commands(commands: Any) -> None:
    """Add the process and stories subcommands to the `newsflow` parser."""
    process = commands.add_parser(
        "process",
        help="run the pipeline over files, no broker",
        description="Run every input through ingest, extract and dedup; write "
        "DIR/clean.ndjson, DIR/duplicates.ndjson and DIR/rejected.ndjson, after the outcomes "
        "an earlier run wrote there (an input whose outcome they hold is skipped).",
    )
    process.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="INPUT",
        help=".ndjson/.jsonl(.gz) raw messages, .html/.htm/.txt files, .warc(.gz)/.wet(.gz) web "
        "archives, or dirs",
    )
    process.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    process.add_argument("--base-url", help="URL prefix for .html/.txt files (default: file://)")
    process.add_argument("--store", dest="store_url", help=argparse.SUPPRESS)
    process.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_settings(process, PROCESS_SETTINGS)
    process.set_defaults(handler=run_process)
    listing = commands.add_parser(
        "stories",
        help="list the largest recent stories in the store",
        description="The largest stories with an article published (else fetched) within the "
        "last HOURS: id, size, first and last seen, sources and the first article's title.",
    )
    listing.add_argument(
        "--limit", type=story_limit, default=20, help="how many stories (default 20)"
    )
    listing.add_argument(
        "--hours",
        type=positive_float,
        default=None,
        help="whose latest article was published (else fetched) within this many hours of now "
        "(event time, as the story window; default: the story window)",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per story")
    listing.add_argument("--store", dest="store_url", help=argparse.SUPPRESS)
    add_settings(listing, LISTING_SETTINGS)
    listing.set_defaults(handler=run_stories)


def run_process(args: argparse.Namespace) -> int:
    values = resolve(args, PROCESS_SETTINGS)
    configure_logging(json=False, level="WARNING")
    ingest_limits = IngestLimits(max_bytes=values["max_message_bytes"])
    sandbox_limits, decide = stage_limits(values)
    sandbox_limits = replace(
        sandbox_limits,
        startup_limit=sandbox_limits.startup_limit * starts_per_cpu(values["workers"]),
    )
    settings = BatchSettings(
        workers=values["workers"], ingest=ingest_limits, sandbox=sandbox_limits, decide=decide
    )
    summary = BatchSummary()
    out: Path = args.out
    try:  # the named inputs are checked here, before anything is written
        items = read_inputs(
            args.inputs,
            base_url=args.base_url,
            max_bytes=ingest_limits.max_bytes,
            skipped=summary.skipped,
            outputs=[out / name for name in OUTPUT_NAMES],
        )
    except (FileNotFoundError, InputError) as exc:
        raise ConfigError(str(exc)) from exc
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, a directory it may not write in
        raise ConfigError(f"--out {out}: cannot make the output directory: {exc.strerror}") from exc
    with exclusive(out):  # one run at a time appends to its files
        return _process_into(out, items, settings, summary, values=values, quiet=args.quiet)


def _process_into(
    out: Path,
    items: Iterable[InputItem],
    settings: BatchSettings,
    summary: BatchSummary,
    *,
    values: dict[str, Any],
    quiet: bool,
) -> int:
    """The run, its output directory `out` held: the store opened, the outcome files read,
    the inputs processed and their outcomes appended."""
    store = open_store(
        values["store_url"] or str(out / "newsflow.sqlite"),
        prefix=values["store_prefix"],
        line_filter_mib=values["line_filter_mib"],
    )
    try:  # before the outputs are touched (a last line cut short mended)
        store.reach()
        recorded, notes = read_recorded(out / name for name in OUTPUT_NAMES)
    except NewsflowError:
        store.close()
        raise
    for note in notes:
        print(note, file=sys.stderr)
    started = time.perf_counter()
    with _progress(enabled=not quiet and sys.stderr.isatty()) as tick:

        def on_outcome(outcome: Outcome) -> None:
            if summary.first_seconds is None:
                summary.first_seconds = time.perf_counter() - started
            summary.record(outcome)
            tick()

        try:
            with _terminated_as_interrupted() as stops:
                outcomes = process_items(
                    items, store=store, settings=settings, clock=_utc_now, recorded=recorded
                )
                write_outcomes(outcomes, out, on_outcome=on_outcome, whole=stops.held)
        except (KeyboardInterrupt, NewsflowError) as exc:
            if summary.total or not isinstance(exc, ConfigError):  # (the error says it all)
                print(stopped_note(out, written=summary.total), file=sys.stderr)
            if isinstance(exc, Terminated):
                return 128 + signal.SIGTERM
            raise
        finally:
            store.close()
    summary.seconds = time.perf_counter() - started
    summary.recorded = recorded.skipped
    if not quiet:
        print(format_summary(summary, out))
    if summary.total == 0 and summary.recorded == 0:
        print(
            "newsflow: no inputs: the inputs named hold no article (no file of a kind it "
            "reads, or only files and WARC records without one)",
            file=sys.stderr,
        )
    return 0


def starts_per_cpu(workers: int) -> int:
    """How many extractor processes start on each CPU at once, the factor of their start-up
    limit: each needs about a second of CPU to start, and `--workers 64` on two CPUs was not
    ready within the 60 s of one, a configuration error that blamed the memory cap."""
    return max(1, math.ceil(workers / (os.cpu_count() or 1)))


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run stands (`_Stops`), as Ctrl-C raises `KeyboardInterrupt`."""


class _Stops:
    """SIGTERM raised where the run stands as `Terminated`, as Ctrl-C raises
    `KeyboardInterrupt`; both held while an outcome is written and counted (`held`) and
    raised once it is, so that the note's count is what the files hold (a signal between
    the two, on a loaded machine, left a line written and uncounted: "stopped before the
    first outcome" over a file holding one)."""

    def __init__(self) -> None:
        self.holding = False
        self.pending: BaseException | None = None

    def raise_or_hold(self, signum: int, frame: Any) -> None:
        stop = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
        if not self.holding:
            raise stop
        self.pending = self.pending or stop

    @contextmanager
    def held(self) -> Iterator[None]:
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.pending is not None:
            raise self.pending


@contextmanager
def _terminated_as_interrupted() -> Iterator[_Stops]:
    """SIGTERM (a `timeout`, a job runner stopping the run) ends the run as Ctrl-C does: the
    outcomes decided so far are written out and the store closed. It ended it on the spot
    before, the outcomes still in the files' buffers unwritten, and without a word."""
    stops = _Stops()
    caught = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # (not if ignored)
        caught.append(signal.SIGINT)
    before = {signum: signal.signal(signum, stops.raise_or_hold) for signum in caught}
    try:
        yield stops
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def stopped_note(out: Path, *, written: int) -> str:
    """What a run stopped before its end (interrupted, a store gone) leaves, and what a re-run
    does. A run stopped before its first outcome (`written` 0) has not added to the files."""
    files = f"{out}/{{clean,duplicates,rejected}}.ndjson"
    if not written:
        return f"newsflow: stopped before the first outcome: {files} are as they were."
    return (
        f"newsflow: stopped after {written} outcome{'' if written == 1 else 's'}: {files} hold "
        "them, each a whole line (after those of any earlier run), and the inputs after them have "
        "none yet. A re-run over the same inputs appends what is missing: an input whose outcome "
        "the files hold is skipped, and the store keeps the decisions made, so the rest come "
        "out as they would have."
    )


def run_stories(args: argparse.Namespace) -> int:
    values = resolve(args, LISTING_SETTINGS)
    if not values["store_url"]:
        raise ConfigError("say which store: --store-url or NEWSFLOW_STORE_URL")
    hours = args.hours if args.hours is not None else values["story_window_hours"]
    store = open_store(values["store_url"], prefix=values["store_prefix"], existing=True)
    try:
        store.reach()
        found = store.top_stories(limit=args.limit, since=_utc_now().timestamp() - hours * 3600)
    finally:
        store.close()
    for story in found:
        if args.json:
            print(orjson.dumps(_story_record(story)).decode())
            continue
        first, last = (
            datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")
            for t in (story.first_seen, story.last_seen)
        )
        shown = ", ".join(story.sources[:5]) + (", …" if len(story.sources) > 5 else "")
        print(
            f"{story.story_id}  {_counted(story.size, 'article'):>13}  {first} → {last}  "
            f"{_counted(len(story.sources), 'source')} ({shown})  {story.title or ''}"
        )
    if not found and not args.json:
        prefix = values["store_prefix"]
        keys = f"; or the keys are not under {prefix!r}: --store-prefix" if _redis(values) else ""
        print(
            f"no story with an article published in the last {hours:g} h (event time: a "
            f"backfill of older articles needs a larger --hours{keys})"
        )
    return 0


def _story_record(story: Any) -> dict[str, Any]:
    """A story as JSON: its seconds, and the same moments as every event writes them (RFC
    3339 in UTC), which a reader of the listing compares with the events' times."""
    record: dict[str, Any] = story.as_dict()
    for field in ("first_seen", "last_seen"):
        moment = datetime.fromtimestamp(record[field], UTC)
        record[f"{field}_at"] = format_timestamp(moment)
    return record


def _redis(values: dict[str, Any]) -> bool:
    return url_scheme(str(values["store_url"])) in REDIS_SCHEMES


def _counted(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun}" if n == 1 else f"{n} {plural}"


def format_summary(summary: BatchSummary, out: Path) -> str:
    """The end-of-run report: counts per outcome, rejection reasons, duplicate ratio, near
    duplicates and stories among the clean, rate."""
    rate = summary.total / summary.seconds if summary.seconds else 0.0
    steady = summary.steady_rate
    after_first = (
        f"; {steady:.1f}/s after the first, at {summary.first_seconds:.2f} s"
        if steady is not None
        else ""
    )
    lines = [
        f"processed {summary.total} input{'' if summary.total == 1 else 's'} in "
        f"{summary.seconds:.2f} s "
        f"({rate:.1f} articles/s{after_first})",
        *(
            f"  {kind:<10} {summary.outcomes[kind]:>7}"
            for kind in ("clean", "duplicate", "rejected")
        ),
        f"  duplicate ratio {summary.duplicate_ratio:.1%}",
    ]
    if clean := summary.outcomes["clean"]:
        lines.append(
            f"  of the clean: {summary.near_duplicates} near duplicate"
            f"{'' if summary.near_duplicates == 1 else 's'} of an earlier article; "
            f"{_counted(summary.stories_founded, 'story')} begun, "
            f"{clean - summary.stories_founded} joining one (story_id)"
        )
    if summary.reasons:
        reasons = ", ".join(f"{r} {n}" for r, n in summary.reasons.most_common())
        lines.append(f"  rejected by reason: {reasons}")
    if skipped := skipped_line(summary.skipped):
        lines.append(f"  {skipped}")
    if summary.recorded:
        lines.append(
            f"  skipped {_counted(summary.recorded, 'input')} already recorded (an outcome in "
            "the files, or the same message earlier in this run)"
        )
    lines.append(f"  output: {out}/{{clean,duplicates,rejected}}.ndjson")
    return "\n".join(lines)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _progress:
    """A tqdm progress bar with a rate when on a terminal; a no-op otherwise."""

    def __init__(self, *, enabled: bool) -> None:
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(unit=" articles", dynamic_ncols=True)

    def __enter__(self) -> Callable[[], None]:
        return self._bar.update if self._bar is not None else lambda: None

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.close()
