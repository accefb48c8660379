"""`newsflow process` into an --out that holds an earlier run's outcomes: the run extends them,
writing only the outcomes the files do not hold yet."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from test_process import raise_on_the_second_seed

from newsflow.batch.recorded import outcome_key
from newsflow.cli import main
from newsflow.contracts.codec import EventKind, decode

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SEEDS = sorted(SAMPLES.glob("0*.txt"))
NAMES = ("clean", "duplicates", "rejected")


def outcomes(out: Path) -> dict[str, list[dict]]:
    kinds: dict[str, EventKind] = {
        "clean": "clean",
        "duplicates": "duplicate",
        "rejected": "rejection",
    }
    found = files(out)
    return {name: [decode(kinds[name], e) for e in found[name].splitlines()] for name in NAMES}


def files(out: Path) -> dict[str, bytes]:
    return {name: (out / f"{name}.ndjson").read_bytes() for name in NAMES}


def process(*args: str | Path) -> int:
    return main(["process", *map(str, args), "--quiet"])


def bad_lines(path: Path, tag: str) -> Path:
    """An NDJSON file of two lines that are rejected at ingest (no article, so no id)."""
    path.write_bytes(
        b'{"url": "https://example.com/' + tag.encode() + b'", "html": "<p>x</p>"\n'
        b'{"id": "' + tag.encode() + b'", "url": "ftp://example.com/x", "text": "an ftp page"}\n'
    )
    return path


def test_a_second_day_into_the_first_day_s_directory_keeps_its_outcomes(tmp_path: Path) -> None:
    """Day 2 held a copy of a day-1 article: its duplicate pointed at a clean event that the
    second run had emptied from clean.ndjson, with the rest of day 1."""
    day1, day2, archive = tmp_path / "crawl-day1", tmp_path / "crawl-day2", tmp_path / "archive"
    day1.mkdir()
    day2.mkdir()
    for seed in SEEDS[:3]:
        shutil.copy(seed, day1 / seed.name)
    for seed in SEEDS[3:]:
        shutil.copy(seed, day2 / seed.name)
    shutil.copy(SEEDS[2], day2 / "reposted.txt")
    bad_lines(day1 / "bad.ndjson", "day1")
    bad_lines(day2 / "bad.ndjson", "day2")

    assert process(day1, "--out", archive) == 0
    first = files(archive)
    assert process(day2, "--out", archive) == 0
    result = outcomes(archive)
    for name in NAMES:  # day 1's lines, as they were, then day 2's
        assert files(archive)[name].startswith(first[name])
    assert sorted(Path(e["url"]).name for e in result["clean"]) == sorted(s.name for s in SEEDS)
    [duplicate] = result["duplicates"]
    original = next(e for e in result["clean"] if e["url"].endswith(SEEDS[2].name))
    assert duplicate["url"].endswith("reposted.txt")
    assert duplicate["duplicate_of"] == original["article_id"]
    assert [Path(e["origin"]["file"]).parent.name for e in result["rejected"]] == [
        "crawl-day1",
        "crawl-day1",
        "crawl-day2",
        "crawl-day2",
    ]


def test_a_rerun_over_the_same_inputs_appends_nothing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    html = tmp_path / "pages"
    html.mkdir()
    (html / "page.html").write_text(f"<html><body><article><p>{SEEDS[0].read_text()}</p>")
    inputs = [SAMPLES, html, "--base-url", "https://example.com/pages/"]
    assert main(["process", *map(str, inputs), "--out", str(out)]) == 0
    before = files(out)
    assert sum(len(data.splitlines()) for data in before.values()) == 13
    capsys.readouterr()
    assert main(["process", *map(str, inputs), "--out", str(out)]) == 0
    assert files(out) == before
    summary = capsys.readouterr().out
    assert "processed 0 inputs" in summary
    assert "skipped 13 inputs already recorded" in summary


def test_the_same_message_twice_in_one_run_has_one_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same `article_id`: which event a consumer keeps (it is their key on the topics),
    and what a re-run after a stop would write once, wherever the stop."""
    message = orjson.dumps({"url": "https://example.com/a", "text": SEEDS[0].read_text()})
    (tmp_path / "a.ndjson").write_bytes(message + b"\n")
    (tmp_path / "b.ndjson").write_bytes(message + b"\n")
    out = tmp_path / "out"
    named = [str(tmp_path / "a.ndjson"), str(tmp_path / "b.ndjson")]
    assert main(["process", *named, "--out", str(out)]) == 0
    assert [len(events) for events in outcomes(out).values()] == [1, 0, 0]
    assert "skipped 1 input already recorded" in capsys.readouterr().out


