"""What an output directory of `newsflow process` already holds: the identity of each input
whose outcome its files record, so that a run into it appends only what is missing.

An outcome is identified by its article's `article_id` (clean, duplicate, and rejections
after ingest), which ingest derives from the message alone (canonical URL, `fetched_at`,
body hash): the same NDJSON line, page file (its `file://` URL or `--base-url` path) or WARC
record gets it in every run. It is the key of the event on its topic too, by which a
consumer or log compaction keeps one event per article. An input rejected before it was an
article has none: it is identified by its `origin` (the file, made absolute, and the line or
WARC offset) and its `original`, both in the rejection event already (the contract unchanged).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from newsflow.errors import ConfigError


def outcome_key(event: Mapping[str, Any]) -> int:
    """The identity of the input an outcome event (or its ingested event) is of: its
    article's id, else a digest of its origin and original. `KeyError`, `TypeError` or
    `ValueError` for what is no such event."""
    article_id = event.get("article_id")
    if article_id is not None:
        if len(article_id) != 32:
            raise ValueError(f"not an article id: {article_id!r}")
        return int(article_id, 16)
    origin = event["origin"]
    place = (os.path.abspath(origin["file"]), origin.get("line"), origin.get("offset"))
    digest = hashlib.blake2b(orjson.dumps([*place, event["original"]]), digest_size=16)
    return int.from_bytes(digest.digest())


@dataclass
class Recorded:
    """The identities of the inputs whose outcome the output files hold, or which this run
    has taken on (as `int`s: about 86 bytes each in the set, 8 MiB for 100,000), and how many
    inputs were skipped for it."""

    keys: set[int] = field(default_factory=set)
    skipped: int = 0

    def admit(self, event: Mapping[str, Any]) -> bool:
        """Whether the input of `event` (ingested or rejected) has no outcome recorded yet; it
        is recorded from here on, its outcome on its way. One whose outcome is recorded, in
        the files or earlier in this run (the same message twice), is counted skipped."""
        key = outcome_key(event)
        if key in self.keys:
            self.skipped += 1
            return False
        self.keys.add(key)
        return True


def read_recorded(paths: Iterable[Path]) -> tuple[Recorded, list[str]]:
    """The identities recorded in the outcome files at `paths` (those that exist), read a line
    at a time, and a note for each file mended: a last line without its line break (a run
    killed while writing it) is cut off, its input then processed again, or, when it is a
    whole event, given its line break. A whole line that is no outcome event is a
    `ConfigError`: the files are appended to, and that line's input could not be told; so is
    a file that cannot be read or mended (a directory of its name, no permission)."""
    recorded, notes = Recorded(), list[str]()
    for path in paths:
        try:
            _read_into(recorded, notes, path)
        except OSError as exc:  # a traceback before, the store left open
            raise ConfigError(f"--out: cannot read {path}: {exc.strerror or exc}") from exc
    return recorded, notes


def _read_into(recorded: Recorded, notes: list[str], path: Path) -> None:
    """Add the identities of the file at `path` (if it exists), mending its last line."""
    if not path.exists():
        return
    with path.open("rb") as stream:
        number, end, torn = 0, 0, None
        while line := stream.readline():
            number += 1
            key = _key_of(line)
            if not line.endswith(b"\n"):
                torn = key
                break
            if key is None:
                raise ConfigError(
                    f"--out: {path} line {number} is no outcome newsflow wrote; a run "
                    "appends to that file and skips the inputs it records: mend or move it"
                )
            recorded.keys.add(key)
            end += len(line)
    if line:  # the last, without its line break
        notes.append(_mend(path, end, whole=torn is not None))
        if torn is not None:
            recorded.keys.add(torn)


def _key_of(line: bytes) -> int | None:
    try:
        event = orjson.loads(line)
        return outcome_key(event) if isinstance(event, dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _mend(path: Path, end: int, *, whole: bool) -> str:
    """Give the file's last line its line break (`whole`), or cut it off at `end`."""
    with path.open("r+b") as stream:
        if whole:
            stream.seek(0, os.SEEK_END)
            stream.write(b"\n")
            return f"newsflow: {path} ended without a line break after its last outcome: added"
        stream.truncate(end)
    return (
        f"newsflow: {path} ended in a line cut short (a run stopped while writing it): cut "
        "off; its input, if among this run's, is processed again"
    )
