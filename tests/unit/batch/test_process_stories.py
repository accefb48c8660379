"""`newsflow process` end to end: near duplicates are linked, the seeds share one story."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from newsflow.cli import main
from newsflow.contracts.codec import EventKind, decode

ROOT = Path(__file__).resolve().parents[3]
SEEDS = sorted((ROOT / "samples").glob("0*.txt"))
OTHER_EVENT = ROOT / "tests" / "fixtures" / "stories" / "other-missile-event.txt"


def outcomes(out: Path) -> dict[str, list[dict]]:
    files: dict[str, EventKind] = {"clean": "clean", "duplicates": "duplicate"}
    return {
        name: [decode(kind, line) for line in (out / f"{name}.ndjson").read_bytes().splitlines()]
        for name, kind in files.items()
    }


def inputs(tmp_path: Path) -> Path:
    """The five seeds, the other missile event, and an agency rewrite of seed 002."""
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder / seed.name)
    shutil.copy(OTHER_EVENT, folder / "005_other_event.txt")
    text = SEEDS[2].read_text()
    paragraphs = text.split("\n\n")
    rewrite = "Iran arms Russia with missiles, allies say\n\nLONDON (AP) — " + "\n\n".join(
        paragraphs[3 : int(len(paragraphs) * 0.85)]
    )
    (folder / "006_rewrite_of_002.txt").write_text(rewrite)
    return folder


def by_name(events: list[dict]) -> dict[str, dict]:
    return {Path(e["url"]).name: e for e in events}


def test_a_rewrite_is_linked_and_the_seeds_share_a_story(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["process", str(inputs(tmp_path)), "--out", str(out), "--quiet"]) == 0
    clean = by_name(outcomes(out)["clean"])
    assert len(clean) == 7
    seeds = [clean[seed.name] for seed in SEEDS]
    assert all(e["dedup"]["status"] == "unique" for e in seeds)
    assert len({e["story_id"] for e in seeds}) == 1
    assert seeds[0]["story_id"] == seeds[0]["article_id"]  # named after its first article
    other = clean["005_other_event.txt"]
    assert other["story_id"] not in {e["story_id"] for e in seeds}
    rewrite = clean["006_rewrite_of_002.txt"]
    assert rewrite["dedup"]["status"] == "near_duplicate"
    assert rewrite["dedup"]["near_duplicate_of"] == seeds[2]["article_id"]
    assert rewrite["dedup"]["method"] == "minhash"
    assert 0.5 <= rewrite["dedup"]["similarity"] <= 1
    assert rewrite["story_id"] == seeds[0]["story_id"]


def test_a_rerun_over_the_same_store_gives_the_same_decisions(tmp_path: Path) -> None:
    folder, out = inputs(tmp_path), tmp_path / "out"
    store = str(tmp_path / "store.sqlite")
    assert main(["process", str(folder), "--out", str(out), "--store", store, "--quiet"]) == 0
    first = by_name(outcomes(out)["clean"])
    assert main(["process", str(folder), "--out", str(out), "--store", store, "--quiet"]) == 0
    second = by_name(outcomes(out)["clean"])
    assert {k: (e["dedup"], e["story_id"]) for k, e in first.items()} == {
        k: (e["dedup"], e["story_id"]) for k, e in second.items()
    }


@pytest.mark.parametrize(
    "flag", [["--divert-near-duplicates", "true"], ["--divert-near-duplicates"]]
)
def test_near_duplicates_can_be_diverted_to_the_duplicates_file(
    tmp_path: Path, flag: list[str]
) -> None:
    """A yes-or-no setting is a flag alone too (a README walkthrough: alone, it was an
    "expected one argument" error)."""
    out = tmp_path / "out"
    args = ["process", str(inputs(tmp_path)), "--out", str(out), "--quiet"]
    assert main([*args, *flag]) == 0
    result = outcomes(out)
    assert len(result["clean"]) == 6
    [duplicate] = result["duplicates"]
    original = by_name(result["clean"])[SEEDS[2].name]
    assert duplicate["url"].endswith("006_rewrite_of_002.txt")
    assert (duplicate["duplicate_of"], duplicate["method"]) == (original["article_id"], "near")
    assert 0.5 <= duplicate["similarity"] < 1


def test_newsflow_stories_lists_the_largest_story_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, store = tmp_path / "out", str(tmp_path / "store.sqlite")
    folder = inputs(tmp_path)
    assert main(["process", str(folder), "--out", str(out), "--store", store, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["stories", "--store-url", store, "--json", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first, second = (orjson.loads(line) for line in lines)
    assert (first["size"], second["size"]) == (6, 1)  # five seeds and the rewrite
    assert first["title"] == "U.S. accuses Iran of sending ballistic missiles to Russia"
    assert first["first_seen"] <= first["last_seen"]
    # The same moments as the events write theirs (a README walkthrough: only seconds).
    seen = datetime.fromisoformat(first["first_seen_at"])
    assert first["first_seen_at"].endswith("Z")
    assert seen.timestamp() == pytest.approx(first["first_seen"], abs=1e-5)


def test_newsflow_stories_prints_one_line_per_story_with_its_size_and_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, store = tmp_path / "out", str(tmp_path / "store.sqlite")
    assert main(["process", str(inputs(tmp_path)), "--out", str(out), "--store", store]) == 0
    capsys.readouterr()
    assert main(["stories", "--store", store, "--limit", "2"]) == 0  # as `process` takes it
    largest, single = capsys.readouterr().out.splitlines()
    assert "  6 articles  " in largest
    assert "  1 source (local)  U.S. accuses Iran of sending ballistic missiles" in largest
    assert "  1 article  " in single
    assert "  1 source (local)  " in single


def test_newsflow_stories_at_a_store_file_that_is_not_there_says_so_and_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped path made an empty store there and listed no story, as if none had come."""
    missing = tmp_path / "out" / "store.sqlite"
    assert main(["stories", "--store-url", str(missing)]) == 2
    assert f"no embedded store at '{missing}'" in capsys.readouterr().err
    assert not missing.exists()


