"""Clean an article's text: normalized lines, page furniture removed, a title found.

Both paths end here: plain-text messages as they arrive, HTML after the extractor has turned
the main content into lines. What is not the article goes, by general rules on the shape and
wording of lines, never by a list of any site's sentences:

- site chrome: navigation and teaser labels standing alone on a line ("Latest News",
  "Editor's Pick", "Share this", "Lesen Sie auch:"), calls to action of a short line of their
  own, in English and six other European languages ("Abonnez-vous", "Subscribe to
  the Morning Review newsletter", "CLICK HERE TO GET THE FOX NEWS APP"), teaser links tagged
  "[VIDEO]", and everything after a label that starts the recirculation
  block closing a page ("You May Also Like", "Related Articles") in its second half;
- page furniture: advertisement labels, photo captions and credits, "This post appeared
  first on …" (a feed's or a scraper's note; a republishing partner's credit of the
  article, "This story was originally published by …", is the article's), legal and
  investment disclaimers, theme placeholder address blocks;
- at the end: copyright notices, "Source: AP" credits and labels of removed media
  ("Bonus video:", "More:");
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
from functools import lru_cache

from newsflow.stages.fingerprint import WORD
from newsflow.stages.syllables import SYLLABIC
from newsflow.stages.thai import THAI

_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Sentence ends beyond Latin and CJK: the danda (Hindi), the Urdu full stop, the Arabic
# question mark and semicolon, the Greek question mark, the Ethiopic, Myanmar and Khmer stops.
OTHER_SCRIPTS_ENDS = "।॥۔؟؛\u037e።။។"
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
_AD_WORDS = (
    r"advertisement|advertising|sponsored(?: content)?|anzeige|werbung|publicité|publicidad"
    r"|pubblicità"
)
_AD_LABEL = re.compile(rf"^(?:{_AD_WORDS}|ad feedback)$", re.I)
# Navigation and teaser labels: chrome when they are a whole line.
_CHROME = (
    r"(?:the )?latest(?: news| stories| headlines)?|breaking(?: news)?|top (?:stories|news)"
    r"|trending(?: now| stories| news)?|editor'?s'? picks?|editors'? choice|featured(?: stories)?"
    r"|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|recommended(?: for you)?"
    r"|related(?: articles?| stories| posts| news| content| coverage| reading)?|see also"
    r"|more (?:news|stories|articles|headlines)(?: from [\w .'&-]+)?|read (?:more|next|also)"
    r"|most (?:read|popular|viewed|shared|emailed|e-mailed)|popular(?: posts| stories| now)?"
    r"|share(?: this)?(?: article| story| post)?(?: on \w+)?|follow us(?: on [\w ,]+)?"
    r"|sign up(?: for [\w ]+)?|subscribe(?: now| today)?|don'?t miss|around the web"
    r"|from (?:our|the) partners|leave a (?:reply|comment)|comments?|print|email"
)
# The "read also" labels and subscription prompts of German, French, Spanish, Italian,
# Portuguese and Dutch sites: "Lesen Sie auch:", "Lire aussi :", "Lee también:", "Leggi
# anche:", "Leia também:", "Lees ook:"; "Jetzt abonnieren", "Abonnez-vous", "Suscríbete".
_FOREIGN_CHROME = (
    r"(?:lesen sie|lies) (?:auch|mehr)|mehr zum thema|(?:à )?lire (?:aussi|la suite)|voir aussi"
    r"|le(?:e|a|er) (?:también|más)|leggi (?:anche|di più)|le(?:ia|r) (?:também|mais)"
    r"|veja também|lees (?:ook|meer)"
    r"|(?:jetzt )?abonnieren|abonnez-vous|abonne-toi|suscr[ií]b(?:ete|ase)(?: ahora| ya)?"
    r"|abbonati(?: ora)?|iscriviti|assine(?: já| agora)?|abonneer(?: nu| je)?|word abonnee"
)
_CHROME_LINE = re.compile(rf"^\W*(?:{_CHROME}|{_FOREIGN_CHROME})\W*$", re.I)
# Lines that end no sentence but close a quote or a transcript, not headings: an attribution,
# a dash before a name or an account ("— Jane Doe (@janedoe) March 3, 2024" under an embedded
# tweet, "– Mark Twain"), and a note in brackets ("[Applause]", "[Laughter]"), as a transcript's
# "(Applause)" already was by its parenthesis. A label between dashes ("— Advertisement —") is
# none, and a placeholder in brackets none either (`_PLACEHOLDER`).
_ATTRIBUTION = re.compile(r"^(?:[—–―]|--) ?(?:@\w|[^\W\d_])[^—–―]*$")
_BRACKETED_NOTE = re.compile(r"^\[([^\[\]]+)\]$")
# What a page prints between dashes or in brackets where an ad, an embed or a picture stands,
# or where the text goes on below one: a template's furniture, not the article's. The label is
# the whole line, or a credit or a prompt follows it after a colon or a dash ("[Photo:
# Reuters]"): "— Ad Melkert", "— Podcast host Joe Rogan" and "[Video ends]" close a quote.
_PLACEHOLDER = re.compile(
    rf"^\W*(?:(?:{_AD_WORDS}|ads?|images?|photos?|pictures?|video|embed(?:ded)?"
    r"(?: content)?|graphic|chart|map|gallery|slideshow|audio|podcast|interactive)"
    r"(?=\W*$|\s*[:|—–―]|\s+-)"
    r"|(?:the )?(?:story|article|text) continues|continue reading|scroll\b)",
    re.I,
)
# Labels that open the recirculation block at the end of a page: the rest is not article.
_TAIL_MARKER = re.compile(
    r"^\W*(?:you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|editor'?s'? picks?"
    r"|related(?: articles?| stories| posts| news| content| coverage| reading)?"
    r"|recommended(?: for you| stories| articles)?|more (?:news|stories|articles)(?: from .+)?"
    r"|read next|around the web|from (?:our|the) partners|most (?:read|popular|viewed)"
    r"|trending(?: now| stories)?|leave a (?:reply|comment))\W*$",
    re.I,
)
# Calls to action: a line opening with what the publisher asks of the reader (subscribe, sign
# up, download, get, follow) and, right after it, one of its channels: a newsletter, app,
# podcast, YouTube channel or alerts ("Subscribe to the Morning Review newsletter", "to
# NJ.com's newsletters"), the reader's inbox, "follow us on …" (or the outlet's one-word name:
# "Follow Newsbeat on Instagram"), its stream "on the go". "Sign up for a Hulu account for
# $11.99" is an offer the article is about, "Click here to download this game." a link of it,
# a list item a step of the article's instructions ("- Download the app, then tap Plan a
# Trip"), and a line that goes on to say who said it ("Download the county's app, officials
# urged residents") reported speech. A held-out review's sentences that the first form of the
# rule (the channel anywhere in the line) dropped are in the tests.
_CALL_TO_ACTION = re.compile(
    r"^(?![-*•] |\d+[.)] )"
    r"(?!.*[,;:]\s*(?:[^\s,;:]+\s+){0,4}(?:said|says|told|warned|urged|added|joked)\b)"
    r"\W*(?:(?:click|tap) here (?:to|and) )?"
    r"(?:(?:subscribe|sign up|register|join|follow|download|get|install|listen|watch)(?![\w-])"
    r"(?: (?:to|for|on|in|up|with))? (?:the|our|this|[\w.-]+['’]s) (?:[\w.'’&+-]+ ){0,4}?"
    r"(?:newsletters?|apps?|podcasts?|(?:youtube )?channel|alerts)\b"
    r"|(?:get|receive|have)\b.*\byour inbox\b"
    r"|(?:follow|subscribe to|like|find) [\w.'’-]+ on "  # "us", or the outlet's one-word name
    r"(?:youtube|twitter|x|facebook|instagram|tiktok|linkedin)"  # and networks to the end:
    r"(?:,? (?:and |or )?(?:youtube|twitter|x|facebook|instagram|tiktok|linkedin))*"
    r"(?: for [^.!?]*)?[.!:]?$"
    r"|get\b.{0,60}? on the go\b)"
    # In German, French, Spanish, Italian, Portuguese and Dutch: the imperative opening the
    # line, its newsletter closing it ("Abonnez-vous à notre newsletter", "Abonneer je op onze
    # nieuwsbrief").
    r"|^(?![-*•] |\d+[.)] )\W*(?:(?:jetzt )?abonnieren sie|melden sie sich|abonnez-vous"
    r"|inscrivez-vous|abonne-toi|suscr[ií]b(?:ete|ase)|iscriviti|abbonati|assine|inscreva-se"
    r"|abonneer (?:je|u)|meld (?:je|u) aan)"
    r"(?: \S+){0,5}? (?:newsletters?|nieuwsbrief|boletín|infolettre)"
    r"(?: \w+){0,2}\W*$",  # "… newsletter gratuite !", "… für unseren Newsletter an"
    re.I,
)
# A teaser link to another article, tagged with what it holds: "… [VIDEO]", "… [INSIGHT]" (the
# tags of media and article kinds only: "[Applause]" in a transcript is the article's, and a
# table row "| Plant | Capacity [MW] |" is no teaser).
_TEASER_TAG = re.compile(
    r"^(?!\|)(?:[^\[\]]*[^\s.!?\[\]] )?\[(?:videos?|photos?|gallery|slideshow|watch|audio"
    r"|podcast|listen|live|insight|analysis|opinion|interactive|exclusive)\][\s|]*$",
    re.I,
)
_AGENCY = r"AP|AFP|EPA|Reuters|REUTERS|Getty Images|Shutterstock|Alamy|Xinhua|Anadolu|UPI"
# Where a credit may begin: the line's start, an opening parenthesis, or a sentence's end
# (the caption before it): "… on Tuesday. REUTERS/Jane Roe", "(AP Photo/Jane Roe)". A credit
# runs to the end of the line; a sentence that uses the words ("a Reuters/Ipsos poll", "100
# photographs by Ansel Adams") is none.
_CREDIT_AT = r"(?:^|(?<=[.!?] )|\()"
_NAME = r"(?-i:[A-Z][\w.'’-]*(?:,? (?:(?:of|de|van|von|da|del) )?[A-Z][\w.'’-]*){0,5})"
_CAPTION = re.compile(
    rf"{_CREDIT_AT}(?:photo|photograph|image|picture|video)s? courtesy of(?:\W+\w+){{1,12}}\W*$"
    r"|^(?:photo|photograph|image|picture|illustration|credit|photo credit|image credit)s?\s*:"
    r"|^(?:photo|image) by\b"
    r"|\((?:\w+ )?(?:photo|photograph|image|picture|illustration|credit)s?\b[^)]*\)\.?$"
    rf"|{_CREDIT_AT}(?:photo|photograph|image|picture|illustration)s?\s*(?:by|:)\s*"
    rf"{_NAME}(?:/[\w .'-]+)?\.?$"
    rf"|(?-i:{_CREDIT_AT}(?:{_AGENCY})(?: Photo)?/{_NAME}(?:/[\w .'-]+)?\)?\.?$)"
    rf"|(?-i:{_CREDIT_AT}{_NAME} ?/ ?(?:{_AGENCY})\)?\.?$)",
    re.I,
)
# A repost note names where the text first ran, and ends there ("… appeared first on
# Harbor Gazette."), or with one short sentence after it ("This story was originally published
# by Alaska Beacon. Read the original article."): "first published in Nature in 2019, and …"
# is a sentence of the article.
_SITE = r"(?:(?-i:[A-Z0-9][\w.'’&-]*)|[\w-]+(?:\.[\w-]+)+)"
_APPEARED_FIRST = re.compile(
    r"\b(?:appeared|was (?:first |originally )?published|first published|originally published"
    rf"|originally appeared) (?:first |originally )?(?:on|in|at|by) "
    rf"{_SITE}(?: (?:(?:of|the|and|for|&) )*{_SITE}){{0,5}}"
    r"(?:,? (?:and )?(?:is |are |was |has been )?(?:re)?(?:published|printed|posted)"
    r"[^.!?]{0,80}|, an? [^.!?]{0,80})?"  # "and is republished here with permission"
    r"(?:[\s.!)]*$|[.;]\s+(?:\S+\s+){0,14}\S+$)",
    re.I,
)
# The note's subject is the text itself ("This article was originally published …"), or the
# post it names by its title (WordPress's "The post <title> appeared first on <site>."), or it
# is a label ("Source: …", "Originally published in …"). "The post first appeared on
# Facebook." and "Originally, the video appeared on TikTok." are news of another post.
_REPOST = re.compile(
    r"^(?:this (?:post|article|story|piece)|the (?:article|story|piece))\b"
    r"|^the post (?!(?:(?:first|originally|also|was|is|has|had|been) )*(?:appeared|published)\b)"
    r"|^(?:source|via)\b|^originally (?:published|appeared|posted)\b",
    re.I,
)
# Of those notes, what a feed or a scraper prints under what it took is furniture: WordPress's
# "appeared first on" ("The post <title> appeared first on <site>.", copied as it stands by
# the sites that take feeds), a note about a post, a label ("Source: …", "Via …"), an origin
# named by its web address as a link prints it ("… on example.com"; "Grist.org" is a name) or
# a link to it ("read the original at …"). A republishing partner's credit is the article's
# own closing line, which the licence has it print and readers expect to find ("This story
# was originally published by ProPublica.", "Originally published on Live Science.": the
# benchmark's annotators keep it), and stays.
_FEED_NOTE = re.compile(
    r"\bappeared first on\b|^(?:this|the) post\b|^(?:source|via)\b"
    r"|\b(?:on|at|in|by) (?:https?://)?(?-i:[a-z0-9][\w-]*(?:\.[\w-]+)*\.[a-z]{2,})\b"
    r"|\bread the original (?:\w+ )?(?:at|on)\b",
    re.I,
)
# A disclaimer is about the text itself: it opens with "Disclaimer", or with the text, its
# author or its publisher as subject ("This article is for informational purposes only …").
# "The bank's note, described as not intended as investment advice, …" is news.
_ABOUT_ITSELF = (
    r"(?:this|the|our|all|any|these|such) (?:\w+ ){0,2}?(?:article|post|content|information"
    r"|material|site|website|page|newsletter|publication|blog|video|podcast|commentary"
    r"|opinion|view|analysis)s?\b|nothing (?:in|on|contained)\b"
    r"|(?:the )?(?:author|writer|publisher)s?\b|we\b"
)
_DISCLAIMER = re.compile(
    r"^\W*(?:legal |investment |financial )?disclaimer\b"
    rf"|^\W*(?:{_ABOUT_ITSELF}).*?(?:"
    r"\bnot (?:be )?(?:considered|construed|intended) (?:as )?(?:\w+ ){0,2}"
    r"(?:financial|investment|legal|tax) advice\b"
    r"|\bfor (?:informational|information|research|educational) purposes only\b"
    r"|\bdo(?:es)? not (?:make|constitute|provide) (?:any )?(?:guarantee|warranty|investment))",
    re.I,
)
# Words every match of the pattern above them contains, looked for first (a substring search
# in C; the patterns try every branch at every position of a paragraph).
_CAPTION_WORDS = ("photo", "image", "picture", "video", "illustration", "credit", "/")
_APPEARED_FIRST_WORDS = ("appeared", "published")
_DISCLAIMER_WORDS = (
    "disclaimer",
    "advice",
    "purposes",
    "not make",
    "not constitute",
    "not provide",
)
# The only characters that match an ASCII letter when a pattern ignores case but that
# `str.lower` does not turn into that letter alone: İ, ı and ſ (checked over every code point).
_CASE_SPECIAL = ("\u0130", "\u0131", "\u017f")
_ADDRESS_LABEL = re.compile(
    r"^(?:physical |postal |mailing |office |street |our )?address:?$"
    r"|^(?:phone|tel|telephone|fax|e-?mail)\s*:?\s*[\w+(@][\w .()@+-]*$",
    re.I,
)
_ADDRESS_LINE = re.compile(
    r"^\d{1,6}\s+(?:[NSEW]\.?\s+|North |South |East |West )?(?:[A-Z0-9][\w.'-]*\s+){0,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Lane|Ln|Dr|Drive|Way|Suite|Ste)\.?(?:,.*)?$"
    r"|^[A-Z][\w .'-]+,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?$"
)
_NOTICE = re.compile(
    r"^(?:©|\(c\)|copyright\b)|all rights reserved|may not be (?:re)?published", re.I
)
_SOURCE_CREDIT = re.compile(r"^(?:source|sources|via|with (?:files|reporting) from)\s*:", re.I)
_MEDIA_LABEL = re.compile(r"^(?:\w+\W*){1,4}:$")
_DATELINE = re.compile(r"^[A-Z][\w.,' ]{1,40}?(?:\s*\([\w .]+\))?\s*[—–-]{1,2}\s+")
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")
PROSE_END = frozenset('.!?…"”’)。！？」』' + OTHER_SCRIPTS_ENDS)

HEADLINE_MAX_WORDS = 25
HEADLINE_MIN_WORDS = 3
HEADLINE_MAX_LINE = 10
BYLINE_MAX_WORDS = 12
BYLINE_MAX_LINES = 5
NOTICE_MAX_WORDS = 40
TRAILING_HEADINGS_MAX = 3
CAPTION_MAX_WORDS = 80
DISCLAIMER_MAX_WORDS = 250
ADDRESS_MAX_WORDS = 10
CALL_TO_ACTION_MAX_WORDS = 20
PROSE_MIN_SENTENCE_WORDS = 10
_TITLE_FALLBACK_WORDS = 12
PHRASE_SPACED = re.compile(f"[{THAI}{SYLLABIC}]")
"""A letter of Thai, Lao, Khmer or Myanmar: scripts that leave spaces between phrases, not
between words."""
PHRASE_SPACED_CHARS_PER_WORD = 4
"""About the length of a word of those scripts, in characters."""


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


def drop_furniture(lines: list[str]) -> list[str]:
    """Remove chrome labels, ad labels, captions and credits, repost notes, disclaimers and
    address blocks, wherever they are."""
    kept: list[str] = []
    credit_continues = False
    for line in lines:
        if credit_continues and word_count(line) <= 3:
            credit_continues = False
            continue
        credit_continues = False
        if is_caption(line):
            credit_continues = line.endswith("/")
            continue
        if not is_furniture(line):
            kept.append(line)
    return kept


def is_furniture(line: str) -> bool:
    """A line that is page furniture wherever it stands (see the module docstring)."""
    words = word_count(line)
    return (
        bool(_AD_LABEL.match(line) or _CHROME_LINE.match(line))
        or (
            words <= 40
            and _mentions(line, _APPEARED_FIRST_WORDS)
            and bool(_APPEARED_FIRST.search(line))
            and bool(_REPOST.search(line))
            and bool(_FEED_NOTE.search(line))
        )
        or (
            words <= DISCLAIMER_MAX_WORDS
            and _mentions(line, _DISCLAIMER_WORDS)
            and bool(_DISCLAIMER.search(line))
        )
        or (
            words <= ADDRESS_MAX_WORDS
            and bool(_ADDRESS_LABEL.match(line) or _ADDRESS_LINE.match(line))
        )
        or (words <= HEADLINE_MAX_WORDS and bool(_TEASER_TAG.match(line)))
        or (words <= CALL_TO_ACTION_MAX_WORDS and bool(_CALL_TO_ACTION.match(line)))
    )


def is_caption(line: str) -> bool:
    """A photo caption or credit ("… Photo courtesy of …", "(AP Photo/Jane Roe)")."""
    return (
        _mentions(line, _CAPTION_WORDS)
        and word_count(line) <= CAPTION_MAX_WORDS
        and bool(_CAPTION.search(line))
    )


def cut_at_tail_marker(lines: list[str]) -> list[str]:
    """Cut the text at a recirculation label ("You May Also Like") in its second half."""
    total = sum(len(line) for line in lines)
    seen = 0
    for index, line in enumerate(lines):
        if seen >= total / 2 and index > 0 and _TAIL_MARKER.match(line):
            return lines[:index]
        seen += len(line)
    return lines


def drop_trailing_notices(lines: list[str]) -> list[str]:
    """Remove copyright notices, source credits and labels of removed media from the end
    ("© 2024 …", "All rights reserved", "Source: AP", "Bonus video:")."""
    end = len(lines)
    while end > 1 and _is_trailing_furniture(lines[end - 1]):
        end -= 1
    return lines[:end]


def drop_trailing_headings(lines: list[str]) -> list[str]:
    """Remove the short non-sentence lines closing the text after its prose: headings of
    removed blocks and teaser titles ("Story Timeline"). More than `TRAILING_HEADINGS_MAX` of
    them are a list, and stay; a quote's attribution and a transcript's "[Applause]" are the
    article's (`_closes_a_quote`), and end the run."""
    start = len(lines)
    while start > 0 and _is_heading_like(lines[start - 1]):
        start -= 1
    run = len(lines) - start
    return lines[:start] if 0 < run <= TRAILING_HEADINGS_MAX and start > 0 else lines


