"""A text's story terms: what two reports of one event share and reports of other events
do not (`terms`; weighted and compared in `newsflow.stages.stories`).

Content words, stemmed (English suffixes); runs of capitalized words within a sentence as
name spans, weighted up; numbers and years. Scripts without spaces between words give their
own units: pairs of CJK characters, Thai words, Myanmar, Khmer and Lao syllable pairs; a
Korean word gives its noun, a number its Korean counter (`newsflow.stages.korean`). Function
words of the text's language are no terms, whatever the language. Pure: the same title and
text give the same terms in every process.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import chain, compress
from operator import not_

from newsflow.stages.fingerprint import CJK, HAS_CJK, MARKS, SPACELESS, unify_letters
from newsflow.stages.korean import HANGUL, counted_term, hangul_term
from newsflow.stages.shortcache import ShortMemo, cache_short
from newsflow.stages.syllables import HAS_SYLLABIC, SYLLABIC_RUN, run_syllables
from newsflow.stages.thai import HAS_THAI, ThaiSplitter, unify_thai
from newsflow.stages.thai import stopwords as thai_stopwords

ENTITY_WEIGHT = 5.0
_TOKEN_OR_BREAK = re.compile(
    f"(?<=[.!?])\\s+|\\n|[^\\W\\d_][\\w'’\\-{MARKS}]*|\\d+(?:[.,]\\d+)*(?:[{HANGUL}]+)?"
)  # a number with the Korean counter written on it (2명, 3층) is one token
_YEAR = re.compile(r"(?:19|20)\d\d")
_CJK_RUN = re.compile(f"[{CJK}]+")
_HIRAGANA_PAIR = re.compile("[\u3041-\u309f]{2}")
_HANGUL = re.compile(f"[{HANGUL}]+")
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa]")
"""Kana letters, which tell Japanese; not the marks ・ (a name's dot in Chinese too) and ー."""
_EAST_ASIAN = re.compile(f"[{HANGUL}{CJK}]")
_SUFFIXES = ("'s", "’s", "ies", "ing", "ed", "es", "s")
_STOPWORDS = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    first for from further get got had has have having he her here hers herself him himself
    his how i if in into is it its itself just last like may me more most mr mrs ms my myself
    new no nor not now of off on once one only or other our ours ourselves out over own people
    said same say says she should so some such than that the their theirs them themselves then
    there these they this those through time to told too two under until up us very was we
    were what when where which while who whom why will with would year years you your yours
    yourself yourselves"""
STOPWORDS = frozenset(_STOPWORDS.split())
_FUNCTION_WORDS = {
    "de": """aber alle als am an auch auf aus bei beim bereits bis da dann das dass dem den denn der
        die des dessen dies diese diesem diesen dieser dieses doch dort durch ein eine einem einen
        einer eines er es etwa für gab gegen gibt habe haben hat hatte hatten ihm ihn ihr ihre
        ihrem ihren ihrer im in ist jedoch kann können man mehr mit muss müssen nach nicht noch
        nun nur ob oder ohne rund sagte sagt schon sei seien sein seine seinem seinen seiner
        sich sie sind so soll sollen sowie über um und uns unter vom von vor war waren was
        weil wenn wer werden wie wieder wir wird wo worden wurde wurden zu zudem zum zur seit
        während zwischen""",
    "fr": """à afin ainsi alors après au aussi aux avait avant avec avoir ce ceci cela celle celui
        ces cet cette chez comme contre dans depuis des deux donc dont du déjà elle elles en
        encore entre est et eu étaient était été être fait il ils je la le les leur leurs lors
        lui mais même moins ne nous on ont ou où par parce pas pendant peu plus pour qu quand
        que quel quelle qui sa sans se selon ses si son sont sous sur tous tout toute toutes
        très un une vers vous y a-t-il a-t-elle""",
    "es": """al algo ante antes aunque cada como con contra cual cuando del desde dijo donde durante
        el ella ellos en entre era es esa ese eso esta estaba están este esto estos está fue
        fueron ha habían había han hasta hay la las le les lo los más muy ni no nos o otra otras
        otro otros para pero por porque que quien se según ser si sido sin sobre son su sus
        también tiene tras un una uno unos unas ya y""",
    "pt": """à às ao aos após as até com como da das de dela dele desde disse do dos e ela ele em
        entre era essa esse esta este está estão foi foram há isso isto já lhe mais mas muito na
        nas nem neste nesta no nos não o os ou para pela pelas pelo pelos por porque quando que
        quem se segundo seu seus ser sem sobre sua suas são também tem têm um uma umas uns""",
    "it": """al alla alle agli ai anche che chi come con cui da dai dal dalla dalle degli dei del
        della delle dello di dopo e ed era erano essere gli ha hanno il in la le lo loro ma
        nel nella nelle negli nei non o per più quella quello questa questo se secondo si
        sono stata stato su sua sue sui sul sulla suo suoi tra un una uno""",
    "nl": """aan al als bij dan dat de deze die dit door een en er geen had heeft hebben het hij
        hun in is kan maar meer met na naar niet nog of om ook op over te tot uit van volgens
        voor was waren wel werd werden wordt worden ze zei zegt zich zij zijn zou""",
    "id": """adalah agar akan antara atau bagi bahwa belum bisa dalam dan dapat dari dengan di dia
        hanya harus hingga ia ini itu juga kami karena kata katanya ke kepada kita lebih masih
        mereka namun oleh pada para saat sebagai secara sejak sekitar selain serta setelah
        sudah telah tersebut tidak untuk yaitu yang""",
    "tr": """ama ancak bir bu da daha de dedi diye en gibi her için ile ise kadar ki mi ne o olan
        olarak olduğu olduğunu sonra şu ve veya ya çok""",
    "vi": """các của cho chỉ cũng khi không là lại mà một này nhiều những như nhưng sau sẽ theo
        thì trong trên từ tại và vào về với vẫn được đang đã đó để""",
    "ru": """а без более бы был была были было быть в вы где да для до его ее её если есть еще ещё
        же за и из или им их к как когда который которая которые которых кто ли мы на над не
        него нет ни но о об он она они от по под после при про с со так также те то только
        у уже что чтобы эта эти это этого этот я заявил заявила сообщил сообщили""",
    "ar": """أن أنه أو إلى إن التي الذي الذين ان انه او الى بعد بين ثم حتى حيث خلال ذلك على عن
        عند غير في فيه فيها قال قبل قد كان كانت كل كما لا لم له لها ما مع من منذ هذا هذه هو هي
        وقال وقد وفي وهو وهي وأن""",
    "hi": """और का कि की कहा किया के को गया गई गए जो तक था थी थे दिया ने पर भी में यह लिए वह
        साथ से ही है हैं हो""",
}
FUNCTION_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORDS.items()}
"""The commonest function words of other languages: read as content words, und, der, les, des,
los, yang, что… were the heaviest terms two unrelated reports of one language shared, and a
sentence's capitalized first word (Die, Les, Selon, В) began a name span weighted ×5. Only the
text's own language's are left out (`_text_language`): many are English content words (die,
war, son, sin)."""
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _language, _words in [("en", STOPWORDS), *FUNCTION_WORDS.items()]:
    for _word in _words:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _language)


def terms(title: str | None, text: str) -> dict[str, float]:
    """The article's weighted terms (`terms_and_language`)."""
    return terms_and_language(title, text)[0]


def terms_and_language(title: str | None, text: str) -> tuple[dict[str, float], str]:
    """The article's weighted terms: stemmed content words, `E:` name spans (each word and
    the whole span, weighted `ENTITY_WEIGHT`), `N:` numbers and `Y:` years.

    A name span is a run of capitalized words, not stopwords, within one sentence; a single
    capitalized word that starts a sentence is an ordinary word. Sentences end at a line
    break and at whitespace after `.`, `!` or `?`; the tokens come in one pass with those
    breaks among them. Only capitalized tokens depend on where they stand: every other
    token is counted once per distinct token (this runs for every token of every article,
    on the worker's critical path). Chinese and Japanese, written without spaces, give
    overlapping character pairs (`_unspaced_terms`); Myanmar, Khmer and Lao, overlapping
    syllable pairs (`_syllable_terms`); Thai, its dictionary words. And the language whose
    function words it left out (English when none is the text's).
    """
    whole = f"{title or ''}\n{text}"
    is_ascii = whole.isascii()
    if not is_ascii:
        whole = unify_letters(whole)  # digits, harakat, invisible characters as the hash reads them
    spaceless = not is_ascii and SPACELESS.search(whole) is not None  # no scan of ASCII
    unspaced = spaceless and HAS_CJK.search(whole) is not None
    syllabic = spaceless and HAS_SYLLABIC.search(whole) is not None
    thai = ThaiSplitter() if spaceless and HAS_THAI.search(whole) else None
    if thai is not None:
        whole = unify_thai(whole)  # as the near-duplicate shingles read it
    tokens = _TOKEN_OR_BREAK.findall(whole)
    distinct = Counter(tokens)
    language = _text_language(distinct, whole)
    function_words = FUNCTION_WORDS.get(language, frozenset())
    if language in _APOSTROPHES and ("'" in whole or "’" in whole):
        tokens = [_apostrophe_free(token, language) for token in tokens]
        distinct = Counter(tokens)
    if spaceless:
        counts, names = _script_counts(distinct, function_words, unspaced, syllabic, thai)
    else:
        counts, names = _word_counts(tokens, distinct, function_words)
    if names:
        _count_names(tokens, names, counts)
    if max(map(len, counts), default=0) > MAX_TERM_CHARS:
        counts = {term: n for term, n in counts.items() if len(term) <= MAX_TERM_CHARS}
    return counts, language


def _word_counts(
    tokens: list[str], distinct: Counter[str], function_words: frozenset[str]
) -> tuple[dict[str, float], set[str]]:
    """The counts of the terms of the tokens that start with no capital, and the capitalized
    tokens that may be names (neither stopwords nor the text's function words), for a text
    of spaced scripts: what `_script_counts` gives there, with no Python step per token (the
    terms are looked up and counted in C; counting every token rather than every distinct
    one inserts the terms in the same order, that of their first token)."""
    if function_words:
        lowered = map(str.lower, tokens)
        tokens = list(compress(tokens, map(not_, map(function_words.__contains__, lowered))))
    counted = Counter(map(_WORD_TERMS.__getitem__, tokens))
    counts = {term: float(n) for term, n in counted.items() if term}
    names = set(compress(distinct, map(_MAY_BE_NAME.__getitem__, distinct)))
    if function_words:
        names = {name for name in names if name.lower() not in function_words}
    return counts, names


def _script_counts(
    distinct: Counter[str],
    function_words: frozenset[str],
    unspaced: bool,
    syllabic: bool,
    thai: ThaiSplitter | None,
) -> tuple[dict[str, float], set[str]]:
    """The counts of the terms of the distinct tokens that start with no capital, and the
    capitalized tokens that may be names: Chinese and Japanese tokens give their character
    pairs, Myanmar, Khmer and Lao their syllable pairs, Thai its words."""
    counts: dict[str, float] = {}
    get = counts.get
    names: set[str] = set()
    for token, n in distinct.items():
        if unspaced and _CJK_RUN.search(token):
            for term in _unspaced_terms(token):
                counts[term] = get(term, 0.0) + n
        elif syllabic and HAS_SYLLABIC.search(token):
            for term in _syllable_terms(token):
                counts[term] = get(term, 0.0) + n
        elif thai is not None and HAS_THAI.search(token):
            for term in _thai_terms(token, thai):
                counts[term] = get(term, 0.0) + n
        elif token[0].isupper():
            lowered = token.lower()
            if lowered not in STOPWORDS and lowered not in function_words:
                names.add(token)
        elif (term := _plain_term(token)) and (
            not function_words or token.lower() not in function_words
        ):  # (an English text has none: no lowering again)
            counts[term] = get(term, 0.0) + n
    return counts, names


MAX_TERM_CHARS = 100
"""The longest term kept. A term is stored as it is written (document frequencies, a story's
centroid, the index of stories by term): a page of long capitalized words, one name span,
made terms of 750,000 characters, and three such articles of 100 KB held 1.2 MB of Redis
where three reports of that size hold 20 KB (a security review)."""


def _text_language(tokens: Counter[str], whole: str) -> str:
    """The text's language, for its function words and the language at large: the one whose
    function words are most of its distinct tokens (ties: English, then by name); when none
    is, or fewer are function words than are in their scripts (`_mostly_east_asian`),
    Korean, Japanese or Chinese for a text in their scripts (Hangul, kana, else Han
    characters: `newsflow.stages.background` has their word lists), else English."""
    votes = Counter(chain.from_iterable(filter(None, map(_LANGUAGES_OF.get, tokens))))
    if votes and not _mostly_east_asian(tokens, whole):
        return min(votes, key=lambda language: (-votes[language], language != "en", language))
    if _HANGUL.search(whole):
        return "ko"
    if _KANA.search(whole):
        return "ja"
    return "zh" if _CJK_RUN.search(whole) else "en"


def _mostly_east_asian(tokens: Counter[str], whole: str) -> bool:
    """Whether more of the distinct tokens are Korean, Japanese or Chinese than are function
    words: an English name in a Korean report, "한국은행(Bank of Korea)", gave "of" the only
    vote, and the report was English, its terms without their shares of Korean at large."""
    if whole.isascii() or _EAST_ASIAN.search(whole) is None:
        return False
    east_asian = sum(1 for token in tokens if _EAST_ASIAN.search(token))
    return east_asian > sum(map(_LANGUAGES_OF.__contains__, tokens))


_ELIDED = frozenset(
    ["c", "d", "j", "l", "m", "n", "qu", "s", "t",  # French
     "all", "coll", "dall", "dell", "nell", "quell", "sull", "un"]  # Italian
)  # fmt: skip
_APOSTROPHE = re.compile("['’]")
_APOSTROPHES = frozenset({"fr", "it", "tr"})
"""Languages whose words carry what an apostrophe joins to them: French and Italian an elided
article or pronoun before it (l'Élysée, d'Israël, dell'Ucraina: a name read as a lowercase
word, and as another word after each article), Turkish a name's case suffix after it
(İzmir'de, İzmir'in, İzmir'e: three names)."""


def _apostrophe_free(token: str, language: str) -> str:
    """The token without the elided word before its apostrophe (French, Italian) or a name's
    suffix after it (Turkish)."""
    if "'" not in token and "’" not in token:
        return token
    head, tail = _APOSTROPHE.split(token, maxsplit=1)
    if language == "tr":
        return head if head[:1].isupper() else token
    return tail if head.lower() in _ELIDED and tail[:1].isalpha() else token


def _unspaced_terms(token: str) -> list[str]:
    """The terms of a token holding Chinese or Japanese characters: of each run of them, its
    overlapping character pairs (a lone character: itself), as search engines index those
    scripts, for a word is most often two characters; the rest of the token, as any word."""
    found = [run[i : i + 2] for run in _CJK_RUN.findall(token) for i in range(max(1, len(run) - 1))]
    rest = (_plain_term(part.lower()) for part in _CJK_RUN.split(token) if part)
    return [pair for pair in found if not _HIRAGANA_PAIR.fullmatch(pair)] + [
        term for term in rest if term
    ]


def _syllable_terms(token: str) -> list[str]:
    """The terms of a token holding Myanmar, Khmer or Lao: of each run of those scripts, its
    overlapping syllable pairs (a lone syllable: itself), as `_unspaced_terms` pairs Chinese
    characters, for a word is most often of one to three syllables; the rest of the token, as
    any word."""
    found: list[str] = []
    for run in SYLLABIC_RUN.findall(token):
        units = run_syllables(run)
        found.extend(units[i] + units[i + 1] for i in range(len(units) - 1))
        if len(units) == 1:
            found.append(units[0])
    rest = (_plain_term(part.lower()) for part in SYLLABIC_RUN.split(token) if part)
    return found + [term for term in rest if term]


def _thai_terms(token: str, splitter: ThaiSplitter) -> list[str]:
    """The terms of a token holding Thai: its words that are no function words (Thai has no
    capitals, so no name spans; words of two letters, as ฝน "rain", are content words), and
    the rest of the token, as any word."""
    stop = thai_stopwords()
    found = []
    for word in splitter.words(token):
        if not HAS_THAI.search(word):
            if term := _plain_term(word.lower()):
                found.append(term)
        elif len(word) > 1 and word not in stop:
            found.append(word)
    return found


CACHED_TOKEN_CHARS = 64
"""The longest token whose term and stem are kept in memory: no word is longer. A message of
distinct runs of junk letters, each a megabyte long, would have had the caches of 65,536
terms and stems hold gigabytes of a worker, where the text features are computed outside the
extractor's memory cap."""


def _term_of_plain(token: str) -> str:
    """The term of a token that does not start with a capital: `Y:` year, `N:` number, a
    stemmed content word, or "" (a stopword, a short word, a sentence break). Computed once
    per distinct word of the stream's last 65,536 (`_plain_term`, `_WORD_TERMS`)."""
    first = token[0]
    if first.isdigit():
        if _HANGUL.match(token[-1]):
            return counted_term(token)
        return ("Y:" if _YEAR.fullmatch(token) else "N:") + token
    if first.isspace():
        return ""
    if _HANGUL.fullmatch(token):
        return hangul_term(token)
    lowered = token.lower()
    if len(lowered) > 2 and lowered not in STOPWORDS:
        return _stem(lowered)
    return ""


_plain_term = cache_short(maxsize=65_536, max_chars=CACHED_TOKEN_CHARS)(_term_of_plain)


def _word_term(token: str) -> str:
    """The term of a token of a spaced script: "" for a capitalized one (a name or a sentence
    start, counted by `_count_names`)."""
    return "" if token[0].isupper() else _term_of_plain(token)


def _may_be_name(token: str) -> bool:
    """Whether a token of a spaced script may be part of a name: capitalized, no stopword."""
    return token[0].isupper() and token.lower() not in STOPWORDS


_WORD_TERMS = ShortMemo(_word_term, maxsize=65_536, max_chars=CACHED_TOKEN_CHARS)
_MAY_BE_NAME = ShortMemo(_may_be_name, maxsize=65_536, max_chars=CACHED_TOKEN_CHARS)


def _count_names(tokens: list[str], names: set[str], counts: dict[str, float]) -> None:
    """Add the name spans: runs of adjacent tokens in `names` (breaks are tokens too, so a
    run never crosses a sentence). The positions are found in C iterators and each name is
    lowered (and its possessive dropped) once: a text has hundreds of them."""
    get = counts.get
    positions = list(compress(range(len(tokens)), map(names.__contains__, tokens)))
    positions.append(-2)  # ends the last run
    words = {name: name.lower().removesuffix("'s").removesuffix("’s") for name in names}
    start = previous = positions[0]
    for i in positions[1:]:
        if i == previous + 1:
            previous = i
            continue
        if start == previous:  # one word
            word = words[tokens[start]]
            if start == 0 or tokens[start - 1][0].isspace():
                term = _stem(word)  # a capitalized sentence start is not a name
                counts[term] = get(term, 0.0) + 1.0
            else:
                counts["E:" + word] = get("E:" + word, 0.0) + ENTITY_WEIGHT
        else:
            span = [words[token] for token in tokens[start : previous + 1]]
            for word in span:
                counts["E:" + word] = get("E:" + word, 0.0) + ENTITY_WEIGHT
            term = "E:" + " ".join(span)
            counts[term] = get(term, 0.0) + ENTITY_WEIGHT
        start = previous = i


@cache_short(maxsize=65_536, max_chars=CACHED_TOKEN_CHARS)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word
