"""Natural answers map to answer names; conflicts are not guessed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from voice_assistant.dialog.matching import PhraseMatcher, normalize
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.understanding import Context, understand

Answer = Callable[[PhraseMatcher, str], str | None]


@pytest.fixture(scope="module")
def matcher(script: DialogScript) -> PhraseMatcher:
    names = {name: script.answers[name].phrases for name in ("yes", "no", "unsure")}
    names.update({name: answer.phrases for name, answer in script.commands.items()})
    return PhraseMatcher(names)


@pytest.fixture(scope="module")
def stiffness(script: DialogScript) -> Context:
    """A question that is not a danger screen: plain phrase matching applies."""
    names = {name: script.answers[name].phrases for name in ("yes", "no", "unsure")}
    return Context("stiffness", fact="stiff", answers=names)


@pytest.fixture
def answer(script: DialogScript, stiffness: Context) -> Answer:
    def meaning(_matcher: PhraseMatcher, text: str) -> str | None:
        found = understand(text, stiffness, script.lexicon)
        return found.name if found.kind == "answer" else None

    return meaning


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "Yeah.",
        "yep",
        "sure",
        "correct",
        "it is",
        "Yes, it is",
        "I think so",
        "YES!",
        "uh huh",
    ],
)
def test_yes(matcher: PhraseMatcher, answer: Answer, text: str) -> None:
    assert answer(matcher, text) == "yes"


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "Nope",
        "not really",
        "nothing",
        "No, it isn't",
        "it's not",
        "I don't think so",
        "not at all",
    ],
)
def test_no(matcher: PhraseMatcher, answer: Answer, text: str) -> None:
    assert answer(matcher, text) == "no"


@pytest.mark.parametrize(
    "text",
    ["not sure", "maybe", "I don't know", "I dunno", "no idea", "I'm not sure", "no, I'm not sure"],
)
def test_unsure(matcher: PhraseMatcher, answer: Answer, text: str) -> None:
    assert answer(matcher, text) == "unsure"


@pytest.mark.parametrize("text", ["banana", "", "the weather is nice", "yes no", "no... yes"])
def test_unclear_is_none(matcher: PhraseMatcher, answer: Answer, text: str) -> None:
    assert answer(matcher, text) is None


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("repeat", "repeat"),
        ("say that again", "repeat"),
        ("help", "help"),
        ("what can I say", "help"),
        ("stop", "stop"),
        ("quit", "stop"),
        ("cancel", "stop"),
        ("start over", "start_over"),
    ],
)
def test_commands(matcher: PhraseMatcher, text: str, command: str) -> None:
    assert command in matcher.find(text).names


def test_normalize_expands_contractions() -> None:
    assert normalize("I DON'T know, it\u2019s fine") == [
        "i",
        "do",
        "not",
        "know",
        "it",
        "is",
        "fine",
    ]
