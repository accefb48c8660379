"""Clean an article's text: normalized lines, page furniture removed, a title found.

Both paths end here: plain-text messages as they arrive, HTML after the extractor has turned
the main content into lines. What is not the article goes, by general rules on the shape and
wording of lines, never by a list of any site's sentences:

- page furniture: site chrome and calls to action, ad labels, captions and credits, repost
  notes, disclaimers, address blocks and, at the end, notices and labels of removed media
  (the rules and the list of their kinds are in `newsflow.stages.furniture`);
- the headline (a short line near the top that does not end like a sentence): copies of it
  with everything above the last one, and the byline block below it; credit lines (byline,
  date) opening the text are dropped even when there is no headline, so the same article
  with or without its headline gives the same text.

When no title is given and no headline is found, the title is the opening of the lead
sentence, without its dateline. Lines that recur across a source's articles are found with
the store's help, outside this pure module (see `newsflow.stages.boilerplate`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from newsflow.stages.fingerprint import WORD
from newsflow.stages.furniture import (
    closes_a_quote,
    credits_a_partner,
    cut_at_tail_marker,
    drop_furniture,
    drop_trailing_notices,
    is_notice,
)
from newsflow.stages.linewords import HEADLINE_MAX_WORDS, OTHER_SCRIPTS_ENDS, PROSE_END, word_count

_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(f'[.!?…:;,"”’)。！？」』{OTHER_SCRIPTS_ENDS}]$')
# "a.m." and "p.m." end a time, not a sentence, on a credit line: one that opens as a credit
# does ("Updated at 1:23 p.m.", "By …") or that is a date and a time and nothing else
# ("September 10, 2024 8:30 a.m."). "The first bus leaves at 5:30 a.m." and "The hearing is set
# for Jan. 14 at 9 a.m." stay sentences.
_CLOCK_END = re.compile(r"\b\d{1,2}(?:[:.]\d\d)? ?[ap]\.m\.$", re.I)
_MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATED_CREDIT = re.compile(
    r"^(?:(?:by [^,.;|]{1,60}?[,|]? |(?:last )?updated:? |published:? |posted:? )"
    r"(?:on |at )?)?"
    rf"(?:[a-z]+day,? )?(?:{_MONTH_NAME} \d{{1,2}}(?:st|nd|rd|th)?,? (?:\d{{4}},? )?"
    rf"|\d{{1,2}} {_MONTH_NAME},? \d{{4}},? |\d{{4}}-\d\d-\d\d,? )?"
    r"(?:at )?\d{1,2}(?:[:.]\d\d)? ?[ap]\.m\.$",
    re.I,
)
# A byline's label in other languages (see `_is_foreign_byline`).
_FOREIGN_BYLINE = re.compile(
    r"^(?:(?P<by>von|par|por|di|door|av|af|oleh)\s+(?P<name>\S+)"
    r"|(?:autor[aei]?|texto|penulis|автор|текст|yazan|haber|muhabir|लेखक|ผู้เขียน|كتب|كتبت)\s*:"
    r"|(?:بقلم|מאת)(?:\s*:|\s)|記者|记者"
    r"|(?:publicado|atualizado|actualizado|publié|mis à jour|veröffentlicht|aktualisiert"
    r"|pubblicato|aggiornato|gepubliceerd|bijgewerkt|opublikowano|zaktualizowano"
    r"|опубликовано|обновлено|yayınlanma|güncellenme|güncelleme)\b)",
    re.I,
)
# A date line that ends with its time zone in parentheses ("7/12/2026, 14:30 (GMT+7)") or
# with the Thai abbreviation of "o'clock" ("14:30 น."): it ends no sentence.
_ZONED_TIME_END = re.compile(
    r"\d{1,2}[:.]\d\d\s*(?:\((?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d\d)?)?\)|น\.)$"
)
# C1 controls, soft hyphen, zero-width characters: a headline copy may have them or not.
_INVISIBLE = re.compile("[\x80-\x9f\xad\u200b-\u200f\u2060\ufeff]")
_CREDIT = re.compile(
    r"^(?:by|written by|words by|published|updated|posted|last updated)\b"
    r"|\b(?:1[89]|20)\d\d\b|\b\d{1,2}:\d\d\b|\bstaff (?:writers?|reports?|reporters?)\b"
    r"|\b(?:correspondent|reporter|editor|contributor|columnist|writer)s?\b",
    re.I,
)  # byline, date, time, staff credit
_DATELINE = re.compile(r"^[A-Z][\w.,' ]{1,40}?(?:\s*\([\w .]+\))?\s*[—–-]{1,2}\s+")
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")
# The verbs by which a clause announces the list after its colon ("The stops are:", "They
# include:", "Here are the stops:"). A label has no verb but an imperative ("Also read:",
# "Read more:"), a participle ("Related:") or a subordinate one ("Stories you might have
# missed:").
_ANNOUNCING_VERB = re.compile(r"\b(?:is|are|was|were|be|been|include[sd]?)\b", re.I)

HEADLINE_MIN_WORDS = 3
HEADLINE_MAX_LINE = 10
BYLINE_MAX_WORDS = 12
BYLINE_MAX_LINES = 5
TRAILING_HEADINGS_MAX = 3
PROSE_MIN_SENTENCE_WORDS = 10
_TITLE_FALLBACK_WORDS = 12


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str
    title: str | None


def clean_text(text: str, *, title: str | None = None) -> CleanText:
    """Normalize an article's text, drop what is not the article, find its title if not given."""
    if not unicodedata.is_normalized("NFC", text):  # decomposed accents: é as e + ◌́
        text = unicodedata.normalize("NFC", text)
    lines = [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.split("\n")) if line]
    lines = drop_furniture(cut_at_tail_marker(lines))
    lines = drop_trailing_headings(drop_trailing_notices(lines))
    if title is None:
        title = find_headline(lines)
    if title is not None:
        lines = drop_headline_copies(lines, title)
    lines = drop_leading_credits(lines)
    if title is None and lines:
        title = title_from_lead(lines[0])
    return CleanText(text="\n".join(lines), title=title)


