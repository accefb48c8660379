"""The template corpus made from the dev set's annotated articles."""

from benchmarks.corpus import body_from_page

PARAGRAPH = (
    "The council voted 6-1 on Tuesday night to build a bus rapid transit line along Fulton"
    " Avenue, ending nearly three years of debate over the future of the corridor, and"
    " construction is scheduled to begin next spring and last about eighteen months in all."
)


def test_short_lines_are_subheadings_but_attributions_and_notes_are_paragraphs() -> None:
    """A closing tweet's "— Jane Doe (@janedoe) …" printed as an <h2> was dropped by
    trafilatura in five templates of six (a heading closing the article), and the corpus
    measured that as the same article extracted differently."""
    lines = [PARAGRAPH, "Route and stops", PARAGRAPH, PARAGRAPH, PARAGRAPH]
    closing = ["— Jane Doe (@janedoe) March 3, 2024", "[Applause]"]
    page = "<html><head><title>Council approves the Fulton Avenue bus line</title></head></html>"
    body = body_from_page("0123456789abcdef", "\n".join([*lines, *closing]), page)
    assert body is not None
    assert body.blocks[1] == {"h2": "Route and stops"}
    assert body.blocks[-2:] == tuple(closing)
