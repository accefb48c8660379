"""One run at a time into an output directory: `newsflow.batch.lock.exclusive`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from newsflow.batch.lock import LOCK_NAME, exclusive
from newsflow.errors import ConfigError


def test_a_second_holder_is_refused_naming_the_first_process(tmp_path: Path) -> None:
    held = rf"another newsflow process \(pid {os.getpid()}\)"
    with exclusive(tmp_path), pytest.raises(ConfigError, match=held), exclusive(tmp_path):
        pass
    with exclusive(tmp_path):  # let go at the end
        pass


def test_a_lock_file_another_user_made_is_locked_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a shared directory the lock file may be another user's (mode 0644): this user cannot
    write it, but can still lock it; the run was refused before."""
    (tmp_path / LOCK_NAME).write_text("4242\n")
    real_open = os.open

    def open_as_another_user(path: Any, flags: int, *args: Any) -> int:
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", open_as_another_user)
    held = r"another newsflow process \(pid 4242\)"
    with exclusive(tmp_path), pytest.raises(ConfigError, match=held), exclusive(tmp_path):
        pass
    assert (tmp_path / LOCK_NAME).read_text() == "4242\n"  # not written
