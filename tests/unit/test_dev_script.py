"""`./dev`, the Quick start's entry point, as a user calls it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def installed() -> None:
    stamp = ROOT / ".venv" / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime:
        pytest.skip("./dev would install .venv first (run ./dev setup)")


def test_dev_newsflow_reads_and_writes_paths_relative_to_where_it_is_called(
    installed: None, tmp_path: Path
) -> None:
    """`path/to/dev newsflow process in/ --out out/` from a directory of one's own reads that
    directory's `in/` and writes its `out/`. The script worked in the repository's directory,
    so `in/` was looked for there and `out/` written there."""
    (tmp_path / "in").mkdir()
    shutil.copy(ROOT / "samples" / "000_affd7b27c3c3663c.txt", tmp_path / "in")
    ran = subprocess.run(
        ["bash", str(ROOT / "dev"), "newsflow", "process", "in/", "--out", "out/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "out" / "clean.ndjson").read_text().count("\n") == 1
    assert not (ROOT / "in").exists()


def test_dev_called_by_a_relative_path_from_elsewhere_shows_its_usage() -> None:
    """`path/to/dev` without a command (or a mistyped one) prints the usage. The script looked
    for itself by that path after moving into its own directory: "sed: can't read
    path/to/dev", and no usage."""
    ran = subprocess.run(
        ["bash", f"{ROOT.name}/dev", "help"],
        cwd=ROOT.parent,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ran.returncode == 2
    assert ran.stderr == ""
    assert "./dev newsflow process samples/ --out out/" in ran.stdout
