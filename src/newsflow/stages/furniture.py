"""Page furniture: the lines of a page that are not the article, recognized by general rules
on the shape and wording of a line, never by a list of any site's sentences:

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

`newsflow.stages.textclean` drops them (`drop_furniture`, `cut_at_tail_marker`,
`drop_trailing_notices`) before it looks for the headline; a notice may stand in the byline
block below one (`is_notice`), and a quote's attribution or a transcript's note closing the
text is the article's, not a heading (`closes_a_quote`).
"""

from __future__ import annotations

import re

from newsflow.stages.linewords import HEADLINE_MAX_WORDS, word_count

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
# is a sentence of the article. The place is a name or an address, in any form ("Grist.org",
# "grist.org", "www.grist.org", "https://grist.org/article/…").
_SITE = r"(?:(?-i:[A-Z0-9][\w.'’&-]*)|(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:/[^\s/]*)*)"
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
# Of those notes, what a feed or a scraper prints under what it took is furniture, and says
# so in its words: WordPress's "appeared first on" ("The post <title> appeared first on
# <site>.", copied as it stands by the sites that take feeds), a note about a post, a label
# ("Source: …", "Via …"), a link to the original ("read the original at …", "Read the full
# story at …") or a disowning of the text ("All rights belong to the original publisher.").
# A republishing partner's credit is the article's own closing line, which the licence has it
# print and readers expect to find ("This story was originally published by ProPublica.",
# "Originally published on Live Science.": the benchmark's annotators keep it), and stays
# (`credits_a_partner`), the partner named by its name or by its address in whichever form
# ("Grist.org", "… on kffhealthnews.org", "… on https://www.texastribune.org"): the form
# of an address says nothing of who printed the line.
_FEED_NOTE = re.compile(
    r"\bappeared first on\b|^(?:this|the) post\b|^(?:source|via)\b"
    r"|\bread the (?:original|full|complete|whole) (?:\w+ )?(?:at|on)\b"
    r"|\brights belong to the (?:original )?(?:publisher|author|owner|source)s?\b",
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
# One to four words, then a colon: each word a whole run of letters ("(?:\w+\W*){1,4}" tried
# every way of cutting a long word into four: a closing line of 400 letters took 18 s).
_MEDIA_LABEL = re.compile(r"^\w+(?:\W+\w+){0,3}\W*:$")

NOTICE_MAX_WORDS = 40
REPOST_MAX_WORDS = 40
CAPTION_MAX_WORDS = 80
DISCLAIMER_MAX_WORDS = 250
ADDRESS_MAX_WORDS = 10
CALL_TO_ACTION_MAX_WORDS = 20


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
        or (_is_repost_note(line, words) and bool(_FEED_NOTE.search(line)))
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


def credits_a_partner(line: str) -> bool:
    """A republishing partner's credit of the article ("This story was originally published
    on kffhealthnews.org"): the article's line, a sentence even without its full stop."""
    return _is_repost_note(line, word_count(line)) and not _FEED_NOTE.search(line)


def _is_repost_note(line: str, words: int) -> bool:
    return (
        words <= REPOST_MAX_WORDS
        and _mentions(line, _APPEARED_FIRST_WORDS)
        and bool(_APPEARED_FIRST.search(line))
        and bool(_REPOST.search(line))
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


def _is_trailing_furniture(line: str) -> bool:
    words = word_count(line)
    return (
        is_notice(line)
        or (words <= 6 and bool(_SOURCE_CREDIT.match(line)))
        or bool(_MEDIA_LABEL.match(line))
    )


def closes_a_quote(line: str) -> bool:
    """An attribution or a transcript's note in brackets (`_ATTRIBUTION`, `_BRACKETED_NOTE`),
    not a placeholder so written ("— Advertisement", "– Story continues below", "[Image]",
    "[Photo: Reuters]": kept as notes, they were a template's lines in the text)."""
    if _ATTRIBUTION.match(line):
        return not _PLACEHOLDER.match(line.lstrip("—–―-"))
    note = _BRACKETED_NOTE.match(line)
    return note is not None and not _PLACEHOLDER.match(note[1])


def is_notice(line: str) -> bool:
    """A copyright or reprint notice ("© 2024 …", "All rights reserved") of at most
    `NOTICE_MAX_WORDS` words: furniture at the end of the text and in a byline block."""
    return word_count(line) <= NOTICE_MAX_WORDS and bool(_NOTICE.search(line))


def _mentions(line: str, words: tuple[str, ...]) -> bool:
    """Whether the line contains one of the ASCII `words` with case ignored as a pattern
    ignores it (`re.I`)."""
    if any(special in line for special in _CASE_SPECIAL):
        return re.search("|".join(map(re.escape, words)), line, re.I) is not None
    lowered = line.lower()
    return any(word in lowered for word in words)