def drop_trailing_headings(lines: list[str]) -> list[str]:
    """Remove the short non-sentence lines closing the text after its prose: headings of
    removed blocks and teaser titles ("Story Timeline"). More than `TRAILING_HEADINGS_MAX` of
    them are a list, and stay; a quote's attribution, a transcript's "[Applause]" and a
    partner's credit without its full stop are the article's (`closes_a_quote`,
    `credits_a_partner`), and end the run."""
    start = len(lines)
    while start > 0 and _is_heading_like(lines[start - 1]):
        start -= 1
    run = len(lines) - start
    # A list a sentence introduces ("…will stop at three new places:"), or a clause however
    # short ("The stops are:"), is the article's; one under a short label ("Also read:",
    # itself heading-like without its colon, and no clause) is teasers.
    before = lines[start - 1].rstrip() if start > 0 else ""
    introduced = before.endswith(":") and (
        not _is_heading_like(before[:-1]) or bool(_ANNOUNCING_VERB.search(before))
    )
    return (
        lines[:start]
        if 0 < run <= TRAILING_HEADINGS_MAX and start > 0 and not introduced
        else lines
    )


def _is_heading_like(line: str) -> bool:
    is_row = line.count(" | ") >= 2  # a table row
    return (
        _is_byline_like(line)
        and not line.startswith(("- ", "* ", "• "))
        and not is_row
        and not closes_a_quote(line)
        and not credits_a_partner(line)
    )


def find_headline(lines: list[str], *, look_ahead: int = 6) -> str | None:
    """The first short, non-sentence line near the top that is followed by prose.

    Copies of the candidate below it (some sites print it twice) and credit lines between it
    and the prose ("By Jane Roe", "Staff Writer", "12 March 2024") are skipped.
    """
    for index, line in enumerate(lines[:look_ahead]):
        if is_headline_like(line) and not _is_credit(line) and _prose_follows(lines, index):
            return line
    return None


def is_headline_like(line: str) -> bool:
    words = word_count(line)
    return HEADLINE_MIN_WORDS <= words <= HEADLINE_MAX_WORDS and not _SENTENCE_END.search(line)


def _prose_follows(lines: list[str], index: int) -> bool:
    key = _key(lines[index])
    following = (line for line in lines[index + 1 :] if _key(line) != key)
    line = next(following, "")
    while _is_credit(line):
        line = next(following, "")
    return _is_prose(line)


def drop_headline_copies(lines: list[str], title: str) -> list[str]:
    """Remove every line equal to the headline and, when one is near the top (within
    `HEADLINE_MAX_LINE` lines), all above the last such copy and the byline below it.

    A text that is nothing but a headline and its byline block comes back empty.
    """
    key = _key(title)
    # A copy's key has every word of the title's: a line without its longest word is none
    # (a substring search, where the key itself is a regular expression pass).
    longest = max(key.split(" "), key=len)

    def is_copy(line: str) -> bool:
        return longest in _INVISIBLE.sub("", line).casefold() and _key(line) == key

    top = lines[:HEADLINE_MAX_LINE]
    last = max((i for i, line in enumerate(top) if is_copy(line)), default=-1)
    rest = [line for line in lines[last + 1 :] if not is_copy(line)]
    return drop_byline_block(rest) if last >= 0 else rest


