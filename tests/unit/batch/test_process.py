"""`newsflow process` end to end over files: every input ends in exactly one outcome file."""

import gzip
import itertools
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from benchmarks.performance.phases import _SUMMARY

from newsflow import pipeline
from newsflow.batch import runner
from newsflow.batch.inputs import (
    InputItem,
    decode_document,
    gunzip_bounded,
    read_inputs,
    skipped_line,
)
from newsflow.cli import main
from newsflow.contracts.codec import EventKind, decode
from newsflow.errors import ConfigError, NewsflowError, StoreUnavailable
from newsflow.model import Origin
from newsflow.pipeline import Outcome
from newsflow.rejection import Rejection
from newsflow.store.sqlite import SqliteStore

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SEEDS = sorted(SAMPLES.glob("0*.txt"))
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)


def outcomes(out: Path) -> dict[str, list[dict]]:
    files: dict[str, EventKind] = {
        "clean": "clean",
        "duplicates": "duplicate",
        "rejected": "rejection",
    }
    return {
        name: [decode(kind, line) for line in (out / f"{name}.ndjson").read_bytes().splitlines()]
        for name, kind in files.items()
    }


def process(*args: str | Path) -> int:
    return main(["process", *map(str, args), "--quiet"])


def test_the_five_seeds_give_five_clean_events_with_titles(tmp_path: Path) -> None:
    assert process(*SEEDS, "--out", tmp_path, "--workers", "2") == 0
    result = outcomes(tmp_path)
    assert len(result["clean"]) == 5
    assert result["duplicates"] == [] and result["rejected"] == []
    assert all(event["title"] for event in result["clean"])
    assert (
        result["clean"][0]["title"] == "U.S. accuses Iran of sending ballistic missiles to Russia"
    )