def _is_trailing_furniture(line: str) -> bool:
    words = word_count(line)
    return (
        _is_notice(line)
        or (words <= 6 and bool(_SOURCE_CREDIT.match(line)))
        or bool(_MEDIA_LABEL.match(line))
    )


def _is_heading_like(line: str) -> bool:
    is_row = line.count(" | ") >= 2  # a table row
    return (
        _is_byline_like(line)
        and not line.startswith(("- ", "* ", "• "))
        and not is_row
        and not _closes_a_quote(line)
    )


def _closes_a_quote(line: str) -> bool:
    """An attribution or a transcript's note in brackets (`_ATTRIBUTION`, `_BRACKETED_NOTE`),
    not a placeholder so written ("— Advertisement", "– Story continues below", "[Image]",
    "[Photo: Reuters]": kept as notes, they were a template's lines in the text)."""
    if _ATTRIBUTION.match(line):
        return not _PLACEHOLDER.match(line.lstrip("—–―-"))
    note = _BRACKETED_NOTE.match(line)
    return note is not None and not _PLACEHOLDER.match(note[1])


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
        if not (_is_credit(line) or _is_notice(line)):
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


def _is_notice(line: str) -> bool:
    return word_count(line) <= NOTICE_MAX_WORDS and bool(_NOTICE.search(line))


