"""An article's language: the page's declaration, or detected from the text.

Detection uses py3langid (offline, its model ships in the wheel) on a sample of the text, when
the page does not say or a long text clearly says otherwise; `warm_up` loads the model before
the first article's time limit starts.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lxml.html import HtmlElement

from newsflow.stages.declarations import Metas
from newsflow.stages.dom import WORD_OR_CHARACTER
from newsflow.stages.fingerprint import WORD
from newsflow.stages.quality import count_words

_HTML_LANG = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I
)
_LANGUAGE_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*$")
LANGUAGE_OVERRIDE_WORDS = 50
LANGUAGE_SAMPLE_CHARS = 600
LANGUAGE_OVERRIDE_PROBABILITY = 0.999
LANGUAGE_LIKELY_PROBABILITY = 0.5
LANGUAGE_RULED_OUT_PROBABILITY = 1e-6


def html_language(html: str) -> str | None:
    """The primary language subtag of `<html lang=…>`, lower-cased."""
    match = _HTML_LANG.search(html[:20_000])
    return match.group(1).lower() if match else None


def language(declared: str | None, text: str) -> str | None:
    """The declared language's primary subtag, or the text's detected language when nothing
    is declared or a long text is in another language: detected almost certainly, or the
    declared one all but ruled out (a template's `lang="en-US"` over an Indonesian text, which
    the model finds 0.90 Indonesian and 1e-19 English; a close language, Malay at 0.10, keeps
    its declaration)."""
    match = _LANGUAGE_CODE.match(declared.strip()) if declared else None
    code = match.group(1).lower() if match else None
    if (
        code is not None
        and count_words(text, up_to=LANGUAGE_OVERRIDE_WORDS, pattern=WORD_OR_CHARACTER)
        < LANGUAGE_OVERRIDE_WORDS
    ):
        return code
    ranked = _ranked_languages(text)
    detected, probability = ranked[0] if ranked else (None, 0.0)
    if code is None or detected is None:
        return detected or code
    ruled_out = dict(ranked).get(code, 1.0) < LANGUAGE_RULED_OUT_PROBABILITY
    if detected != code and (
        probability >= LANGUAGE_OVERRIDE_PROBABILITY
        or (ruled_out and probability >= LANGUAGE_LIKELY_PROBABILITY)
    ):
        return detected
    return code


def detect_language(text: str) -> tuple[str | None, float]:
    """The most likely language of `text` (ISO 639-1) and its probability."""
    ranked = _ranked_languages(text)
    return ranked[0] if ranked else (None, 0.0)


def _ranked_languages(text: str) -> list[tuple[str, float]]:
    """Every language the model knows with its probability for `text`, likeliest first."""
    sample = _language_sample(text)
    if not WORD.search(sample):
        return []
    return [(str(code), float(p)) for code, p in _identifier().rank(sample)]


def _language_sample(text: str) -> str:
    """`LANGUAGE_SAMPLE_CHARS` of the text, read where it starts, a third in and two thirds in:
    the model's time grows with the sample, and the text's first 600 characters were all it
    read, so an English report opening with a long quote in French was French, whatever the
    page declared (the detection was certain)."""
    if len(text) <= LANGUAGE_SAMPLE_CHARS:
        return text
    size = LANGUAGE_SAMPLE_CHARS // 3
    starts = (0, len(text) // 3, 2 * len(text) // 3)
    return "\n".join(text[start : start + size] for start in starts)


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up() -> None:
    """Load the language model now, not during the first article's time limit."""
    detect_language("warm up")


def declared_language(tree: HtmlElement, metas: Metas) -> str | None:
    values = tree.xpath("/html/@lang|/html/@xml:lang")
    values = values or metas.get("content-language") or metas.get("og:locale") or []
    return str(values[0]).strip() or None if values else None
