"""Lines of an article for the tests of its cleaning: two sentences of prose, and lines
made of the fragments of page furniture (captions, credits, disclaimers, repost notes,
invisible and case-special characters), for the property tests of `textclean` and
`furniture`."""

from __future__ import annotations

from hypothesis import strategies as st

PROSE = (
    "The council voted 6-1 on Tuesday night to build a bus rapid transit line along Fulton "
    "Avenue, ending nearly three years of debate over the future of the corridor."
)
MORE = "Construction is scheduled to begin next spring and last about eighteen months in all."

FRAGMENTS = [
    "Photo", "photographs", "IMAGE", "pıcture", "vıdeo", "courtesy of", "illustration",
    "credit:", "Credits", "(AP Photo/Jane Roe)", "/ Reuters", "AP/ ", "by", "Jane Roe", ":",
    "disclaimer", "Legal Disclaimer", "not be considered as financial advice",
    "for informational purposes only", "does not constitute", "doesn't", "NOT MAKE",
    "This post", "appeared first on", "was originally published in", "Source", "ſ", "İ",
    "\u212a", "\u00ad", "\u200b", "\x85", "\ufeff", " ", "  ", ".", "(", ")", "—", "Tuesday", "12",
]  # fmt: skip
LINES = st.text(max_size=200) | st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(" ".join)