def test_an_input_dead_lettered_is_recorded_by_its_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage raising on an article dead-letters it naming the article (it named none, so a
    re-run into the directory did not know its outcome recorded and wrote it a second)."""
    raise_on_the_second_seed(monkeypatch)
    out = tmp_path / "out"
    assert process(*SEEDS, "--out", out) == 0
    [dead] = outcomes(out)["rejected"]
    assert dead["url"] == SEEDS[1].as_uri() and dead["article_id"]
    monkeypatch.undo()
    assert process(*SEEDS, "--out", out) == 0
    assert [len(events) for events in outcomes(out).values()] == [4, 0, 1]


def many_inputs(folder: Path, count: int) -> Path:
    """`count` pages, each a rewrite of one text (a near duplicate, in clean.ndjson), and an
    NDJSON file of rejections after them."""
    folder.mkdir()
    text = SEEDS[0].read_text()
    for n in range(count):
        extra = f"Officials in the {n}th district said they would follow the talks closely."
        (folder / f"{n:03d}.txt").write_text(
            text.replace("\n\nBlinken", f"\n\n{extra}\n\nBlinken", 1)
        )
    bad = b'{"url": "ftp://example.com/x", "text": "not an accepted scheme"}\n'
    (folder / "zz-bad.ndjson").write_bytes(bad * 20)
    return folder


def written(out: Path) -> int:
    paths = (out / f"{name}.ndjson" for name in NAMES)
    return sum(path.stat().st_size for path in paths if path.exists())


def test_a_rerun_after_a_run_killed_gives_each_input_one_outcome(tmp_path: Path) -> None:
    """SIGKILL leaves no word and perhaps a line cut short; the store has decided more than
    the files hold. The re-run appends the rest, each input once."""
    inputs, out = many_inputs(tmp_path / "in", 300), tmp_path / "out"
    command = [sys.executable, "-m", "newsflow", "process", str(inputs), "--out", str(out)]
    env = {**os.environ, "NEWSFLOW_WORKERS": "1"}
    run = subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:  # until a few outcomes are in the files
        while written(out) < 300_000 and run.poll() is None:
            time.sleep(0.01)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the command and its extractor processes
        run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    # what it wrote, but for a last line it was killed while writing
    kept = {name: data[: data.rfind(b"\n") + 1] for name, data in files(out).items()}
    lines = sum(data.count(b"\n") for data in kept.values())
    assert 0 < lines < 320

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"skipped {lines} inputs already recorded" in again.stdout
    for name, data in files(out).items():
        assert data.startswith(kept[name])  # kept, the rest after it
    result = outcomes(out)  # each line whole
    urls = [Path(e["url"]).name for kind in ("clean", "duplicates") for e in result[kind]]
    assert sorted(urls) == [f"{n:03d}.txt" for n in range(300)]
    assert sorted(e["origin"]["line"] for e in result["rejected"]) == list(range(1, 21))
    clean_ids = {e["article_id"] for e in result["clean"]}
    assert all(e["duplicate_of"] in clean_ids for e in result["duplicates"])
    linked = [e["dedup"]["near_duplicate_of"] for e in result["clean"]]
    assert all(link in clean_ids for link in linked if link is not None)


@pytest.mark.parametrize("cut", [40, 1], ids=["inside-the-line", "its-line-break"])
def test_a_last_line_cut_short_is_mended_and_its_input_written_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cut: int
) -> None:
    out = tmp_path / "out"
    assert process(*SEEDS, "--out", out) == 0
    whole = (out / "clean.ndjson").read_bytes()
    (out / "clean.ndjson").write_bytes(whole[:-cut])
    assert process(*SEEDS, "--out", out) == 0
    assert sorted(e["url"] for e in outcomes(out)["clean"]) == sorted(s.as_uri() for s in SEEDS)
    err = capsys.readouterr().err
    if cut == 1:  # the whole event is kept, given its line break: nothing to write again
        assert (out / "clean.ndjson").read_bytes() == whole
        assert "ended without a line break after its last outcome: added" in err
    else:
        assert f"{out / 'clean.ndjson'} ended in a line cut short" in err


def test_a_line_that_is_no_outcome_stops_the_run_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert process(*SEEDS[:2], "--out", out) == 0
    mixed = b'{"note": "added by hand"}\n' + (out / "clean.ndjson").read_bytes()
    (out / "clean.ndjson").write_bytes(mixed)
    assert process(*SEEDS, "--out", out) == 2
    assert "clean.ndjson line 1 is no outcome newsflow wrote" in capsys.readouterr().err
    assert (out / "clean.ndjson").read_bytes() == mixed


def test_an_outcome_file_that_cannot_be_read_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A directory of the file's name was a traceback, the store left open."""
    out = tmp_path / "out"
    (out / "duplicates.ndjson").mkdir(parents=True)
    assert process(*SEEDS[:2], "--out", out) == 2
    assert f"--out: cannot read {out / 'duplicates.ndjson'}" in capsys.readouterr().err