def test_a_copy_under_another_url_is_a_duplicate_of_the_original(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, inputs / seed.name)
    shutil.copy(SEEDS[2], inputs / "zz-reposted.txt")
    assert process(inputs, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert len(result["clean"]) == 5
    [duplicate] = result["duplicates"]
    original = next(e for e in result["clean"] if e["url"].endswith(SEEDS[2].name))
    assert duplicate["url"].endswith("zz-reposted.txt")
    assert duplicate["duplicate_of"] == original["article_id"]
    assert duplicate["method"] == "exact"
    assert duplicate["content_hash"] == original["content_hash"]


def test_each_malformed_line_is_rejected_with_its_reason_and_the_run_succeeds(
    tmp_path: Path,
) -> None:
    lines = [
        b'{"url": "https://example.com/a", "html": "<p>x</p>"',
        b'{"id": "m2", "html": "<p>no url</p>"}',
        b'{"id": "m3", "url": "ftp://example.com/a", "text": "an ftp page"}',
        orjson.dumps({"id": "m4", "url": "https://example.com/big", "html": "x" * 20_000_000}),
        os.urandom(64).replace(b"\n", b"\x00") + b"\xff",
        b'{"id": "m6", "url": 7, "html": {"p": 1}}',
    ]
    source = tmp_path / "bad.ndjson.gz"
    source.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    assert process(source, "--out", tmp_path / "out") == 0
    rejected = outcomes(tmp_path / "out")["rejected"]
    assert [e["reason"] for e in rejected] == [
        "invalid_json",
        "missing_field",
        "bad_url",
        "too_large",
        "bad_encoding",
        "wrong_type",
    ]
    assert [e["origin"]["line"] for e in rejected] == [1, 2, 3, 4, 5, 6]
    # The line over the size limit is not read into memory, so its id is not known.
    assert [e["source_id"] for e in rejected] == [None, "m2", "m3", None, None, "m6"]
    # and the URL it was sent with, when it is a string: the page a crawler sent wrong
    assert [e["url"] for e in rejected] == [None, None, "ftp://example.com/a", None, None, None]
    assert rejected[4]["original_encoding"] == "base64"
    assert all(e["stage"] == "ingest" for e in rejected)


def test_the_shipped_samples_cover_every_outcome(tmp_path: Path) -> None:
    assert process(SAMPLES, "--out", tmp_path) == 0
    result = outcomes(tmp_path)
    assert (len(result["clean"]), len(result["duplicates"]), len(result["rejected"])) == (6, 1, 5)
    html = next(e for e in result["clean"] if e["source_id"] == "wire-1")
    assert html["canonical_url"] == "https://news.example.org/2024/09/10/council-budget"
    assert html["source"] == "example-news"
    assert html["sitename"] == "Example News"
    assert html["language"] == "en"
    assert html["authors"] == ["Jane Roe"]
    assert "2.1 billion dollar budget" in html["text"]
    assert "All rights reserved" not in html["text"]


def decisions(out: Path) -> list[tuple[str, str | None, str | None]]:
    """Each outcome's article, what it duplicates and its story, in output order."""
    result = outcomes(out)
    return [(e["article_id"], None, e["story_id"]) for e in result["clean"]] + [
        (e["article_id"], e["duplicate_of"], None) for e in result["duplicates"]
    ]


def test_outcomes_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    """Two fresh runs, each with a store of its own: one worker and three."""
    for name, workers in (("one", "1"), ("three", "3")):
        store = tmp_path / f"{name}.sqlite"
        out = tmp_path / name
        assert process(SAMPLES, "--out", out, "--workers", workers, "--store", store) == 0
    assert decisions(tmp_path / "one") == decisions(tmp_path / "three")


@pytest.mark.parametrize("workers", ["1", "3"])
def test_a_rerun_over_the_same_store_decides_the_same(tmp_path: Path, workers: str) -> None:
    store = tmp_path / "shared.sqlite"
    assert process(SAMPLES, "--out", tmp_path / "a", "--workers", "1", "--store", store) == 0
    assert process(SAMPLES, "--out", tmp_path / "b", "--workers", workers, "--store", store) == 0
    assert decisions(tmp_path / "a") == decisions(tmp_path / "b")


def test_extraction_failures_are_rejected_not_lost(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    assert process(page, "--out", tmp_path / "out") == 0
    [rejected] = outcomes(tmp_path / "out")["rejected"]
    assert rejected["stage"] == "extract"
    assert rejected["reason"] == "no_main_text"
    assert rejected["article_id"]


def test_an_extraction_failure_says_how_many_extractor_processes_it_took_as_the_service_does(
    tmp_path: Path,
) -> None:
    """The extract service's dead letters carry `attempts`; `process` wrote none for the same
    page, so the two outputs of one input differed."""
    page = tmp_path / "empty.html"
    page.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    assert process(page, "--out", tmp_path / "out") == 0
    [rejected] = outcomes(tmp_path / "out")["rejected"]
    assert (rejected["reason"], rejected["attempts"]) == ("no_main_text", 1)


def raise_on_the_second_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deciding the second seed raises, as a defect one page triggers would."""
    decide = runner.run_decide

    def raising(article: Any, *args: Any, **kwargs: Any) -> Any:
        if article.url.endswith(SEEDS[1].name):
            raise KeyError("a defect this page triggers")
        return decide(article, *args, **kwargs)

    monkeypatch.setattr(runner, "run_decide", raising)


def test_an_input_a_stage_raises_on_is_dead_lettered_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A defect one page triggers costs that page, recorded, not the backfill."""
    raise_on_the_second_seed(monkeypatch)
    assert process(*SEEDS, "--out", tmp_path) == 0
    result = outcomes(tmp_path)
    assert len(result["clean"]) == 4
    [dead] = result["rejected"]
    assert (dead["reason"], dead["stage"], dead["attempts"]) == ("retries_exhausted", "extract", 1)
    assert dead["detail"] == "KeyError: 'a defect this page triggers'"
    assert orjson.loads(dead["original"])["text"] == SEEDS[1].read_text()  # for a replay


def test_a_dead_lettered_input_leaves_its_text_to_the_next_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage raised after the decision claimed the text: the copies after it were reported
    duplicates of an article that never reached clean.ndjson. Now the first copy is clean,
    and the dead-lettered input, processed again once mended, is its duplicate."""
    inputs, store = tmp_path / "in", tmp_path / "store.sqlite"
    inputs.mkdir()
    shutil.copy(SEEDS[2], inputs / "1-first.txt")
    shutil.copy(SEEDS[2], inputs / "2-copy.txt")  # the same bytes: the body's mark
    (inputs / "3-spaced.txt").write_text(SEEDS[2].read_text().replace(". ", ".  "))
    place, calls = pipeline.place, []

    def raising_the_first_time(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:  # 1-first.txt's, after its claim
            raise KeyError("a defect this page triggers")
        return place(*args, **kwargs)

    monkeypatch.setattr(pipeline, "place", raising_the_first_time)
    assert process(inputs, "--out", tmp_path / "a", "--store", store) == 0
    result = outcomes(tmp_path / "a")
    [dead] = result["rejected"]
    assert (dead["reason"], dead["origin"]["file"]) == (
        "retries_exhausted",
        str(inputs / "1-first.txt"),
    )
    [copy] = result["clean"]
    assert copy["url"].endswith("2-copy.txt")
    [spaced] = result["duplicates"]
    assert spaced["url"].endswith("3-spaced.txt") and spaced["duplicate_of"] == copy["article_id"]

    monkeypatch.undo()  # mended: the dead-lettered input is processed again
    assert process(inputs / "1-first.txt", "--out", tmp_path / "b", "--store", store) == 0
    [again] = outcomes(tmp_path / "b")["duplicates"]
    assert again["url"].endswith("1-first.txt") and again["duplicate_of"] == copy["article_id"]


@pytest.mark.parametrize(
    ("error", "status"), [(StoreUnavailable("Redis is down"), 1), (ConfigError("refused"), 2)]
)
def test_a_store_down_or_refusing_the_user_stops_the_run_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: NewsflowError, status: int
) -> None:
    """What a later run may mend is no article's fault: nothing is dead-lettered for it."""

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise error

    waits: list[float] = []
    monkeypatch.setattr(runner, "run_decide", failing)
    monkeypatch.setattr(runner.time, "sleep", waits.append)
    assert process(*SEEDS, "--out", tmp_path) == status
    assert not list(tmp_path.glob("*.ndjson"))  # stopped before its first outcome: none written
    if error.retriable:  # waited out first, with backoff, for as long as the run waits
        assert waits[:5] == [0.5, 1.0, 2.0, 4.0, 8.0] and sum(waits) >= runner.STORE_WAIT_SECONDS
    else:
        assert waits == []


def test_the_store_wait_counts_the_tries_own_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each try at a Redis that does not answer spends a socket timeout: 120 s of sleeps
    alone were minutes of waiting."""
    clock = itertools.count(0, 50)  # each try takes 50 s
    monkeypatch.setattr(runner.time, "monotonic", lambda: float(next(clock)))
    monkeypatch.setattr(runner.time, "sleep", lambda seconds: None)
    tries = 0

    def unreachable() -> None:
        nonlocal tries
        tries += 1
        raise StoreUnavailable("Timeout connecting to server")

    with pytest.raises(StoreUnavailable):
        runner.with_store_retries(unreachable)
    assert tries == 3  # at 50 and 100 s it tries again; at 150 s it gives up


def test_a_store_unreachable_for_a_moment_costs_the_run_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis restarting or failing over under a backfill of hours: the run waits it out."""
    decide = runner.run_decide
    failures = iter([StoreUnavailable("Connection closed by server")] * 3)

    def down_for_a_moment(*args: Any, **kwargs: Any) -> Any:
        if (failure := next(failures, None)) is not None:
            raise failure
        return decide(*args, **kwargs)

    waits: list[float] = []
    monkeypatch.setattr(runner, "run_decide", down_for_a_moment)
    monkeypatch.setattr(runner.time, "sleep", waits.append)
    assert process(*SEEDS, "--out", tmp_path) == 0
    assert len(outcomes(tmp_path)["clean"]) == 5
    assert waits == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    ("name", "said"),
    [("nope.ndjson", "input not found"), ("data.json", "input is not of a kind newsflow reads")],
)
def test_a_named_input_it_cannot_read_stops_the_run_before_it_writes_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, said: str
) -> None:
    out = tmp_path / "out"
    assert process(SAMPLES, "--out", out) == 0
    before = {path.name: path.read_bytes() for path in out.glob("*.ndjson")}
    (tmp_path / "data.json").write_text('{"url": "https://example.com/j", "text": "hi"}')
    assert process(SEEDS[0], tmp_path / name, "--out", out) == 2
    assert said in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in out.glob("*.ndjson")} == before


