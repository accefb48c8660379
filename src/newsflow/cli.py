"""The one composition root: `newsflow <command>` builds what each command needs and runs it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from newsflow import __version__
from newsflow.batch.inputs import InputError, read_inputs, skipped_line
from newsflow.batch.runner import BatchSettings, BatchSummary, process_items, write_outcomes
from newsflow.commands import MAX_MESSAGE_BYTES, add_streaming_commands
from newsflow.config import (
    Setting,
    add_settings,
    boolean,
    fraction,
    misspelt_variables,
    non_negative_int,
    positive_float,
    positive_int,
    resolve,
)
from newsflow.errors import CONFIG_ERROR_EXIT, ConfigError, NewsflowError
from newsflow.logs import configure_logging
from newsflow.pipeline import DecideSettings, Outcome
from newsflow.sandbox import SandboxLimits
from newsflow.stages import neardup, stories
from newsflow.stages.dedup import DEFAULT_TTL_SECONDS
from newsflow.stages.extract import DEFAULT_MAX_HTML_CHARS, ExtractLimits
from newsflow.stages.ingest import IngestLimits, format_timestamp
from newsflow.stages.neardup import NearSettings
from newsflow.stages.placement import PlacementSettings
from newsflow.stages.stories import StorySettings
from newsflow.store import line_filters
from newsflow.store.base import REDIS_SCHEMES, open_store, url_scheme
from newsflow.store.records import POSTINGS

log = logging.getLogger(__name__)


def line_filter_mib(text: str) -> int:
    value = positive_int(text)
    if value > line_filters.MAX_MIB:
        raise ValueError(f"must be at most {line_filters.MAX_MIB} (a Redis string's size)")
    return value


STAGE_SETTINGS = (
    Setting(
        "store_url",
        "dedup store: redis://host:port/db, or an SQLite file path (none given: process uses "
        "DIR/newsflow.sqlite, extract ./newsflow-extract.sqlite)",
    ),
    Setting("store_prefix", "key prefix in a shared Redis (one per deployment)", "newsflow:"),
    Setting(
        "line_filter_mib",
        "MiB of each Redis filter of lines seen once (3 live; raise above 100,000 articles a day)",
        line_filters.DEFAULT_MIB,
        line_filter_mib,
    ),
    Setting("max_html_chars", "largest HTML extracted", DEFAULT_MAX_HTML_CHARS, positive_int),
    Setting("extract_time_limit", "seconds before an extraction is killed", 5.0, positive_float),
    Setting(
        "extract_memory_mb", "address-space cap of an extractor, 0 = none", 2048, non_negative_int
    ),
    Setting(
        "dedup_ttl_seconds",
        "how long a content hash is remembered",
        DEFAULT_TTL_SECONDS,
        positive_int,
    ),
    Setting(
        "near_dup_threshold",
        "estimated Jaccard of word 3-grams from which an article is a near duplicate",
        neardup.DEFAULT_THRESHOLD,
        fraction,
    ),
    Setting(
        "near_dup_window_hours",
        "how long an article can be matched as the original of a near duplicate",
        neardup.DEFAULT_WINDOW_SECONDS // 3600,
        positive_float,
    ),
    Setting(
        "divert_near_duplicates",
        "send near duplicates to the duplicates topic instead of clean",
        False,
        boolean,
    ),
    Setting(
        "story_threshold",
        "cosine to a story's centroid from which an article joins it",
        stories.DEFAULT_THRESHOLD,
        fraction,
    ),
    Setting(
        "story_window_hours",
        "how far apart (published, else fetched) a story's articles may be",
        stories.DEFAULT_WINDOW_SECONDS // 3600,
        positive_float,
    ),
    Setting(
        "story_postings",
        "stories the candidate search reads per index term, latest first (raise for dense streams)",
        POSTINGS,
        positive_int,
    ),
)
# `newsflow stories`: the store, and the window to list
LISTING_SETTINGS = tuple(
    s for s in STAGE_SETTINGS if s.field in ("store_url", "store_prefix", "story_window_hours")
)
PROCESS_SETTINGS = (
    *STAGE_SETTINGS,
    MAX_MESSAGE_BYTES,
    Setting("workers", "parallel extraction processes", os.cpu_count() or 1, positive_int),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsflow` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    known = {setting.env for settings in command_settings().values() for setting in settings}
    for name, setting in misspelt_variables(os.environ, known):
        print(f"newsflow: warning: {name} is no setting, ignored ({setting}?)", file=sys.stderr)
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"newsflow: configuration error: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    except NewsflowError as exc:
        print(f"newsflow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_kafka_error(exc):
            raise
        hint = " (is NEWSFLOW_KAFKA_BOOTSTRAP right, and the broker up?)" if _unreached(exc) else ""
        print(f"newsflow: Kafka: {exc}{hint}", file=sys.stderr)
        return 1


def _is_kafka_error(exc: Exception) -> bool:
    """Whether kafka-python raised `exc` (a broker not reached, a request timed out); kafka
    is not imported for it: a command that never imported it cannot have raised its error."""
    errors = sys.modules.get("kafka.errors")
    return errors is not None and isinstance(exc, errors.KafkaError)


def _unreached(exc: Exception) -> bool:
    """Whether a Kafka error says the broker was not reached (not a refusal by a broker that
    answered, as an authorization failure or a record too large)."""
    import kafka.errors

    return isinstance(
        exc,
        kafka.errors.KafkaTimeoutError
        | kafka.errors.KafkaConnectionError
        | kafka.errors.NodeNotReadyError
        | kafka.errors.BrokerNotAvailableError,
    )


def command_settings() -> dict[str, tuple[Setting, ...]]:
    """The settings each command reads (the README's configuration table says the same)."""
    from newsflow.commands import PUBLISH_SETTINGS, TOOL_SETTINGS, extract_settings, ingest_settings
    from newsflow.kafka.settings import KAFKA_SETTINGS

    return {
        "process": PROCESS_SETTINGS,
        "stories": LISTING_SETTINGS,
        "ingest": ingest_settings(),
        "extract": extract_settings(),
        "topics create": TOOL_SETTINGS,
        "publish": PUBLISH_SETTINGS,
        "replay": TOOL_SETTINGS,
        "tail": KAFKA_SETTINGS,
    }


MAX_STORY_LIMIT = 1_000_000


def story_limit(text: str) -> int:
    """How many stories `newsflow stories` lists: 1 to `MAX_STORY_LIMIT` (a larger number
    overflowed SQLite's integer in a traceback)."""
    value = positive_int(text)
    if value > MAX_STORY_LIMIT:
        raise ValueError(f"must be at most {MAX_STORY_LIMIT}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsflow",
        description="Raw crawled news pages in; clean, deduplicated article events out.",
    )
    parser.add_argument("--version", action="version", version=f"newsflow {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    process = commands.add_parser(
        "process",
        help="run the pipeline over files, no broker",
        description="Run every input through ingest, extract and dedup; write "
        "DIR/clean.ndjson, DIR/duplicates.ndjson and DIR/rejected.ndjson.",
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
    add_streaming_commands(commands)
    return parser


def stage_limits(values: dict[str, Any]) -> tuple[SandboxLimits, DecideSettings]:
    """The extraction's limits and the decision's settings from resolved settings."""
    return (
        SandboxLimits(
            time_limit=values["extract_time_limit"],
            memory_limit_mb=values["extract_memory_mb"],
            extract=ExtractLimits(max_html_chars=values["max_html_chars"]),
        ),
        DecideSettings(
            dedup_ttl_seconds=values["dedup_ttl_seconds"],
            placement=PlacementSettings(
                near=NearSettings(
                    threshold=values["near_dup_threshold"],
                    window_seconds=max(1, round(values["near_dup_window_hours"] * 3600)),
                ),
                stories=StorySettings(
                    threshold=values["story_threshold"],
                    window_seconds=max(1, round(values["story_window_hours"] * 3600)),
                    postings=values["story_postings"],
                ),
                divert_near_duplicates=values["divert_near_duplicates"],
            ),
        ),
    )


def run_process(args: argparse.Namespace) -> int:
    values = resolve(args, PROCESS_SETTINGS)
    configure_logging(json=False, level="WARNING")
    ingest_limits = IngestLimits(max_bytes=values["max_message_bytes"])
    sandbox_limits, decide = stage_limits(values)
    settings = BatchSettings(
        workers=values["workers"], ingest=ingest_limits, sandbox=sandbox_limits, decide=decide
    )
    summary = BatchSummary()
    try:  # the named inputs are checked here, before anything is written
        items = read_inputs(
            args.inputs,
            base_url=args.base_url,
            max_bytes=ingest_limits.max_bytes,
            skipped=summary.skipped,
        )
    except (FileNotFoundError, InputError) as exc:
        raise ConfigError(str(exc)) from exc
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    store = open_store(
        values["store_url"] or str(out / "newsflow.sqlite"),
        prefix=values["store_prefix"],
        line_filter_mib=values["line_filter_mib"],
    )
    try:  # before the outputs are opened (and an earlier run's emptied)
        store.reach()
    except NewsflowError:
        store.close()
        raise
    started = time.perf_counter()
    with _progress(enabled=not args.quiet and sys.stderr.isatty()) as tick:

        def on_outcome(outcome: Outcome) -> None:
            if summary.first_seconds is None:
                summary.first_seconds = time.perf_counter() - started
            summary.record(outcome)
            tick()

        try:
            outcomes = process_items(items, store=store, settings=settings, clock=_utc_now)
            write_outcomes(outcomes, out, on_outcome=on_outcome)
        finally:
            store.close()
    summary.seconds = time.perf_counter() - started
    if not args.quiet:
        print(format_summary(summary, out))
    if summary.total == 0:
        print(
            "newsflow: no inputs: the inputs named hold no article (no file of a kind it "
            "reads, or only files and WARC records without one)",
            file=sys.stderr,
        )
    return 0


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
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_summary(summary: BatchSummary, out: Path) -> str:
    """The end-of-run report: counts per outcome, rejection reasons, duplicate ratio, rate."""
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
    if summary.reasons:
        reasons = ", ".join(f"{r} {n}" for r, n in summary.reasons.most_common())
        lines.append(f"  rejected by reason: {reasons}")
    if skipped := skipped_line(summary.skipped):
        lines.append(f"  {skipped}")
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
