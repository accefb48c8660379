"""Korean story terms: the nouns of Korean words, without what grammar adds to them.

A Korean word (eojeol, what spaces delimit) is a noun with its particle (화재가 "the fire",
서울에서 "in Seoul"), a verb or adjective with its ending (숨졌다 "died", 발생한 "that
broke out"), or a number with its counter (2명 "two people", 3층 "third floor"). The story
terms of two reports of one event are the nouns they share; read whole, the words of two
reports of different fires shared their grammar: 명이 "people (subject)", 불을 "the fire
(object)", 것으로 "as (a thing)", 숨지고 "died and", and bare numbers, 2 people in one and
2 hours in the other. Rules, not a dictionary: a particle is told from a noun's last
syllable by the sound before it (`_takes`), a predicate by its ending.
"""

from __future__ import annotations

import re

HANGUL = "\uac00-\ud7a3"
"""Korean syllables (precomposed)."""
_PARTICLES = """은 는 이 가 을 를 에 의 와 과 도 로 으로 에서 에게 께서 까지
    부터 보다 처럼 만큼 이나 에는 에서는 으로는 에게서 와는 과는 에도 으로도 에서도
    이라고 라고 이며 이다 였다 이었다 과의 와의 에서의 께서는 에게는 까지는 부터는 에선
    에게도 까지도 보다는 로서 으로서 으로의"""
PARTICLES = sorted(_PARTICLES.split(), key=len, reverse=True)
"""Korean particles, which follow a noun inside its word (화재가 "the fire", 서울에서 "in
Seoul"), longest first."""
_PARTICLE_SET = frozenset(PARTICLES)
_AFTER_CONSONANT = ("이", "은", "을", "과", "으")
"""Particles of two forms take these after a syllable ending in a consonant (불이, 불을,
것으로), and the other (가, 는, 를, 와, 로, 라고, 였다) after a vowel (차가, 대를)."""
_AFTER_VOWEL = ("가", "는", "를", "와", "로", "라고", "였다")
_RIEUL = 8
"""ㄹ, after which 로 is the form, as after a vowel (서울로 "to Seoul")."""
_PAST_COPULAS = ("이었다", "였다")
_ENDING_NOUNS = frozenset({"도", "의"})
_COPULAS = frozenset({"이며", "이다", "이라고", "이었다"})
"""Forms of the copula 이다 "to be", which follow a vowel too (바다이며 "is the sea and"), unlike
the particle 이나 "or" (나 after a vowel: 우크라이나 "Ukraine" is no 우크라 with 이나)."""
_PREDICATE_ENDINGS = """다 고 며 면 는 던 지 게 기 자 여 어 야 서 도 다고 다며 다는 다가
    면서 지만 는데 도록 기로 으며 으나 음 니다 습니다 겠다 겠다고 겠다며"""
_ENDINGS = "|".join(sorted(_PREDICATE_ENDINGS.split(), key=len, reverse=True))
_HADA = re.compile(
    f"([{HANGUL}]{{2,}}?)"
    f"(?:(?:한|된|할|될|해|돼)(?:{_ENDINGS})?|(?:하|되|했|됐)(?:{_ENDINGS})|(?:합|됩)니다)"
)
"""A verb of a noun and 하다 "do" or 되다 "become" (발생했다 "broke out", 조사하고
"investigating and", 시작된 "that began", 추정된다 "is presumed"): its noun is the content
word. Not the bare form 해, which ends nouns (지난해 "last year", 자연재해 "natural
disaster"), nor 하, 되, 했, 됐 without an ending, or 합, 됩 without 니다, which end no verb
(노동조합 "labour union" is no 노동조 with 합)."""
_SSANG_SIOT = 20
"""ㅆ, the final consonant of the past tense (했, 었, 았, 였, 졌, 혔) and of 있다 "to be",
겠 "will": a syllable ending in it is in a predicate, never in a noun."""
_ABOUT = ("쯤", "께", "경", "가량", "여")
"""After a counter: "about" (4시 57분쯤 "at about 4:57", 300여 명 "some 300")."""


