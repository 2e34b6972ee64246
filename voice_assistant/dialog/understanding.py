"""Understand what someone said, safety first (pure: no I/O, no clock).

The phrase lists live in ``dialogs/understanding.yaml`` (compiled by
:mod:`.lexicon` in the notation of :mod:`.patterns`); this module applies the
rules of docs/clinical-rules.md section 6, in order:

1. a symptom described is a red flag for its screen, at any question;
2. a command counts only as the whole reply (or inside a polite frame);
3. a reply starting with a correction marker revises the question it is about;
4. on a danger screen "no" needs a clear no for the whole reply;
5. a hedge is "unsure".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from voice_assistant.dialog.lexicon import Lexicon, Screen
from voice_assistant.dialog.matching import PhraseMatcher, normalize
from voice_assistant.dialog.patterns import Pattern, literal_patterns

NEGATION_REACH = 5
CONCEPT_REACH = 4  # words between a body part and its change: "breathing in deep really catches"


# --- results ------------------------------------------------------------------------------

Kind = Literal["answer", "red_flag", "command", "correction", "unclear"]


@dataclass(frozen=True)
class Understanding:
    """What a reply means: an answer, a red flag, a command, a correction, or unclear."""

    kind: Kind
    name: str = ""  # answer or command name
    screens: tuple[str, ...] = ()  # red flag: the facts (screens) that are yes
    about: str | None = None  # correction: the question id it revises
    text: str = ""  # correction: the words after the marker
    hedged: bool = False


UNCLEAR = Understanding("unclear")

ContextKind = Literal["choice", "onset", "offer", "confirm", "session"]


@dataclass(frozen=True)
class Context:
    """Where the reply was heard, and what could be meant there."""

    question: str  # question id, or "offer_timer" / "confirming" / "session"
    kind: ContextKind = "choice"
    fact: str | None = None  # the fact this question sets
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    previous: str | None = None  # the question answered last

    @property
    def matcher(self) -> PhraseMatcher:
        return _matcher(tuple(self.answers.items()))


@lru_cache(maxsize=64)
def _matcher(answers: tuple[tuple[str, tuple[str, ...]], ...]) -> PhraseMatcher:
    return PhraseMatcher(dict(answers))


# --- the rules ----------------------------------------------------------------------------


def understand(
    text: str,
    context: Context,
    lexicon: Lexicon,
    contexts: Mapping[str, Context] | None = None,
) -> Understanding:
    """One meaning for one reply, safety first (see the module docstring)."""
    words = respell(normalize(text), lexicon)
    if not words:
        return UNCLEAR
    flags, denied = symptoms(words, lexicon, context.fact)
    if flags:
        return Understanding("red_flag", screens=flags)
    command = whole_command(words, context.commands, lexicon)
    if command is not None:
        return Understanding("command", name=command)
    if context.kind == "session":
        done = literal_patterns(context.answers.get("done", ()))
        off = (*lexicon.pack_off, *done)
        if any(True for _ in _found(words, off)) and _covered(words, (*off, *_frame(lexicon))):
            return Understanding("answer", name="done")
        return UNCLEAR
    if context.kind in ("choice", "onset", "offer"):
        correction = _correction(words, context, lexicon, contexts or {})
        screen = context.fact is not None and context.fact in lexicon.screens
        if correction is None and context.kind == "choice" and not screen:
            correction = _news_for_another_question(words, context, lexicon, contexts or {})
        if correction is not None:
            return correction
    hedged = any(True for _ in _found(words, lexicon.hedges))
    if context.kind == "onset":
        return Understanding("answer", name="onset", hedged=hedged)
    if context.kind == "offer":
        return Understanding("answer", name="offer", hedged=hedged)
    if context.kind == "confirm" or (context.fact is not None and context.fact in lexicon.screens):
        return _screen_answer(words, context, lexicon, hedged, context.fact in denied)
    return _choice_answer(text, words, context, lexicon, hedged)


def red_flag_topic(text: str, lexicon: Lexicon) -> str | None:
    """The first screen (fact) whose topic an unclear reply names ("my bladder, um")."""
    words = respell(normalize(text), lexicon)
    for fact, patterns in lexicon.red_flag_topics.items():
        if any(True for _ in _found(words, patterns)):
            return fact
    return None


def respell(words: list[str], lexicon: Lexicon) -> list[str]:
    """Dialect and recogniser spellings as plain words: "cannae" -> "cannot"."""
    if not lexicon.spellings:
        return words
    return [out for word in words for out in lexicon.spellings.get(word, word).split()]


def symptoms(
    words: Sequence[str], lexicon: Lexicon, own_fact: str | None = None
) -> tuple[tuple[str, ...], frozenset[str]]:
    """Screens whose symptoms are mentioned (in order), and screens only denied."""
    found: list[str] = []
    denied: set[str] = set()
    # Named symptoms inside a reassurance ("my temperature is normal") do not count.
    reassured = list(_found(words, lexicon.clear_no))
    for fact, screen in lexicon.screens.items():
        if any(True for _ in _found(words, screen.described)) or _concept(
            words, screen, lexicon, reassured
        ):
            found.append(fact)
            continue
        deniable = list(screen.named) + (list(screen.own) if fact == own_fact else [])
        hits = [(s, e) for s, e in _found(words, deniable) if not _inside((s, e), reassured)]
        spans = [
            (s, e)
            for s, e in hits
            if _negated(words, s, lexicon) or _someone_else(words, s, lexicon)
        ]
        # A hit inside a denied one ("no problems with my BLADDER") is denied too.
        if any(not _inside(hit, spans) for hit in hits):
            found.append(fact)
        elif hits:
            denied.add(fact)
    return tuple(found), frozenset(denied)


def _concept(
    words: Sequence[str], screen: Screen, lexicon: Lexicon, reassured: Sequence[tuple[int, int]]
) -> bool:
    """A part of the body and a change to it within ``CONCEPT_REACH`` words, neither
    denied nor inside a reassurance: the symptom described in the person's own words."""
    if not screen.parts or not screen.changes:
        return False

    def live(hits: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
        return [
            (s, e)
            for s, e in hits
            if not _negated(words, s, lexicon) and not _inside((s, e), reassured)
        ]

    parts = live(_found(words, screen.parts))
    changes = live(_found(words, screen.changes))
    return any(
        max(c_start - p_end, p_start - c_end) <= CONCEPT_REACH
        for p_start, p_end in parts
        for c_start, c_end in changes
        if (p_start, p_end) != (c_start, c_end)
    )


def whole_command(
    words: Sequence[str], commands: Mapping[str, tuple[str, ...]], lexicon: Lexicon
) -> str | None:
    """A command name when the reply is that command and nothing else (polite words aside)."""
    best: tuple[int, str] | None = None
    for name, phrases in commands.items():
        for phrase in phrases:
            tokens = normalize(phrase)
            size = len(tokens)
            for start in range(len(words) - size + 1):
                if list(words[start : start + size]) != tokens:
                    continue
                if best is not None and size <= best[0]:
                    continue
                frame = _frame(lexicon)
                if _covered(words[:start], frame) and _covered(words[start + size :], frame):
                    best = (size, name)
    return None if best is None else best[1]


def _frame(lexicon: Lexicon) -> tuple[Pattern, ...]:
    return lexicon.fillers + lexicon.polite


def _found(words: Sequence[str], patterns: Sequence[Pattern]) -> Iterator[tuple[int, int]]:
    for pattern in patterns:
        yield from pattern.find(words)


def _negated(words: Sequence[str], start: int, lexicon: Lexicon) -> bool:
    """Is the word at ``start`` denied by a negation just before it ("no fever",
    "haven't had any chest pain")? Only glue words may stand in between."""
    for at in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        if any(pattern.ends(words, at) for pattern in lexicon.negations):
            return True
        if words[at] not in lexicon.negation_glue:
            return False
    return False


def _inside(span: tuple[int, int], spans: Sequence[tuple[int, int]]) -> bool:
    """Does ``span`` lie within one of ``spans`` (a reassurance, a denied mention)?"""
    start, end = span
    return any(a <= start and end <= b for a, b in spans)


def _someone_else(words: Sequence[str], start: int, lexicon: Lexicon) -> bool:
    """Is the symptom at ``start`` someone else's ("my dad had bowel cancer")?"""
    for at in range(start - 1, max(-1, start - 1 - NEGATION_REACH), -1):
        if words[at] in ("i", "me", "myself", "mine"):
            return False
        if any(pattern.ends(words, at) for pattern in lexicon.others):
            return True
    return False


def _covered(words: Sequence[str], pieces: Sequence[Pattern]) -> bool:
    """Can ``words`` be cut into pieces that each match one of ``pieces`` exactly?"""
    reachable = [False] * (len(words) + 1)
    reachable[0] = True
    for start in range(len(words)):
        if not reachable[start]:
            continue
        for piece in pieces:
            for end in piece.ends(words, start):
                if end > start:
                    reachable[end] = True
    return reachable[len(words)]


def clear_no(
    words: Sequence[str],
    no_phrases: tuple[str, ...],
    lexicon: Lexicon,
    benign: Sequence[Pattern] = (),
) -> bool:
    """The whole reply is a clear no: no phrases, fillers and polite words only
    (and, at a screen's own question, its benign explanations)."""
    nos = (*literal_patterns(no_phrases), *lexicon.clear_no, *benign)
    if not any(True for _ in _found(words, nos)):
        return False  # "um", "thanks", "okay": no "no" at all
    return _covered(words, (*nos, *_frame(lexicon)))


def _screen_answer(
    words: Sequence[str], context: Context, lexicon: Lexicon, hedged: bool, denied: bool
) -> Understanding:
    screen = lexicon.screens.get(context.fact or "")
    benign = screen.benign if screen is not None else ()
    if clear_no(words, context.answers.get("no", ()), lexicon, benign):
        return Understanding("answer", name="no")
    if hedged and "unsure" in context.answers:
        return Understanding("answer", name="unsure", hedged=True)
    names = context.matcher.find(" ".join(words)).distinct
    if "unsure" in names:
        return Understanding("answer", name="unsure")
    if names == {"yes"} and not denied and _clear_yes(words, context, lexicon):
        return Understanding("answer", name="yes")  # "no, it's my back" is mixed: asked again
    return UNCLEAR


def _clear_yes(words: Sequence[str], context: Context, lexicon: Lexicon) -> bool:
    """A yes word ("yes", "aye") anywhere, or a reply made only of yes phrases: "it is",
    "a bit" inside a longer sentence ("it's just my lower back") are asked again."""
    if not lexicon.clear_yes or any(True for _ in _found(words, lexicon.clear_yes)):
        return True
    yeses = literal_patterns(context.answers.get("yes", ()))
    return _covered(words, (*yeses, *_frame(lexicon)))


def _choice_answer(
    text: str, words: Sequence[str], context: Context, lexicon: Lexicon, hedged: bool
) -> Understanding:
    names = context.matcher.find(text).names
    distinct = set(names)
    if distinct == {"no"} and hedged and "unsure" in context.answers:
        # "I haven't looked", "no, I haven't checked": not a clear no (unsure is the
        # cautious answer: at the swelling question it counts as swelling).
        return Understanding("answer", name="unsure", hedged=True)
    if len(distinct) == 1:
        return Understanding("answer", name=names[0])
    if "unsure" in distinct or (hedged and not distinct and "unsure" in context.answers):
        return Understanding("answer", name="unsure", hedged=True)
    if not distinct and {"yes", "no"} <= set(context.answers):
        # The question's own topic word: "very stiff" is yes, "not stiff" is no;
        # any topic word not denied ("not swollen, but red") makes it yes.
        hits = list(_found(words, lexicon.topics.get(context.question, ())))
        if hits:
            denied = all(_negated(words, start, lexicon) for start, _ in hits)
            return Understanding("answer", name="no" if denied else "yes")
    return UNCLEAR


def _correction(
    words: Sequence[str], context: Context, lexicon: Lexicon, contexts: Mapping[str, Context]
) -> Understanding | None:
    """ "actually yes", "wait, it is swollen": the question it revises and the new answer."""
    frame = _frame(lexicon)
    for marker in lexicon.correction_markers:
        for lead in range(len(words)):
            if not _covered(words[:lead], lexicon.fillers):
                break
            for end in sorted(marker.ends(words, lead), reverse=True):
                rest = list(words[end:])
                while rest and _covered(rest[:1], frame):
                    rest = rest[1:]
                if not rest or end == lead:
                    continue
                about = _topic(rest, lexicon, contexts) or context.previous
                if about is None or about == context.question or about not in contexts:
                    return None
                target = contexts[about]
                meaning = understand(" ".join(rest), replace(target, previous=None), lexicon)
                if meaning.kind != "answer":
                    return UNCLEAR if meaning.kind == "unclear" else meaning
                return Understanding(
                    "correction", name=meaning.name, about=about, text=" ".join(rest)
                )
    return None


def _news_for_another_question(
    words: Sequence[str], context: Context, lexicon: Lexicon, contexts: Mapping[str, Context]
) -> Understanding | None:
    """ "It's gone puffy and hot" at the stiffness question: swelling news, not "stiff".

    A reply naming another question's topic (not denied) and none of its own
    revises that question, as a correction without the word "actually" would.
    """
    if any(True for _ in _found(words, lexicon.topics.get(context.question, ()))):
        return None
    about = _topic(words, lexicon, contexts)
    if about is None or about == context.question or about not in contexts:
        return None
    if not {"yes", "no"} <= set(contexts[about].answers):
        return None  # only yes/no questions (swelling, stiffness): "it just started" is no onset
    hits = list(_found(words, lexicon.topics[about]))
    if all(_negated(words, start, lexicon) for start, _ in hits):
        return None
    meaning = understand(" ".join(words), replace(contexts[about], previous=None), lexicon)
    if meaning.kind != "answer":
        return None
    return Understanding("correction", name=meaning.name, about=about, text=" ".join(words))


def _topic(words: Sequence[str], lexicon: Lexicon, contexts: Mapping[str, Context]) -> str | None:
    for question, patterns in lexicon.topics.items():
        if question in contexts and any(True for _ in _found(words, patterns)):
            return question
    return None
