"""The caches of per-word work keep only short strings, and only so many."""

from __future__ import annotations

import sys
import threading

from newsflow.stages.shortcache import ShortMemo


def test_a_memo_gives_the_functions_results_and_computes_each_short_string_once() -> None:
    calls: list[str] = []

    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    memo = ShortMemo(shout, maxsize=10, max_chars=5)
    assert list(map(memo.__getitem__, ["ab", "cd", "ab", "toolong", "toolong"])) == [
        "AB",
        "CD",
        "AB",
        "TOOLONG",
        "TOOLONG",
    ]
    assert calls == ["ab", "cd", "toolong", "toolong"]  # a long string is not kept
    assert dict(memo) == {"ab": "AB", "cd": "CD"}


def test_a_full_memo_forgets_its_older_half() -> None:
    memo = ShortMemo(len, maxsize=4, max_chars=10)
    for word in ["a", "bb", "ccc", "dddd"]:
        memo[word]
    memo["eeeee"]
    assert list(memo) == ["ccc", "dddd", "eeeee"]


def test_a_memo_shared_by_threads_forgets_its_older_half_without_a_key_error() -> None:
    """Two threads that find it full at once both forget the older half: a key one of them
    removed is no error for the other (the text features may be computed on any thread; an
    LRU cache is thread-safe, and the memo took its place)."""
    memo = ShortMemo(str.upper, maxsize=64, max_chars=16)
    failures: list[BaseException] = []

    def look_up(prefix: str) -> None:
        try:
            for i in range(20_000):
                assert memo[f"{prefix}{i}"] == f"{prefix}{i}".upper()
        except BaseException as exc:
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two steps
    try:
        threads = [threading.Thread(target=look_up, args=(p,)) for p in "abcd"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    assert len(memo) <= 64 + len(threads)  # (each may add one as another forgets)