def drop_byline_block(lines: list[str]) -> list[str]:
    """Remove the short lines (byline, credit, date, notice) between a headline and the prose.

    Left unchanged when a line in that block is neither, or when more than
    `BYLINE_MAX_LINES` lines come before the prose; empty when nothing else follows.
    """
    for index, line in enumerate(lines[: BYLINE_MAX_LINES + 1]):
        if _is_prose(line):
            return lines[index:]
        if not (_is_credit(line) or is_notice(line)):
            return lines
    return [] if len(lines) <= BYLINE_MAX_LINES else lines


def drop_leading_credits(lines: list[str]) -> list[str]:
    """Remove credit lines opening the text ("By Jane Roe", "Staff Reports", "May 3, 2024").

    Only when text (a sentence, or a line longer than a byline, maybe after a subheading)
    follows within `BYLINE_MAX_LINES` lines, so a text that opens with a list of short items
    keeps them.
    """
    for index, line in enumerate(lines[: BYLINE_MAX_LINES + 1]):
        if not _is_credit(line):
            # Text follows: this line, or the one after a subheading.
            text_follows = _is_text(line) or (
                index + 1 < len(lines) and is_headline_like(line) and _is_text(lines[index + 1])
            )
            return lines[index:] if text_follows else lines
    return lines


def title_from_lead(line: str) -> str:
    """A title made from the lead: its first sentence without the dateline, shortened."""
    lead = _DATELINE.sub("", line, count=1) or line
    sentence = _SENTENCE.match(lead)
    return first_words(sentence.group(1) if sentence else lead, _TITLE_FALLBACK_WORDS)


def first_words(line: str, count: int) -> str:
    words = line.split(" ")
    return line if len(words) <= count else " ".join(words[:count]) + " …"


def _is_prose(line: str) -> bool:
    words = word_count(line)
    return words > HEADLINE_MAX_WORDS or (
        words >= PROSE_MIN_SENTENCE_WORDS and line[-1:] in PROSE_END
    )


def _is_text(line: str) -> bool:
    return line[-1:] in PROSE_END or word_count(line) > BYLINE_MAX_WORDS


def _is_byline_like(line: str) -> bool:
    return word_count(line) <= BYLINE_MAX_WORDS and not _ends_sentence(line)


def _is_credit(line: str) -> bool:
    """A byline, date or time line, or a line too short for a headline ("Staff Writer")."""
    if _ends_sentence(line) and not _ZONED_TIME_END.search(line):
        return False
    words = word_count(line)
    return 0 < words < HEADLINE_MIN_WORDS or (
        words <= BYLINE_MAX_WORDS and (bool(_CREDIT.search(line)) or _is_foreign_byline(line))
    )


def _is_foreign_byline(line: str) -> bool:
    """A byline in another language: "Von Anna Schmidt", "Por María García y Pedro López"
    (the word for "by" before a name of up to `FOREIGN_BYLINE_MAX_NAMES` capitalized words,
    and nothing else but what a separator leads: "Von der Leyen …", "Por qué …", "Par
    ailleurs …", and English decks and headlines, "Di Maio says talks will resume", "Door
    County Wildfire Forces Evacuations", are no bylines), "Autor: …", "Автор: …", "بقلم …",
    "מאת …", "記者…"; or a publication or update label ("Publicado em …", "Atualizado há")."""
    match = _FOREIGN_BYLINE.match(line)
    if match is None:
        return False
    if match["by"] is None:
        return True
    names = _BYLINE_SEPARATOR.split(line, maxsplit=1)[0].split()[1:]
    capitalized = [word for word in names if word.lower() not in _NAME_JOINERS]
    return 0 < len(capitalized) <= FOREIGN_BYLINE_MAX_NAMES and all(
        word[:1].isupper() for word in capitalized
    )


FOREIGN_BYLINE_MAX_NAMES = 4
_BYLINE_SEPARATOR = re.compile(r"\s*[,|/·•–—]\s*|\s+-\s+")
_JOINERS = """y e i und et en and & dan ve och og de van der den von da do dos das del della
    di du la le ter ten bin binti al el"""
_NAME_JOINERS = frozenset(_JOINERS.split())
"""Words that join two names, or stand inside one lowercase ("Jan de Vries")."""


def _ends_sentence(line: str) -> bool:
    """Whether the line ends as a sentence does; a dated credit's closing "a.m." does not."""
    return bool(_SENTENCE_END.search(line)) and not (
        line[-1:] == "." and _CLOCK_END.search(line) and _DATED_CREDIT.search(line)
    )


def _key(line: str) -> str:
    return " ".join(WORD.findall(_INVISIBLE.sub("", line).casefold()))
