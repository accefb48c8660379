"""The quality score, and the word count it rests on."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.metadata_pages import ENGLISH

from newsflow.stages.fingerprint import MARKS
from newsflow.stages.quality import _SENTENCE_END, _TRUNCATED_END, count_words, score_quality


def test_quality_is_low_for_tiny_link_heavy_or_truncated_texts() -> None:
    full = "\n".join([ENGLISH] * 9)
    assert score_quality(full) == 1.0
    assert score_quality(ENGLISH) < 0.3
    assert score_quality(full, link_lines=7) < 0.3
    assert score_quality(full + "\nThe mayor said the line would be…") < 0.7
    assert 0.0 <= score_quality("") <= 1.0


@pytest.mark.parametrize(
    "sentence",
    [
        "台北市政府今天宣布，明年起將在信義區與內湖區試辦夜間公車延長服務，末班車時間延後至凌晨一點。",
        "気象庁によると、能登半島で震度七の地震が発生し、石川県の輪島市で多くの建物が倒壊した。",
        "กรุงเทพมหานครประกาศขยายเวลาให้บริการรถโดยสารสาธารณะในช่วงเทศกาลปีใหม่เพื่อรองรับประชาชน",
    ],
)
def test_quality_reads_the_length_of_texts_written_without_spaces(sentence: str) -> None:
    """Counted as space-separated words, a Chinese, Japanese or Thai report of a dozen
    sentences was a few dozen words long, and scored as a fragment (0.13–0.29 where its
    English equal scored 0.5)."""
    report = "\n".join([sentence] * 12)
    assert score_quality(report) > 0.5
    assert score_quality(sentence) < 0.3  # one sentence is still a fragment


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=3000) | st.lists(st.sampled_from(["word", "x", ".", "\n", " "])).map("".join)
)
def test_words_are_counted_up_to_the_threshold_asked(text: str) -> None:
    found = len(re.findall(f"[\\w{MARKS}]+", text))  # words keep their combining marks
    for limit in (1, 50, 250):
        assert count_words(text, up_to=limit) == min(found, limit)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Word", "and more words", ".", "…", "\n", " ", "See more"]), max_size=400
    ).map("".join),
    st.integers(min_value=0, max_value=3),
)
def test_quality_is_its_plain_definition(text: str, link_lines: int) -> None:
    words = len(re.findall(r"\w+", text))
    lines = [line for line in text.split("\n") if line.strip()]
    if not words or not lines:
        assert score_quality(text, link_lines=link_lines) == 0.0
        return
    last = lines[-1].rstrip()
    truncated = bool(_TRUNCATED_END.search(last)) or not _SENTENCE_END.search(last)
    score = (0.75 * min(1.0, words / 250) + 0.25 * min(1.0, len(lines) / 3)) * (
        1 - link_lines / len(lines)
    )
    assert score_quality(text, link_lines=link_lines) == round(
        score * (0.6 if truncated else 1.0), 3
    )
