"""Two processes racing to claim the same keys in one store: what each saw, checked to agree."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

OWNERS = ("p0", "p1")


def race_claims(
    claim_all: Callable[..., None], args: Callable[[str, Any, Any], tuple[Any, ...]]
) -> dict[str, dict[str, str]]:
    """Run `claim_all(*args(owner, start, out))` in a spawned process per owner of `OWNERS`,
    started together at a barrier (`start`); each puts `(owner, {key: owner it saw})` on `out`.
    Asserts that every process exited cleanly and that both saw one of them own each key;
    returns what each saw."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(len(OWNERS))
    out = ctx.Queue()
    procs = [ctx.Process(target=claim_all, args=args(owner, start, out)) for owner in OWNERS]
    for p in procs:
        p.start()
    seen: dict[str, dict[str, str]] = dict(out.get(timeout=60) for _ in OWNERS)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for key in seen[OWNERS[0]]:
        views = {seen[owner][key] for owner in OWNERS}
        assert len(views) == 1, f"{key}: processes disagree: {views}"
        assert views <= set(OWNERS)
    return seen
