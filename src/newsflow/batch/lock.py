"""One run at a time into an output directory of `newsflow process`.

A run reads the outcome files to know what they record, mends a last line cut short, and
appends to them. Two at once appended to the same files, neither skipping the inputs the
other had taken on: outcomes were written twice and their lines could interleave. A run
holds an exclusive `flock` on DIR/newsflow.lock for as long as it runs; a second finds it
held and stops before it reads or writes anything. The kernel lets go of the lock when the
process holding it ends, however it ends (SIGKILL, a crash), so a lock is never left behind;
the file stays, its content the id of the process that last held it. On a file system that
takes no lock (some NFS mounts, FUSE, SMB), a run goes on unguarded, and says so.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsflow.errors import ConfigError

LOCK_NAME = "newsflow.lock"


@contextmanager
def exclusive(out: Path) -> Iterator[None]:
    """Hold the lock of the output directory `out` (which exists); a `ConfigError` naming it
    at once if another process holds it."""
    path = out / LOCK_NAME
    writable = True
    try:  # not inherited by the processes this one starts (os.open's descriptors are not)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:  # made by another user: a lock all the same, if it can be read
        fd, writable = _open_read_only(out, path), False
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot open {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"--out {out}: another newsflow process{_holder(fd)} is writing to it (it holds "
                f"{path}); wait for it to end, or write to another directory"
            ) from None
        except OSError as exc:  # a file system without locks (some NFS mounts, FUSE, SMB)
            # it took runs before there was a lock: one is run unguarded, and told so
            print(
                f"--out {out}: its file system takes no lock ({exc.strerror or exc}); "
                "run one newsflow process into it at a time",
                file=sys.stderr,
            )
            yield
            return
        if writable:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _open_read_only(out: Path, path: Path) -> int:
    """The lock file another user made (and may write), opened to be locked, not written."""
    try:
        return os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ConfigError(f"--out {out}: cannot open {path}: {exc.strerror or exc}") from exc


def _holder(fd: int) -> str:
    """ " (pid N)" of the process the lock file names, if it names one."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (pid {text})" if text.isdigit() else ""
