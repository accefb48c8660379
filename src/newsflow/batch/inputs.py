"""Turn input paths into raw messages: NDJSON lines (optionally gzipped), HTML and text files,
and the pages captured in WARC files (`newsflow.batch.warc`).

Each message keeps its origin (file and line) so a rejection can point back at it. A local
HTML or text file becomes a raw message whose URL is its `file://` path, or `--base-url` plus
its path relative to the input directory when one is given.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import stat
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast
from urllib.parse import quote

import orjson
from charset_normalizer import from_bytes

from newsflow import rejection as R
from newsflow.model import Origin
from newsflow.rejection import Rejection

NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
TEXT_SUFFIXES = (".txt",)
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz")  # WET: Common Crawl's text
SUPPORTED = NDJSON_SUFFIXES + HTML_SUFFIXES + TEXT_SUFFIXES + WARC_SUFFIXES
WESTERN = "cp1252"  # windows-1252
OUTCOME_NAMES = frozenset({"clean.ndjson", "duplicates.ndjson", "rejected.ndjson"})
"""The files `newsflow process` writes in its --out, all three at once: a directory holding
the three is an output directory, its outcomes no input."""


class InputError(ValueError):
    """A named input that newsflow cannot read: not a file or directory, or of no known kind."""


@dataclass(frozen=True, slots=True)
class InputItem:
    """One raw message read from disk; `local_file` items may carry a `file://` URL."""

    raw: bytes
    origin: Origin
    local_file: bool = False
    rejection: Rejection | None = None


def discover(paths: Iterable[Path], outputs: Iterable[Path] = ()) -> Iterator[tuple[Path, Path]]:
    """Every supported file under the given paths, in a stable order, with its input root.

    The named inputs are checked first, before anything is read: each must be a directory or
    a file of a supported kind (`FileNotFoundError` for one that is not there, `InputError`
    otherwise), so a mistyped input stops a run before it writes anything. `outputs` are the
    files the run writes: one named is an `InputError` (the run would empty it before reading
    it); one reached in a directory named is passed over when it is read (`read_inputs`)."""
    paths = list(paths)
    check_named(paths, frozenset(path.resolve() for path in outputs))
    return _walk(paths)


def check_named(paths: Iterable[Path], outputs: frozenset[Path] = frozenset()) -> None:
    """Raise for a named input that is not there, not of a kind newsflow reads, or one of the
    run's `outputs` (resolved paths)."""
    for path in paths:
        if path.is_dir():
            continue
        if not path.exists():
            raise FileNotFoundError(f"input not found: {path}")
        if not path.is_file():
            raise InputError(f"input is neither a file nor a directory: {path}")
        if path.resolve() in outputs:
            raise InputError(f"input is an output of this run (--out): {path}")
        if not path.name.lower().endswith(SUPPORTED):
            raise InputError(
                f"input is not of a kind newsflow reads ({', '.join(SUPPORTED)}): {path}"
            )


def _walk(paths: list[Path]) -> Iterator[tuple[Path, Path]]:
    """Files of a supported name under each path. An entry of
    such a name that is no regular file (a broken symbolic link, a FIFO) is listed too, and so
    is a directory that cannot be listed (its permissions): the reader rejects each."""
    for path in paths:
        if path.is_dir():
            files, unlisted = _entries_under(path)
            for child in sorted(files + unlisted):
                if child in unlisted or child.name.lower().endswith(SUPPORTED):
                    yield child, path
        else:
            yield path, path.parent


def _entries_under(root: Path) -> tuple[list[Path], list[Path]]:
    """The entries under `root` that are no directories (symbolic links to directories are
    not followed, as `Path.rglob` does not) nor the outcome files of an
    earlier run's output directory (`OUTCOME_NAMES`: their clean events were read as
    articles, their duplicates and rejections rejected, 12 outcomes more over the samples),
    and the directories that could not be listed (`rglob` passed over them without a word:
    their files were silently not read)."""
    files: list[Path] = []
    unlisted: list[Path] = []

    def not_listed(error: OSError) -> None:
        unlisted.append(Path(error.filename))

    for directory, _, names in os.walk(root, onerror=not_listed):
        earlier = OUTCOME_NAMES if OUTCOME_NAMES.issubset(names) else frozenset()
        files.extend(Path(directory, name) for name in names if name not in earlier)
    return files, unlisted


def read_inputs(
    paths: Iterable[Path],
    *,
    base_url: str | None = None,
    max_bytes: int,
    skipped: Counter[str] | None = None,
    outputs: Iterable[Path] = (),
) -> Iterator[InputItem]:
    """The raw messages of all inputs, in order, each file once however often it is named or
    reached (the named inputs are checked at the call: `discover`; the run's `outputs` are no
    inputs). `skipped` counts, by kind, the records of
    WARC files that hold no article (requests, images, redirects…)."""
    outputs = list(outputs)
    files = discover(paths, outputs)
    skipped = Counter() if skipped is None else skipped
    return _read_all(files, base_url, max_bytes, skipped, outputs)