def test_a_rejection_is_known_by_its_file_however_the_path_is_spelt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    event: dict[str, Any] = {"origin": {"file": "in/bad.ndjson", "line": 3}, "original": "[1]"}
    absolute = {**event, "origin": {"file": str(tmp_path / "in" / "bad.ndjson"), "line": 3}}
    assert outcome_key(event) == outcome_key(absolute)
    assert outcome_key(event) != outcome_key({**event, "origin": {**event["origin"], "line": 4}})
    assert outcome_key(event) != outcome_key({**event, "original": "[2]"})


def test_a_rerun_from_another_directory_appends_no_rejection_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inputs named relative to where each run starts: a rejection's origin was written as
    named ("crawl/bad.ndjson"), and the re-run made it absolute from its own directory, another
    file: every rejection before ingest was appended again."""
    crawl = tmp_path / "crawl"
    crawl.mkdir()
    bad_lines(crawl / "bad.ndjson", "day1")
    shutil.copy(SEEDS[0], crawl / SEEDS[0].name)
    monkeypatch.chdir(tmp_path)
    assert process("crawl", "--out", "out") == 0
    before = files(tmp_path / "out")
    monkeypatch.chdir(crawl)
    assert process(".", "--out", "../out") == 0
    assert files(tmp_path / "out") == before


HOLD_THE_LOCK = """
import sys, time
from pathlib import Path
from newsflow.batch.lock import exclusive
with exclusive(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(300)
"""


def test_a_second_run_into_a_directory_in_use_stops_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runs into one --out at once appended to the same files, neither skipping the inputs
    the other had taken on: outcomes written twice, lines interleaved. The second stops before
    it reads or writes anything; a lock whose process was killed holds nothing back."""
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert process(*SEEDS, "--out", out) == 2
        err = capsys.readouterr().err
        assert f"--out {out}: another newsflow process (pid {holder.pid}) is writing to it" in err
        assert sorted(path.name for path in out.iterdir()) == ["newsflow.lock"]
    finally:
        holder.kill()  # SIGKILL: no code of its own lets go of the lock
        holder.communicate(timeout=30)
    assert process(*SEEDS, "--out", out) == 0
    assert len(outcomes(out)["clean"]) == len(SEEDS)


def test_a_directory_whose_file_system_takes_no_lock_is_run_into_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some NFS mounts, FUSE and SMB file systems refuse `flock` (ENOLCK, EOPNOTSUPP): --out
    there worked before the lock, and stopped with exit 2 once it came; a run goes on, and
    says it is not guarded against another."""

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr("newsflow.batch.lock.fcntl.flock", no_locks)
    assert process(*SEEDS, "--out", tmp_path / "out") == 0
    assert "its file system takes no lock" in capsys.readouterr().err
    assert len(outcomes(tmp_path / "out")["clean"]) == len(SEEDS)
