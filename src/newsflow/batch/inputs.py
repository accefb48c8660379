"""Turn input paths into raw messages: NDJSON lines (optionally gzipped), HTML and text files,
and the pages captured in WARC files (`newsflow.batch.warc`).

Each message keeps its origin (file and line) so a rejection can point back at it. A local
HTML or text file becomes a raw message whose URL is its `file://` path, or `--base-url` plus
its path relative to the input directory when one is given.
"""

from __future__ import annotations

import gzip
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
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


@dataclass(frozen=True, slots=True)
class InputItem:
    """One raw message read from disk; `local_file` items may carry a `file://` URL."""

    raw: bytes
    origin: Origin
    local_file: bool = False
    rejection: Rejection | None = None


def discover(paths: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """Every supported file under the given paths, in a stable order, with its input root."""
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.lower().endswith(SUPPORTED):
                    yield child, path
        elif path.is_file():
            yield path, path.parent
        else:
            raise FileNotFoundError(f"input not found: {path}")


def read_inputs(
    paths: Iterable[Path],
    *,
    base_url: str | None = None,
    max_bytes: int,
    skipped: Counter[str] | None = None,
) -> Iterator[InputItem]:
    """The raw messages of all inputs, in order. `skipped` counts, by kind, the records of
    WARC files that hold no article (requests, images, redirects…)."""
    for file, root in discover(paths):
        name = file.name.lower()
        if name.endswith(NDJSON_SUFFIXES):
            yield from _read_ndjson(file)
        elif name.endswith(WARC_SUFFIXES):
            from newsflow.batch.warc import read_warc  # imports warcio: only for WARC inputs

            yield from read_warc(
                file, max_bytes=max_bytes, skipped=Counter() if skipped is None else skipped
            )
        else:
            kind = "html" if name.endswith(HTML_SUFFIXES) else "text"
            yield _read_document(file, root, kind, base_url=base_url, max_bytes=max_bytes)


def skipped_line(skipped: Counter[str]) -> str | None:
    """The report of the WARC records that held no article, by kind, most first (None for
    none): the same line in `newsflow process`'s summary and `newsflow publish`'s output."""
    if not skipped:
        return None
    kinds = ", ".join(f"{kind} {n}" for kind, n in skipped.most_common())
    return f"skipped WARC records that hold no article: {kinds}"


def _read_ndjson(file: Path) -> Iterator[InputItem]:
    opener = gzip.open if file.name.lower().endswith(".gz") else open
    with opener(file, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield InputItem(line, Origin(file=str(file), line=number))


def _read_document(
    file: Path, root: Path, kind: str, *, base_url: str | None, max_bytes: int
) -> InputItem:
    origin = Origin(file=str(file))
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
    """UTF-8, else the most likely charset; `bad_encoding` when nothing decodes it as text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        return Rejection(R.BAD_ENCODING, "file is neither UTF-8 nor any charset we can detect")
    return str(best)


def gunzip_bounded(data: bytes, limit: int) -> bytes | Rejection:
    """Inflate gzip data, refusing to produce more than `limit` bytes (no gzip bombs)."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        return Rejection(R.BAD_ENCODING, f"not valid gzip: {exc}")
    if len(out) > limit:
        return Rejection(R.TOO_LARGE, f"inflates to more than {limit} bytes")
    return out