def _read_all(
    files: Iterator[tuple[Path, Path]],
    base_url: str | None,
    max_bytes: int,
    skipped: Counter[str],
    outputs: list[Path],
) -> Iterator[InputItem]:
    read: set[tuple[int, int]] = set()  # device and inode of each file read
    for file, root in files:
        try:
            if (problem := _not_regular(file)) is not None:
                yield _unreadable(file, problem)
                continue
            found = file.stat()
            if (found.st_dev, found.st_ino) in read:
                continue  # named twice, or by two paths (a directory and a file in it, a link)
            if (found.st_dev, found.st_ino) in _identities(outputs):
                continue  # an output (by its path or a link): read while written, it fed the run
            read.add((found.st_dev, found.st_ino))
            yield from _read_file(file, root, base_url, max_bytes, skipped)
        except OSError as exc:  # gone since it was listed, a read error
            yield _unreadable(file, f"{type(exc).__name__}: {exc.strerror or exc}")


def _identities(files: list[Path]) -> set[tuple[int, int]]:
    """The device and inode of each of `files` that is there (taken again for each input: the
    outputs are made at the run's first outcome). An output in an input directory, by its path
    or by a symbolic or hard link, is passed over by these: read while written, it fed the run
    its own rejections without end (4 GB in two minutes), and a link to its clean.ndjson its own
    events (111,339 outcomes from 50 inputs in two minutes)."""
    found = set()
    for file in files:
        with suppress(OSError):
            status = file.stat()
            found.add((status.st_dev, status.st_ino))
    return found


def _read_file(
    file: Path, root: Path, base_url: str | None, max_bytes: int, skipped: Counter[str]
) -> Iterator[InputItem]:
    name = file.name.lower()
    if name.endswith(NDJSON_SUFFIXES):
        yield from _read_ndjson(file, max_bytes)
    elif name.endswith(WARC_SUFFIXES):
        from newsflow.batch.warc import read_warc  # imports warcio: only for WARC inputs

        yield from read_warc(file, max_bytes=max_bytes, skipped=skipped)
    else:
        kind = "html" if name.endswith(HTML_SUFFIXES) else "text"
        yield _read_document(file, root, kind, base_url=base_url, max_bytes=max_bytes)


def _not_regular(file: Path) -> str | None:
    """Why `file` is not read (a broken link, a FIFO that would block the run), else None."""
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return "a broken symbolic link" if file.is_symlink() else "gone since it was listed"
    if stat.S_ISDIR(mode):
        return "a directory that cannot be listed (its permissions)"
    return None if stat.S_ISREG(mode) else "not a regular file (a FIFO, socket or device)"


def _unreadable(file: Path, problem: str) -> InputItem:
    """The rejection of a file that could not be read at all (the reason the vocabulary has
    for input that cannot be read, as for an NDJSON file that stops being readable)."""
    detail = f"file not readable: {problem}"[:500]
    return InputItem(b"", Origin(file=file_name(file)), rejection=Rejection(R.BAD_ENCODING, detail))


def file_name(file: Path) -> str:
    """The file's absolute path as text for an event: bytes that are not UTF-8 in its name (a
    name is bytes on POSIX) written as `\\xNN` escapes, which JSON can carry. Absolute, since
    a later run into the same --out knows a rejection by it (`batch.recorded`): a path as
    named, relative to where the run started, named another file from where a re-run
    started, and every rejection before ingest was written again."""
    return os.fsencode(os.path.abspath(file)).decode("utf-8", "backslashreplace")


def skipped_line(skipped: Counter[str]) -> str | None:
    """The report of the WARC records that held no article, by kind, most first (None for
    none): the same line in `newsflow process`'s summary and `newsflow publish`'s output."""
    if not skipped:
        return None
    kinds = ", ".join(f"{kind} {n}" for kind, n in skipped.most_common())
    return f"skipped WARC records that hold no article: {kinds}"


def _read_ndjson(file: Path, max_bytes: int) -> Iterator[InputItem]:
    """Each line of the file that is not blank, as one message. A line over `max_bytes` is
    rejected `too_large` unread (the next is read); a file that stops being readable (gzip
    cut short or damaged, not gzip at all) is rejected `bad_encoding` at its first unread line,
    after the lines before it."""
    opener = gzip.open if file.name.lower().endswith(".gz") else open
    name, number = file_name(file), 0
    try:
        with opener(file, "rb") as raw:
            utf16 = raw.peek(2)[:2] in _UTF16_BOMS
            stream = _Utf16AsUtf8(cast(IO[bytes], raw)) if utf16 else raw
            while line := stream.readline(max_bytes + 2):  # (+2: the line break)
                number += 1
                origin = Origin(file=name, line=number)
                if len(line.rstrip(b"\r\n")) > max_bytes:
                    while line and not line.endswith(b"\n"):  # the rest of the line, unkept
                        line = stream.readline(1 << 20)
                    detail = f"line is more than {max_bytes} bytes"
                    yield InputItem(b"", origin, rejection=Rejection(R.TOO_LARGE, detail))
                    continue
                line = line.rstrip(b"\r\n")
                if number == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if line.strip():
                    yield InputItem(line, origin)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:  # gzip damaged, cut
        # short, or not gzip; UTF-16 that is not
        detail = f"not readable from line {number + 1} on: {type(exc).__name__}: {exc}"
        origin = Origin(file=name, line=number + 1)
        yield InputItem(b"", origin, rejection=Rejection(R.BAD_ENCODING, detail[:500]))