def hangul_term(word: str) -> str:
    """A Korean word's term: its noun, or "" when it has none of two syllables or more.

    A noun loses its particle (화재가, 화재를 → 화재) if the particle is a form its last
    syllable takes (`_agrees`: 우크라이나 and 전문가 end in no 이나 and 가), a verb of a noun
    and 하다 or 되다 its verb (발생했다 → 발생), and a word in the past tense or of 있다 is no
    term (다쳤다, 있다).
    When the longest particle that matches leaves one syllable, the word is a one-syllable
    noun with its particle (명이, 불을, 것으로: no term) if the particle is the form that
    syllable takes (`_takes`): 평가 "evaluation" and 나이 "age" are no 평 and 나 with 가 and
    이, which would take 이 and 가; before 도 and 의, which follow any syllable and end many
    nouns, the word is kept whole (인도 "India", 속도 "speed", 회의 "meeting"), and 에 and the
    longer particles end none (만에 "in (so long)": no term)."""
    if len(word) < 2:
        return ""
    verb = _HADA.fullmatch(word)
    if verb is not None and not word.endswith("해"):
        return verb.group(1)
    for copula in _PAST_COPULAS:  # 사고였다 "was an accident": a noun, though in the past
        noun = word[: -len(copula)]
        if word.endswith(copula) and len(noun) >= 2 and _may_end(noun, copula):
            return noun
    if any(_final(syllable) == _SSANG_SIOT for syllable in word):
        return ""
    for particle in PARTICLES:
        if not word.endswith(particle) or len(word) <= len(particle):
            continue
        noun = word[: -len(particle)]
        if len(noun) >= 2 and _may_end(noun, particle):
            return _singular(noun)
        if len(noun) == 1 and _takes(noun, particle):
            return ""
    return _singular(word)


def _singular(noun: str) -> str:
    """The noun without the plural suffix 들 (주민들 "residents" → 주민), when two syllables
    remain (아들 "son" is a noun)."""
    return noun[:-1] if len(noun) >= 3 and noun.endswith("들") else noun


def counted_term(token: str) -> str:
    """The term of a number with a Korean counter after it (2명이 → "N:2명", 3층 → "N:3층";
    a year: 2017년 → "Y:2017"): the counter tells 2 people from 2 hours and the 2nd floor."""
    found = _COUNTED.fullmatch(token)
    if found is None:  # letters between (2x명): the token as a number's is
        return "N:" + token
    digits, counter = found.groups()
    if _YEAR.fullmatch(digits) and counter.startswith("년"):
        return "Y:" + digits
    if counter in _PARTICLE_SET:  # 4.6의 "of 4.6": no counter
        return ("Y:" if _YEAR.fullmatch(digits) else "N:") + digits
    for particle in PARTICLES:
        if counter.endswith(particle) and len(counter) > len(particle):
            counter = counter[: -len(particle)]
            break
    for about in _ABOUT:
        if counter.endswith(about):  # 300여 명: the counter is the next word
            counter = counter[: -len(about)]
            break
    return "N:" + digits + counter


_COUNTED = re.compile(f"(\\d+(?:[.,]\\d+)*)([{HANGUL}]+)")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _final(syllable: str) -> int:
    """The index of a Hangul syllable's final consonant (0: none, it ends in a vowel)."""
    return (ord(syllable) - 0xAC00) % 28


def _takes(syllable: str, particle: str) -> bool:
    """Whether `syllable` with `particle` after it is a noun with its particle, not a noun of
    two syllables: the particle agrees with it (`_agrees`), and a particle of one form is not
    도 or 의, which end many nouns (인도, 속도, 회의, 합의); 에 ends none."""
    return _agrees(syllable, particle) and particle not in _ENDING_NOUNS


def _may_end(noun: str, particle: str) -> bool:
    """Whether `particle` may follow `noun`, of two syllables or more: it agrees with the
    noun's last syllable, or is the copula's, which follows either (바다이며, 누전이었다)."""
    return particle in _COPULAS or _agrees(noun[-1], particle)


def _agrees(syllable: str, particle: str) -> bool:
    """Whether `particle` may follow `syllable`: a particle of two forms is the one the
    syllable takes (이, 은, 을, 과, 으로 after a final consonant; 가, 는, 를, 와 after a vowel;
    로 after a vowel or ㄹ); a particle of one form follows any syllable. A noun's last
    syllable that is the other form is the noun's own (우크라이나, 전문가)."""
    final = _final(syllable)
    if particle.startswith(_AFTER_CONSONANT):
        return final != 0
    if particle.startswith(_AFTER_VOWEL):
        return final == 0 or (particle.startswith("로") and final == _RIEUL)
    return True
