"""What reading a web archive costs: `python -m benchmarks.warc_input`.

Writes the performance corpus's pages (`--pages`, default 1,500: real dev pages among
synthetic ones, 120 KB on average) twice, as raw NDJSON messages and as a gzipped WARC (a
request and a response record per page, as crawlers write them), then times reading each
back into raw messages (`newsflow.batch.inputs.read_inputs`, what `newsflow process` and
`newsflow publish` do on their main thread) over `--rounds` rounds, one file after the other.
`--keep DIR` keeps both files, e.g. to run `newsflow process` over each.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import orjson
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.performance.corpus import PageMaker, dev_pages, raw_messages, sentence_pool
from newsflow.batch.inputs import read_inputs


def write_corpus(pages: int, folder: Path) -> tuple[Path, Path]:
    """The same pages as `corpus.ndjson` and as `corpus.warc.gz`."""
    ndjson, warc = folder / "corpus.ndjson", folder / "corpus.warc.gz"
    maker = PageMaker(pool=sentence_pool(), dev=dev_pages())
    with ndjson.open("wb") as lines, warc.open("wb") as archive:
        writer = WARCWriter(archive, gzip=True)
        for raw in raw_messages(maker.pages(pages), count=pages, duplicate_ratio=0):
            lines.write(raw + b"\n")
            message = orjson.loads(raw)
            date = {"WARC-Date": message["fetched_at"].replace("+00:00", "Z")}
            request = io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")
            writer.write_record(
                writer.create_warc_record(
                    message["url"], "request", payload=request, warc_headers_dict=date
                )
            )
            body = message["html"].encode()
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            response = writer.create_warc_record(
                message["url"],
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict=date,
            )
            writer.write_record(response)
    return ndjson, warc


def ms_per_message(path: Path) -> tuple[float, int]:
    skipped: Counter[str] = Counter()
    started = time.perf_counter()
    count = sum(1 for _ in read_inputs([path], max_bytes=10_000_000, skipped=skipped))
    return (time.perf_counter() - started) / count * 1000, count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the two files here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        files = write_corpus(args.pages, folder)
        sizes = ", ".join(f"{path.name} {path.stat().st_size / 1e6:.1f} MB" for path in files)
        print(f"{args.pages} pages: {sizes}")
        print(f"{'round':>5} {'file':<16} {'messages':>8} {'ms per message':>15}")
        for round_ in range(1, args.rounds + 1):
            for path in files:
                ms, count = ms_per_message(path)
                print(f"{round_:>5} {path.name:<16} {count:>8} {ms:>15.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