def gz_lines(count: int) -> bytes:
    lines = (
        orjson.dumps(
            {"id": f"m{n}", "url": f"https://example.com/{n}", "text": SEEDS[0].read_text()}
        )
        for n in range(count)
    )
    return gzip.compress(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(
    ("damage", "readable"),
    [
        ("cut short", None),
        ("a byte changed", None),
        ("not gzip", 0),
    ],
)
def test_a_damaged_gzipped_ndjson_gives_its_readable_lines_then_one_rejection_and_the_next_input(
    tmp_path: Path, damage: str, readable: int | None
) -> None:
    whole = gz_lines(40)
    data = {
        "cut short": whole[: len(whole) // 2],
        "a byte changed": whole[:200] + bytes([whole[200] ^ 0xFF]) + whole[201:],
        "not gzip": b'{"url": "https://example.com/x", "text": "plain"}\n',
    }[damage]
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.ndjson.gz").write_bytes(data)
    (inputs / "b.txt").write_text(SEEDS[1].read_text())
    assert process(inputs, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    damaged = [e for e in result["rejected"] if e["reason"] == "bad_encoding"]
    [rejection] = damaged
    assert rejection["origin"]["file"].endswith("a.ndjson.gz")
    assert "not readable from line" in rejection["detail"]
    lines_read = rejection["origin"]["line"] - 1
    if readable is not None:
        assert lines_read == readable
    decided = [e for kind in ("clean", "duplicates") for e in result[kind]]
    assert len(decided) == lines_read + 1  # each line read, and the next input
    assert any(e["url"].endswith("b.txt") for e in decided)


def test_a_byte_order_mark_before_the_first_line_is_not_part_of_it(tmp_path: Path) -> None:
    source = tmp_path / "bom.ndjson"
    line = orjson.dumps({"url": "https://example.com/bom", "text": SEEDS[0].read_text()})
    source.write_bytes(b"\xef\xbb\xbf" + line + b"\n")
    assert process(source, "--out", tmp_path / "out") == 0
    assert [e["url"] for e in outcomes(tmp_path / "out")["clean"]] == ["https://example.com/bom"]


def test_a_file_whose_name_is_not_utf8_is_named_in_its_rejection(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    bad_name = os.fsdecode(b"bad\xff.ndjson")
    (inputs / bad_name).write_bytes(b"[1]\n")
    assert process(inputs, "--out", tmp_path / "out") == 0
    [rejection] = outcomes(tmp_path / "out")["rejected"]
    assert rejection["origin"]["file"].endswith("bad\\xff.ndjson")


END = "The last paragraph of this report says where it ends, in words of its own."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (lambda page: gzip.compress(page)[:-20], "bad_encoding"),  # cut short
        (lambda page: gzip.compress(page) + b"trailing junk", "bad_encoding"),
        (lambda page: gzip.compress(page[:999]) + gzip.compress(page[999:]), None),  # 2 members
        (lambda page: gzip.compress(page) + bytes(512), None),  # zero padding
    ],
)
def test_a_gzipped_page_is_read_whole_or_rejected(
    tmp_path: Path, data: Any, reason: str | None
) -> None:
    lines = [*SEEDS[1].read_text().splitlines()[:12], END]
    paragraphs = "".join(f"<p>{line}</p>" for line in lines)
    page = f"<html><body><article>{paragraphs}</article></body></html>".encode()
    (tmp_path / "page.html.gz").write_bytes(data(page))
    assert process(tmp_path / "page.html.gz", "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    if reason is None:
        [clean] = result["clean"]
        assert END in clean["text"] and not result["rejected"]  # read to its end
    else:
        [rejection] = result["rejected"]
        assert rejection["reason"] == reason


def test_a_gzipped_input_may_inflate_to_the_size_limit_and_no_more() -> None:
    """Across its members too: the limit is on the whole."""
    assert gunzip_bounded(gzip.compress(b"a" * 100), 100) == b"a" * 100
    two = gzip.compress(b"a" * 60) + gzip.compress(b"b" * 40)
    assert gunzip_bounded(two, 100) == b"a" * 60 + b"b" * 40
    for over in (gzip.compress(b"a" * 101), two + gzip.compress(b"c")):
        rejection = gunzip_bounded(over, 100)
        assert isinstance(rejection, Rejection) and rejection.reason == "too_large"


def test_more_bad_bytes_than_one_for_ten_utf8_characters_is_not_read_as_utf8() -> None:
    ten = ("Größe " * 5).encode()  # ten characters that are not ASCII
    one_for_ten = (ten + b"\xff") * 4
    assert decode_document(one_for_ten) == one_for_ten.decode("utf-8", "replace")
    more = ten + b"\xff\xfe"
    assert decode_document(more) != more.decode("utf-8", "replace")


def test_a_local_document_of_the_size_limit_is_read_and_one_byte_more_is_too_large(
    tmp_path: Path,
) -> None:
    (tmp_path / "fits.txt").write_bytes(b"a" * 100)
    (tmp_path / "over.txt").write_bytes(b"a" * 101)
    fits, over = read_inputs([tmp_path], max_bytes=100)
    assert fits.rejection is None and orjson.loads(fits.raw)["text"] == "a" * 100
    assert over.rejection is not None and over.rejection.reason == "too_large"


def test_with_a_base_url_a_document_is_named_by_its_path_under_the_input_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "world" / "2024").mkdir(parents=True)
    (tmp_path / "world" / "2024" / "a b.html").write_text("<p>x</p>")
    [item] = read_inputs([tmp_path], base_url="https://example.com/news/", max_bytes=1000)
    assert orjson.loads(item.raw)["url"] == "https://example.com/news/world/2024/a%20b.html"
    # Named alone, a file is under its own directory.
    [named] = read_inputs(
        [tmp_path / "world" / "2024" / "a b.html"], base_url="https://example.com", max_bytes=1000
    )
    assert orjson.loads(named.raw)["url"] == "https://example.com/a%20b.html"


def test_a_bad_setting_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert process(SAMPLES, "--out", tmp_path, "--workers", "0") == 2
    assert "invalid --workers '0': must be at least 1" in capsys.readouterr().err


def test_re_crawls_are_looked_up_a_chunk_at_a_time_and_decided_as_extraction_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A re-crawl read in a later chunk than its first copy is decided from its body hash
    without extraction; one in the same chunk is extracted; both are the same duplicate."""
    handed: list[str] = []
    real = runner.extract_ordered

    def counting(items: Any, article_of: Any, **options: Any) -> Any:
        def counted(item: Any) -> Any:
            article = article_of(item)
            if article is not None:
                handed.append(article.url)
            return article

        return real(items, counted, **options)

    monkeypatch.setattr(runner, "extract_ordered", counting)

    def raw(n: int, minute: int = 0) -> InputItem:
        sentence = f"Report {n} on the harbour vote. "
        page = f"<html><body><article><p>{sentence * 12}</p>"
        message = {"url": f"https://example.com/{n}", "html": page + "</article></body></html>",
                   "fetched_at": f"2024-09-10T10:{minute:02d}:00Z"}  # fmt: skip
        return InputItem(orjson.dumps(message), Origin(file="in", line=n))

    pages = runner.RECRAWL_LOOKUPS + 8
    items = [raw(0), raw(0, minute=1)]  # the first copy and a re-crawl in one chunk
    items += [raw(n) for n in range(1, pages)] + [raw(0, minute=2)]  # and one chunks later
    store = SqliteStore(":memory:")
    settings = runner.BatchSettings(workers=2)
    found = list(runner.process_items(items, store=store, settings=settings, clock=lambda: NOW))
    store.close()
    assert [o.kind for o in found] == ["clean", "duplicate"] + ["clean"] * (pages - 1) + [
        "duplicate"
    ]
    near, far = found[1].event, found[-1].event
    assert near["duplicate_of"] == far["duplicate_of"] == found[0].event["article_id"]
    assert near["content_hash"] == far["content_hash"] == found[0].event["content_hash"]
    assert (near["method"], near["similarity"]) == (far["method"], far["similarity"])
    assert handed.count("https://example.com/0") == 2  # the far re-crawl was not extracted


def test_outcomes_are_given_out_once_their_group_of_decisions_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store commits a group of decisions at once (each page written once, where a
    transaction per call wrote it each time), and an outcome is given out only after its
    decision is committed: an outcome written is never one a crash takes back."""
    monkeypatch.setattr(runner, "GROUP_DECISIONS", 2)

    def raw(n: int) -> InputItem:
        page = f"<html><body><article><p>{f'Report {n} on the harbour vote. ' * 12}</p>"
        message = {"url": f"https://example.com/{n}", "html": page + "</article></body></html>",
                   "fetched_at": "2024-09-10T10:00:00Z"}  # fmt: skip
        return InputItem(orjson.dumps(message), Origin(file="in", line=n))

    path = tmp_path / "store.sqlite"
    store = SqliteStore(str(path))
    other = sqlite3.connect(path)  # another process's view: what is committed
    committed = []
    try:
        items = [raw(n) for n in range(5)]
        settings = runner.BatchSettings()
        for outcome in runner.process_items(
            items, store=store, settings=settings, clock=lambda: NOW
        ):
            assert outcome.kind == "clean"
            (decisions,) = other.execute("SELECT COUNT(*) FROM decisions").fetchone()
            committed.append(decisions)
    finally:
        store.close()
        other.close()
    # The outcomes given out, and the others of their group (the first goes out alone).
    assert committed == [1, 3, 3, 5, 5]


def test_the_summary_gives_the_rate_with_and_after_the_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["process", *map(str, SEEDS), "--out", str(tmp_path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    match = _SUMMARY.search(first)
    assert match is not None, first
    total, seconds, steady, first_at = (float(group) for group in match.groups())
    assert total == 5 and 0 < first_at < seconds
    # The start-up (the extractor loading its language model) is in the first outcome's time,
    # so the rate after it is the higher one.
    assert steady > total / seconds


def test_the_summary_counts_near_duplicates_and_the_stories_begun_among_the_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """The features a user came for, in the run's own report: the five seeds are one story,
    a rewrite of one of them (a dateline added, two paragraphs cut) is a near duplicate
    joining it, and the council budget report begins a story of its own."""
    title, first, *rest = SEEDS[1].read_text().split("\n\n")
    rewrite = tmp_path / "in" / "rewrite.txt"
    rewrite.parent.mkdir()
    rewrite.write_text("\n\n".join([title, "WASHINGTON (AP) — " + first, *rest[2:]]))
    council = SAMPLES / "crawl.ndjson"  # the council budget report, a copy, bad lines
    assert main(["process", *map(str, SEEDS), str(rewrite), str(council), "--out",
                 str(tmp_path / "out")]) == 0  # fmt: skip
    report = capsys.readouterr().out
    clean = outcomes(tmp_path / "out")["clean"]
    near = [e for e in clean if e["dedup"]["status"] == "near_duplicate"]
    founded = [e for e in clean if e["story_id"] == e["article_id"]]
    assert (len(near), len(founded)) == (1, 2)
    joined = len(clean) - 2
    assert (
        f"  of the clean: 1 near duplicate of an earlier article; 2 stories begun, {joined} "
        "joining one (story_id)"
    ) in report.splitlines()


def test_a_single_outcome_has_no_rate_after_the_first() -> None:
    summary = runner.BatchSummary(seconds=2.0, first_seconds=1.9)
    assert summary.steady_rate is None
    summary.outcomes["clean"] = 1
    assert summary.steady_rate is None
    summary.outcomes["clean"] = 3
    assert summary.steady_rate == pytest.approx(2 / 0.1)


def test_the_duplicate_ratio_is_of_the_articles_decided_rejections_aside() -> None:
    summary = runner.BatchSummary()
    assert summary.duplicate_ratio == 0.0  # nothing decided
    summary.outcomes.update({"clean": 3, "duplicate": 1, "rejected": 4})
    assert summary.duplicate_ratio == 0.25


def test_a_dead_lettered_input_is_counted_with_the_rejections_by_its_reason() -> None:
    summary = runner.BatchSummary()
    summary.record(Outcome("dlq", {"reason": "retries_exhausted"}))
    summary.record(Outcome("rejected", {"reason": "too_large"}))
    assert summary.outcomes == {"rejected": 2}
    assert summary.reasons == {"retries_exhausted": 1, "too_large": 1}


def test_an_ndjson_line_of_the_size_limit_is_read_and_one_byte_more_is_too_large(
    tmp_path: Path,
) -> None:
    lines = tmp_path / "lines.ndjson"
    lines.write_bytes(b"a" * 100 + b"\n" + b"b" * 101 + b"\r\n" + b"c" * 100 + b"\r\nd\n")
    items = list(read_inputs([lines], max_bytes=100))
    assert [
        (item.origin.line, item.raw[:1], item.rejection and item.rejection.reason) for item in items
    ] == [
        (1, b"a", None),
        (2, b"", "too_large"),
        (3, b"c", None),  # its line break (\r\n) is not part of the size
        (4, b"d", None),
    ]


@pytest.mark.parametrize(
    ("text", "charset"),
    [
        ("Un café très animé à Paris.", "latin-1"),
        ("Zürich", "latin-1"),
        ("El niño comió piña en España.", "cp1252"),
        ("Москва — столица России, крупнейший город страны.", "cp1251"),
        ("Zażółć gęślą jaźń, powiedział minister w Warszawie.", "cp1250"),
    ],
)
def test_a_document_that_is_not_utf8_is_read_in_its_charset(text: str, charset: str) -> None:
    assert decode_document(text.encode(charset)) == text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # A character cut in two at the end (a file cut short): read by the likeliest
        # charset, nothing decoded it (bad_encoding).
        ("ရန်ကုန်မြို့ ဗဟိုဈေးတွင်".encode()[:-1], "ရန်ကုန်မြို့ ဗဟိုဈေးတွင\ufffd"),
        # A stray byte: the page read as another charset, every é and dash of it mojibake.
        ("Un café très animé — naïve.".encode() + b"\xff", "Un café très animé — naïve.\ufffd"),
    ],
    ids=["cut-character", "stray-byte"],
)
def test_a_utf8_document_with_a_bad_byte_is_read_as_utf8(data: bytes, expected: str) -> None:
    assert decode_document(data) == expected


def test_directory_entries_that_are_no_readable_file_are_rejected_by_name_and_the_rest_read(
    tmp_path: Path,
) -> None:
    """A broken link, a symbolic-link loop and a FIFO (which would block a reader forever)
    were passed over without a word; each is now one rejection naming it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEEDS[0], inputs / "good.txt")
    (inputs / "broken.html").symlink_to(tmp_path / "gone.html")
    (inputs / "loop.txt").symlink_to(inputs / "loop.txt")
    os.mkfifo(inputs / "pipe.html")
    assert process(inputs, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert [Path(e["url"]).name for e in result["clean"]] == ["good.txt"]
    details = {Path(e["origin"]["file"]).name: e["detail"] for e in result["rejected"]}
    assert details == {
        "broken.html": "file not readable: a broken symbolic link",
        "loop.txt": "file not readable: OSError: Too many levels of symbolic links",
        "pipe.html": "file not readable: not a regular file (a FIFO, socket or device)",
    }
    assert {e["reason"] for e in result["rejected"]} == {"bad_encoding"}


def test_a_directory_that_cannot_be_listed_is_rejected_by_name_and_the_rest_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its files were passed over without a word (`Path.rglob` skips what it may not list).
    The tests run as root, whom permissions do not stop: the listing is refused here."""
    inputs = tmp_path / "in"
    (inputs / "locked").mkdir(parents=True)
    (inputs / "open").mkdir()
    shutil.copy(SEEDS[0], inputs / "locked" / "hidden.txt")
    shutil.copy(SEEDS[1], inputs / "open" / "seen.txt")
    (inputs / "open" / "link-to-locked").symlink_to(inputs / "locked")  # not followed
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    assert process(inputs, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert [Path(e["url"]).name for e in result["clean"]] == ["seen.txt"]
    [locked] = result["rejected"]
    assert Path(locked["origin"]["file"]) == inputs / "locked"
    assert locked["detail"] == (
        "file not readable: a directory that cannot be listed (its permissions)"
    )


@pytest.mark.parametrize("kind", ["page.html", "page.txt", "lines.ndjson", "archive.warc"])
def test_a_file_gone_between_listing_and_reading_is_rejected_and_the_rest_read(
    tmp_path: Path, kind: str
) -> None:
    """A crawler's directory changes under a long run: a file listed, then removed before its
    turn, stopped the run with a traceback (FileNotFoundError)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEEDS[0], inputs / "a-first.txt")
    (inputs / f"b-{kind}").write_bytes(b"soon gone")
    shutil.copy(SEEDS[1], inputs / "c-last.txt")
    items = read_inputs([inputs], max_bytes=1 << 20)
    first = next(items)
    (inputs / f"b-{kind}").unlink()
    rest = list(items)
    assert str(first.origin.file).endswith("a-first.txt") and first.rejection is None
    [gone, last] = rest
    assert str(gone.origin.file).endswith(f"b-{kind}")
    assert gone.rejection is not None and gone.rejection.reason == "bad_encoding"
    assert gone.rejection.detail == "file not readable: gone since it was listed"
    assert str(last.origin.file).endswith("c-last.txt") and last.rejection is None


def test_sigterm_mid_run_writes_what_was_decided_and_says_what_a_rerun_does(
    tmp_path: Path,
) -> None:
    """SIGTERM (`timeout`, a job runner) ended a run on the spot, exit status -15, the outcomes
    in the files' buffers unwritten, and nothing said; now it ends as Ctrl-C does."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = SEEDS[0].read_text()
    for n in range(400):
        (inputs / f"{n:03d}.txt").write_text(f"Report {n} of the series.\n\n{text}")
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "process", str(inputs), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NEWSFLOW_WORKERS": "1"},
    )
    clean = out / "clean.ndjson"
    while not (clean.exists() and clean.stat().st_size) and run.poll() is None:
        time.sleep(0.02)  # until the first outcomes are flushed to the file
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 128 + signal.SIGTERM
    written = outcomes(out)  # each line whole (decodes)
    total = sum(len(events) for events in written.values())
    assert 0 < total < 400
    said = re.search(r"newsflow: stopped after (\d+) outcomes?: (.+?)/\{", err)
    assert said is not None and (int(said[1]), said[2]) == (total, str(out))
    assert "A re-run over the same inputs appends what is missing" in err


def test_the_skipped_records_are_reported_by_kind_most_first() -> None:
    skipped = Counter({"request": 1, "response 301": 3, "metadata": 2})
    assert skipped_line(skipped) == (
        "skipped WARC records that hold no article: response 301 3, metadata 2, request 1"
    )
    assert skipped_line(Counter()) is None


def test_an_out_directory_inside_an_input_directory_is_not_read_as_input(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    bad = b'{"url": "ftp://example.com/x", "text": "not an accepted scheme"}\n'
    (inputs / "more.ndjson").write_bytes(bad * 3000)  # rejections enough to reach the disk
    for _ in range(2):  # the second run finds the first's outputs there
        assert process(inputs, "--out", inputs / "out") == 0
        result = outcomes(inputs / "out")
        assert (len(result["clean"]), len(result["duplicates"])) == (6, 1)
        assert len(result["rejected"]) == 5 + 3000


def test_an_earlier_run_s_output_directory_inside_an_input_directory_is_not_read(
    tmp_path: Path,
) -> None:
    """Only the run's own outputs were passed over: the earlier run's clean events were read as
    articles, its duplicates and rejections rejected (24 outcomes over the samples for 12)."""
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    assert process(inputs, "--out", inputs / "last-week") == 0
    assert process(inputs, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert (len(result["clean"]), len(result["duplicates"]), len(result["rejected"])) == (6, 1, 5)
    written = sorted(path.name for path in (inputs / "last-week").glob("*.ndjson"))
    assert written == runner.OUTPUT_NAMES  # (the names passed over)


def test_raw_messages_under_one_outcome_file_name_are_read(tmp_path: Path) -> None:
    """A directory holding only some of the three names is no output directory."""
    line = orjson.dumps({"url": "https://example.com/a", "text": "a"})
    (tmp_path / "clean.ndjson").write_bytes(line + b"\n")
    (tmp_path / "rejected.ndjson").write_bytes(line + b"\n")
    items = read_inputs([tmp_path], max_bytes=1000)
    names = [Path(str(item.origin.file)).name for item in items]
    assert names == ["clean.ndjson", "rejected.ndjson"]


def test_an_output_of_the_run_named_as_its_input_stops_it_before_it_is_emptied(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert process(SAMPLES, "--out", tmp_path) == 0
    before = (tmp_path / "clean.ndjson").read_bytes()
    assert process(tmp_path / "." / "clean.ndjson", "--out", tmp_path) == 2
    assert "input is an output of this run (--out)" in capsys.readouterr().err
    assert (tmp_path / "clean.ndjson").read_bytes() == before


def test_a_file_named_twice_or_by_two_paths_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "link.ndjson").symlink_to(SAMPLES / "crawl.ndjson")
    os.link(SEEDS[0], tmp_path / "hard.txt")
    crawl = SAMPLES / "crawl.ndjson"
    named = [SAMPLES, crawl, SAMPLES / ".." / "samples" / crawl.name, tmp_path / "link.ndjson"]
    out = tmp_path / "out"
    assert process(*named, SEEDS[0], tmp_path / "hard.txt", "--out", out) == 0
    result = outcomes(out)
    assert (len(result["clean"]), len(result["duplicates"]), len(result["rejected"])) == (6, 1, 5)


def test_extractors_that_cannot_start_leave_the_outputs_of_an_earlier_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert process(SAMPLES, "--out", tmp_path) == 0
    before = {path.name: path.read_bytes() for path in tmp_path.glob("*.ndjson")}
    assert process(SAMPLES, "--out", tmp_path, "--extract-memory-mb", "100") == 2
    err = capsys.readouterr().err
    assert "configuration error: the extractor process exited before it was ready" in err
    assert "stopped after" not in err  # (0 outcomes, and a re-run would do the same)
    assert {path.name: path.read_bytes() for path in tmp_path.glob("*.ndjson")} == before


def test_a_run_stopped_before_its_first_outcome_leaves_the_files_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert process(SAMPLES, "--out", tmp_path) == 0
    before = {path.name: path.read_bytes() for path in tmp_path.glob("*.ndjson")}

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # Ctrl-C while the extractors start
        yield

    monkeypatch.setattr(runner, "extract_ordered", interrupted)
    assert process(SAMPLES, "--out", tmp_path) == 130
    assert "stopped before the first outcome" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in tmp_path.glob("*.ndjson")} == before


@pytest.mark.parametrize(("workers", "limit"), [("1", 60.0), ("2", 60.0), ("5", 180.0)])
def test_more_workers_than_cpus_have_longer_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str, limit: float
) -> None:
    """They start at once and share the CPUs: 64 on two were not ready within 60 s."""
    given: list[runner.BatchSettings] = []

    def recording(items: Any, *, settings: runner.BatchSettings, **kwargs: Any) -> Any:
        given.append(settings)
        return iter([])

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr("newsflow.batch_commands.process_items", recording)
    assert process(SEEDS[0], "--out", tmp_path, "--workers", workers) == 0
    assert given[0].sandbox.startup_limit == limit


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("suffix", [".ndjson", ".jsonl.gz"])
def test_a_utf16_ndjson_file_with_its_byte_order_mark_is_read_line_by_line(
    tmp_path: Path, encoding: str, suffix: str
) -> None:
    """As Windows PowerShell writes it (`… > file.ndjson`), CRLF line breaks and all."""
    lines = [
        orjson.dumps({"url": f"https://example.com/{n}", "text": seed.read_text()}).decode()
        for n, seed in enumerate(SEEDS[:3])
    ]
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(encoding)
    source = tmp_path / f"lines{suffix}"
    source.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    assert process(source, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert [e["url"] for e in result["clean"]] == [f"https://example.com/{n}" for n in range(3)]
    assert result["rejected"] == []


def test_a_line_of_a_utf16_ndjson_file_that_is_not_utf16_is_rejected_and_the_rest_read(
    tmp_path: Path,
) -> None:
    lines = [
        orjson.dumps({"url": f"https://example.com/{n}", "text": seed.read_text()}).decode()
        for n, seed in enumerate(SEEDS[:2])
    ]
    source = tmp_path / "lines.ndjson"
    lone_surrogate = b"\x00\xd8\n\x00"
    data = ("\ufeff" + lines[0] + "\n").encode("utf-16-le") + lone_surrogate
    source.write_bytes(data + (lines[1] + "\n").encode("utf-16-le"))
    assert process(source, "--out", tmp_path / "out") == 0
    result = outcomes(tmp_path / "out")
    assert len(result["clean"]) == 2
    assert [(e["reason"], e["origin"]["line"]) for e in result["rejected"]] == [("bad_encoding", 2)]


def test_an_out_that_is_a_file_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    taken = tmp_path / "taken.ndjson"
    taken.write_bytes(b"kept\n")
    assert process(SEEDS[0], "--out", taken) == 2
    assert "cannot make the output directory: File exists" in capsys.readouterr().err
    assert taken.read_bytes() == b"kept\n"


@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_a_link_to_an_output_in_an_input_directory_is_not_read(tmp_path: Path, link: Any) -> None:
    """Its path is not the output's: read while written, the run read its own clean events
    back as input without end (111,339 outcomes from 50 inputs in two minutes)."""
    inputs, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(SAMPLES, inputs)
    assert process(inputs, "--out", out) == 0  # the outputs are there for a hard link
    link(out / "clean.ndjson", inputs / "zz-clean.ndjson")
    assert process(inputs, "--out", out) == 0
    result = outcomes(out)
    assert (len(result["clean"]), len(result["duplicates"]), len(result["rejected"])) == (6, 1, 5)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_just_after_an_outcome_is_written_counts_it_in_the_note(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: int,
    status: int,
) -> None:
    """SIGTERM or Ctrl-C came between an outcome's line and its count (a loaded machine, the
    line flushed): the note said the files were "as they were" while they held that line."""
    real_open = open

    class SignalledAfterTheFirstLine:
        def __init__(self, path: Path, mode: str) -> None:
            self.file = real_open(path, mode)
            self.signalled = False

        def write(self, data: bytes) -> int:
            written = self.file.write(data)
            if not self.signalled:
                self.signalled = True
                os.kill(os.getpid(), signum)  # handled at the next line of Python
            return written

        def __enter__(self) -> "SignalledAfterTheFirstLine":
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    monkeypatch.setattr(runner, "open", SignalledAfterTheFirstLine, raising=False)
    out = tmp_path / "out"
    # Ctrl-C as a terminal gives it: a shell's background job (a CI runner's, say) starts with
    # SIGINT ignored, which `process` rightly leaves ignored, and this test then failed
    ctrl_c = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["process", *map(str, SEEDS), "--out", str(out), "--quiet"]) == status
    finally:
        signal.signal(signal.SIGINT, ctrl_c)
    total = sum(len(events) for events in outcomes(out).values())
    said = re.search(r"newsflow: stopped after (\d+) outcomes?: ", capsys.readouterr().err)
    assert said is not None and int(said[1]) == total