def _key(line: str) -> str:
    return " ".join(WORD.findall(_INVISIBLE.sub("", line).casefold()))


def _mentions(line: str, words: tuple[str, ...]) -> bool:
    """Whether the line contains one of the ASCII `words` with case ignored as a pattern
    ignores it (`re.I`)."""
    if any(special in line for special in _CASE_SPECIAL):
        return re.search("|".join(map(re.escape, words)), line, re.I) is not None
    lowered = line.lower()
    return any(word in lowered for word in words)


@lru_cache(maxsize=1024)
def word_count(line: str) -> int:
    """The line's words (`\\w+`), counted once: most rules ask, several per line.

    Thai leaves no space between words, and ends no sentence with a stop: read as `\\w+`, a
    paragraph of Thai was a few "words" that ended no sentence, a byline's or a heading's
    shape, and the text of a Thai article was dropped whole (a second held-out review); Lao,
    Khmer and Myanmar leave spaces between phrases only, too. A run of their letters counts
    one word per `PHRASE_SPACED_CHARS_PER_WORD` characters, about the length of a word, so
    that a paragraph counts as one and a heading as the other.
    """
    words = WORD.findall(line)
    if not PHRASE_SPACED.search(line):
        return len(words)
    return sum(
        -(-len(word) // PHRASE_SPACED_CHARS_PER_WORD) if PHRASE_SPACED.search(word) else 1
        for word in words
    )