def test_settings_reach_the_placement_stage() -> None:
    from newsflow.batch_commands import PROCESS_SETTINGS
    from newsflow.cli import build_parser
    from newsflow.config import resolve
    from newsflow.stage_settings import stage_limits

    args = build_parser().parse_args(
        ["process", "x", "--out", "y", "--story-threshold", "0.3", "--near-dup-window-hours", "2"]
    )
    environ = {"NEWSFLOW_DIVERT_NEAR_DUPLICATES": "yes", "NEWSFLOW_NEAR_DUP_THRESHOLD": "0.7"}
    _, decide = stage_limits(resolve(args, PROCESS_SETTINGS, environ))
    placement = decide.placement
    assert placement.stories.threshold == 0.3
    assert placement.stories.window_seconds == 72 * 3600
    assert (placement.near.threshold, placement.near.window_seconds) == (0.7, 7200)
    assert placement.divert_near_duplicates


@pytest.mark.parametrize(
    "bad",
    [
        ["--limit", "-3"],
        ["--limit", "0"],
        ["--limit", "99999999999999999999"],
        ["--hours", "-1"],
        ["--hours", "nan"],
    ],
)
def test_newsflow_stories_refuses_a_limit_or_window_of_nothing_or_past_reason(
    bad: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--limit -3` listed every story (SQLite's LIMIT -3 is none), `--hours -1` none, and a
    limit past SQLite's integers ended in an OverflowError's traceback."""
    with pytest.raises(SystemExit) as exited:
        main(["stories", "--store-url", str(tmp_path / "s.sqlite"), *bad])
    assert exited.value.code == 2
    assert f"invalid {'story_limit' if bad[0] == '--limit' else 'positive_float'} value" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("store_url", "status", "said"),
    [
        ("redis://127.0.0.1:1/7", 1, "unavailable"),  # nothing listens on port 1
        ("redis://127.0.0.1:1/abc", 2, "the database must be a number"),
        ("redis://127.0.0.1:1/\u00b2", 2, "the database must be a number"),  # not int()'s
    ],
)
def test_a_store_that_cannot_be_used_leaves_the_last_run_s_outputs_as_they_were(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], store_url: str, status: int, said: str
) -> None:
    """A README walkthrough: the outputs were opened (emptied) before the store was first
    used, so a Redis that was down, or a database it does not have, wiped the last run's
    results; "/abc" was taken for database 0."""
    folder, out = inputs(tmp_path), tmp_path / "out"
    assert main(["process", str(folder), "--out", str(out), "--quiet"]) == 0
    before = {path.name: path.read_bytes() for path in out.glob("*.ndjson")}
    args = ["process", str(folder), "--out", str(out), "--quiet", "--store-url", store_url]
    assert main(args) == status
    assert {path.name: path.read_bytes() for path in out.glob("*.ndjson")} == before
    error = capsys.readouterr().err
    assert said in error


def test_an_empty_directory_is_said_to_hold_no_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["process", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "processed 0 inputs" in captured.out
    assert "no inputs" in captured.err


def test_newsflow_process_of_an_empty_file_does_not_speak_of_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A review: an empty .ndjson file named (or a WARC of requests and images only) was
    "the directories named hold no file of a kind it reads"."""
    (tmp_path / "empty.ndjson").write_text("")
    assert main(["process", str(tmp_path / "empty.ndjson"), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "no inputs: the inputs named hold no article" in err
    assert "directories" not in err


def test_newsflow_stories_at_an_output_directory_names_the_store_in_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["process", str(inputs(tmp_path)), "--out", str(out), "--quiet"]) == 0
    assert main(["stories", "--store-url", str(out)]) == 2
    assert str(out / "newsflow.sqlite") in capsys.readouterr().err


def test_a_yes_or_no_flag_alone_before_an_input_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Alone before an input, the flag takes the input for its word: argparse said the input
    was missing."""
    folder = str(inputs(tmp_path))
    with pytest.raises(SystemExit) as exit_:
        main(["process", "--divert-near-duplicates", folder, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert f"is true or false, not {folder!r}" in capsys.readouterr().err


def test_newsflow_stories_lists_the_stories_of_the_hours_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--hours, not the story window, says how recent a story's latest article must be."""
    from datetime import UTC, timedelta

    import newsflow.batch_commands as batch_commands

    out, store = tmp_path / "out", str(tmp_path / "store.sqlite")
    assert main(["process", str(SEEDS[0]), "--out", str(out), "--store", store, "--quiet"]) == 0
    later = datetime.now(UTC) + timedelta(hours=2)  # the seed has no date: fetched now
    monkeypatch.setattr(batch_commands, "_utc_now", lambda: later)
    capsys.readouterr()
    assert main(["stories", "--store-url", store, "--json", "--hours", "1"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["stories", "--store-url", store, "--json", "--hours", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