_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class _Utf16AsUtf8:
    """The lines of a UTF-16 file (its byte-order mark says so: Windows PowerShell's `>`
    writes it) as UTF-8. Read as bytes, its lines split inside characters: three lines gave
    four rejections, `bad_encoding` and `invalid_json`."""

    def __init__(self, raw: IO[bytes]) -> None:
        # a lone surrogate passes, so that its line, not the file from its chunk on, is
        # rejected (as bytes that are not UTF-8)
        self._text = io.TextIOWrapper(raw, encoding="utf-16", errors="surrogatepass", newline="")

    def readline(self, limit: int) -> bytes:
        """The next line, at most `limit` characters of it, as UTF-8."""
        return self._text.readline(limit).encode("utf-8", errors="surrogatepass")


def _read_document(
    file: Path, root: Path, kind: str, *, base_url: str | None, max_bytes: int
) -> InputItem:
    origin = Origin(file=file_name(file))
    if file.stat().st_size > max_bytes:
        detail = f"file is {file.stat().st_size} bytes, limit {max_bytes}"
        return InputItem(b"", origin, local_file=True, rejection=Rejection(R.TOO_LARGE, detail))
    data = file.read_bytes()
    if file.name.lower().endswith(".gz"):
        inflated = gunzip_bounded(data, max_bytes)
        if isinstance(inflated, Rejection):
            return InputItem(b"", origin, local_file=True, rejection=inflated)
        data = inflated
    text = decode_document(data)
    if isinstance(text, Rejection):
        return InputItem(data, origin, local_file=True, rejection=text)
    url = document_url(file, root, base_url)
    return InputItem(orjson.dumps({"url": url, kind: text}), origin, local_file=True)


def document_url(file: Path, root: Path, base_url: str | None) -> str:
    """`base_url` + the path under the input root, else the file's absolute `file://` URL."""
    if base_url:
        relative = file.relative_to(root) if file.is_relative_to(root) else Path(file.name)
        return base_url.rstrip("/") + "/" + quote(relative.as_posix())
    return file.resolve().as_uri()


def decode_document(data: bytes) -> str | Rejection:
    """UTF-8, else the most likely charset; `bad_encoding` when nothing decodes it as text.

    On a short text charset_normalizer finds many charsets equally likely and picks one of
    them (Latin-1 "Un café très animé" came out "trčs" in cp1250, "Zürich" as UTF-16): among
    those, windows-1252 is taken, the commonest legacy charset of the web (and what browsers
    read "latin-1" as)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if (text := _mostly_utf8(data)) is not None:
        return text
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return Rejection(R.BAD_ENCODING, "file is neither UTF-8 nor any charset we can detect")
    tied = (m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence))
    if any(WESTERN in m.could_be_from_charset for m in tied):
        with suppress(UnicodeDecodeError):
            return data.decode(WESTERN)
    return str(best)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few bytes that are not, each read as U+FFFD: a page whose non-ASCII
    characters are UTF-8's but for a character cut in two or a stray byte. Read by the most
    likely charset, a Burmese page with one cut character decoded as nothing at all
    (`bad_encoding`), and an English one as windows-1252, every é and dash of it mojibake.
    One invalid sequence, or one for ten UTF-8 characters that are not ASCII; a page in a
    legacy charset has next to none of those."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore")) - invalid
    return text if non_ascii and invalid <= max(1, non_ascii // 10) else None


def gunzip_bounded(data: bytes, limit: int) -> bytes | Rejection:
    """Inflate gzip data, every member of it as `gunzip` does, refusing to produce more than
    `limit` bytes (no gzip bombs); data cut short or followed by what is not gzip is
    `bad_encoding`."""
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as exc:
            return Rejection(R.BAD_ENCODING, f"not valid gzip: {exc}")
        if len(out) > limit or inflater.unconsumed_tail:
            return Rejection(R.TOO_LARGE, f"inflates to more than {limit} bytes")
        if not inflater.eof:
            return Rejection(R.BAD_ENCODING, "gzip data cut short: its end is missing")
        rest = inflater.unused_data
        if rest and not rest.lstrip(b"\x00"):
            break  # zero padding after the last member, as gzip allows
    return bytes(out)
