"""The caches of per-word work keep only short strings, and only so many."""

from __future__ import annotations

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
