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
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

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


KEY = np.dtype("V16")
"""An identity as held: its 128 bits, big-endian, so that keys sort as the numbers do."""

FRESH_LIMIT = 65_536
"""The keys this run takes on are kept in a set until it holds this many, or a sixteenth of
the keys in the sorted array if more, then merged into it."""

MERGE_CHUNK = 16_384
"""Keys of the sorted array moved at a time as the set is merged into it (256 KiB)."""


class Recorded:
    """The identities of the inputs whose outcome the output files hold, or which this run
    has taken on, and how many inputs were skipped for it.

    Those read from the files are a sorted array of 16-byte keys (16 bytes each, 153 MiB for
    10 million; a set of `int`s took 70–78 bytes each). Those this run takes on go into a
    set (about 100 bytes each), merged into the array when it is full (`fresh_limit` keys or
    a sixteenth of the array) and another comes, which bounds the set to about 6 bytes for
    each key held. The merge grows the array where it is and moves its keys a chunk at a
    time: a merged copy beside it doubled it for a moment. A merge stopped by an exception
    leaves the keys held as they were (some of the set's in the array), the key being
    admitted not taken on. Every key keeps its 128 bits: a key cut shorter could take two
    inputs for one, and skip the second."""

    def __init__(self, keys: Iterable[int] = (), *, fresh_limit: int = FRESH_LIMIT) -> None:
        self._keep(_sorted_unique(bytearray(b"".join(key.to_bytes(16) for key in keys))))
        self._fresh: set[bytes] = set()
        self._fresh_limit = fresh_limit
        self.skipped = 0

    @classmethod
    def from_packed(cls, packed: bytearray) -> Recorded:
        """The keys `packed` 16 bytes each, big-endian, in any order, repeats allowed: sorted
        where they are, `packed` taken over (so that reading holds them once)."""
        recorded = cls()
        recorded._keep(_sorted_unique(packed))
        return recorded

    def _keep(self, buffer: bytearray) -> None:
        self._buffer = buffer
        self._sorted = np.frombuffer(buffer, KEY)  # over the buffer's memory, no copy
        self._bytes = memoryview(buffer)  # a key's bytes, read without a copy

    def __len__(self) -> int:
        return len(self._sorted) + len(self._fresh)

    def __contains__(self, key: int) -> bool:
        return self._holds(key.to_bytes(16))

    def admit(self, event: Mapping[str, Any]) -> bool:
        """Whether the input of `event` (ingested or rejected) has no outcome recorded yet; it
        is recorded from here on, its outcome on its way. One whose outcome is recorded, in
        the files or earlier in this run (the same message twice), is counted skipped."""
        key = outcome_key(event).to_bytes(16)
        if self._holds(key):
            self.skipped += 1
            return False
        if len(self._fresh) >= max(self._fresh_limit, len(self._sorted) // 16):
            self._merge()  # before the key is taken on: should it raise, the key is not
        self._fresh.add(key)
        return True

    def _holds(self, key: bytes) -> bool:
        if key in self._fresh:
            return True
        at = int(self._sorted.searchsorted(np.void(key))) * 16
        return self._bytes[at : at + 16] == key

    def _merge(self) -> None:
        """The set's keys into the sorted array (none is in it: each was looked up first)."""
        # (a join took an 80-byte buffer record for each key: 5 times the keys' own bytes)
        fresh = np.fromiter(self._fresh, "S16", len(self._fresh)).view(KEY)
        fresh.sort()
        buffer, held = self._buffer, len(self._sorted)
        del self._sorted, self._bytes  # no view of the buffer left: it can grow
        try:
            merge_in_place(buffer, held, fresh)
        finally:  # merged, or stopped by an exception (the buffer still sorted): kept either way
            self._keep(buffer)
            placed = len(self._sorted) - held  # the last fresh keys, now in the array
            if placed == len(fresh):
                self._fresh.clear()
            else:  # the others stay in the set, still to merge
                self._fresh.difference_update(key.tobytes() for key in fresh[len(fresh) - placed :])


def merge_in_place(
    buffer: bytearray, held: int, fresh: NDArray[np.void], *, chunk: int = MERGE_CHUNK
) -> None:
    """Merge the sorted keys `fresh` into `buffer`, which holds `held` sorted keys and no view:
    the buffer grows by their size (a large block grows where it is mapped, or is moved, not
    copied beside itself), then its keys are moved to their places from the end, `chunk` at
    a time, each chunk with the fresh keys that fall among it. A chunk's place begins where it
    is or further on, over keys already moved: never over one still to move.

    Stopped by an exception (no memory for a chunk, an interrupt), it leaves the buffer sorted,
    holding its keys and the last fresh keys it had placed (as many as it grew by), and
    re-raises: the room between those still to move and those moved is taken out."""
    placing, end = len(fresh), held  # fresh[:placing] and keys[:end] still to move
    buffer += fresh.data  # room for them (a copy of them, moved over)
    keys: NDArray[np.void] | None = None
    try:
        keys = np.frombuffer(buffer, KEY)
        at = keys[:held].searchsorted(fresh)  # fresh[i] goes before keys[at[i]]
        while placing:
            start = max(0, end - chunk)
            first = int(at[:placing].searchsorted(start))  # fresh[first:placing] fall in it
            merged = np.insert(keys[start:end], at[first:placing] - start, fresh[first:placing])
            stop = start + first + len(merged)
            keys[start + first : stop] = merged
            placing, end = first, start  # (no call between: no interrupt can fall between)
            # keys before the chunk, with no fresh key before them, are in their places already
    except BaseException as exc:
        # the buffer's views let go, those held by the frames that raised too: it can shrink
        del keys
        traceback.clear_frames(exc.__traceback__)
        del buffer[end * KEY.itemsize : (end + placing) * KEY.itemsize]
        raise


def _sorted_unique(packed: bytearray) -> bytearray:
    """`packed` sorted, each key once (repeats moved out in place, chunk by chunk)."""
    keys = np.frombuffer(packed, KEY)  # over the bytearray's memory, writable
    keys.sort()
    repeated = keys[1:] == keys[:-1]
    if not repeated.any():
        return packed
    kept = 1
    for start in range(1, len(keys), MERGE_CHUNK):
        new = keys[start : start + MERGE_CHUNK][~repeated[start - 1 : start - 1 + MERGE_CHUNK]]
        keys[kept : kept + len(new)] = new
        kept += len(new)
    del keys
    del packed[kept * KEY.itemsize :]
    return packed


def read_recorded(paths: Iterable[Path]) -> tuple[Recorded, list[str]]:
    """The identities recorded in the outcome files at `paths` (those that exist), read a line
    at a time, and a note for each file mended: a last line without its line break (a run
    killed while writing it) is cut off, its input then processed again, or, when it is a
    whole event, given its line break. A whole line that is no outcome event is a
    `ConfigError`: the files are appended to, and that line's input could not be told; so is
    a file that cannot be read or mended (a directory of its name, no permission)."""
    packed, notes = bytearray(), list[str]()
    for path in paths:
        try:
            _read_into(packed, notes, path)
        except OSError as exc:  # a traceback before, the store left open
            raise ConfigError(f"--out: cannot read {path}: {exc.strerror or exc}") from exc
    return Recorded.from_packed(packed), notes


def _read_into(packed: bytearray, notes: list[str], path: Path) -> None:
    """Add the identities of the file at `path` (if it exists) to `packed`, 16 bytes each,
    mending its last line."""
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
            packed += key.to_bytes(16)
            end += len(line)
    if line:  # the last, without its line break
        notes.append(_mend(path, end, whole=torn is not None))
        if torn is not None:
            packed += torn.to_bytes(16)


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
