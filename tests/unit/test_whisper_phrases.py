"""Which phrase forms the Whisper engine scores: upper bounds from the free decode.

Pure: the distributions are made up here, so every bound can be checked by hand.
"""

from __future__ import annotations

import math

import numpy as np

from voice_assistant.adapters.whisper.whisper_judge import PhraseJudge
from voice_assistant.adapters.whisper.whisper_phrases import (
    PhraseForm,
    PrefixBounds,
    prepare_phrases,
)
from voice_assistant.adapters.whisper.whisper_text import without_leading_fillers

VOCAB = 8  # token ids 0..7
THAT, ARE, NOT, REALLY, I_, AM, DO, HAVE = range(VOCAB)


def dist(**lps: float) -> np.ndarray:
    """A distribution over the 8 tokens: the named ones get these log-probabilities."""
    out = np.full(VOCAB, -20.0)
    names = ["THAT", "ARE", "NOT", "REALLY", "I_", "AM", "DO", "HAVE"]
    for name, lp in lps.items():
        out[names.index(name)] = lp
    return out


def check(bounds: PrefixBounds, tokens: tuple[int, ...], bound: float, frontier: object) -> bool:
    """Is ``tokens``' bound ``bound`` (to rounding) and its frontier ``frontier``?"""
    got, got_frontier = bounds.bound(tokens)
    return math.isclose(got, bound, abs_tol=1e-9) and got_frontier == frontier


# The free decode heard "that are ...": distributions after (), (THAT,), (THAT, ARE).
FREE = [THAT, ARE]
STEPS = [
    dist(THAT=-0.5, I_=-2.0, NOT=-3.0),
    dist(ARE=-0.3, REALLY=-4.0),
    dist(REALLY=-0.2),
]
I_FORMS = [PhraseForm(f"i {w}", (I_, t)) for w, t in (("am", AM), ("do", DO), ("have", HAVE))]
NOT_REALLY = PhraseForm("not really", (NOT, REALLY))


def test_a_bound_is_exact_along_the_free_decode_then_adds_the_next_token() -> None:
    bounds = PrefixBounds(FREE, STEPS)
    assert check(bounds, (THAT, ARE, REALLY), -1.0, None)  # all known
    assert check(bounds, (THAT, REALLY), -4.5, None)  # exact, but the end
    assert check(bounds, (THAT, REALLY, AM), -4.5, (THAT, REALLY))
    assert check(bounds, (NOT, REALLY), -3.0, (NOT,))
    assert check(bounds, (I_, AM), -2.0, (I_,))


def test_forms_sharing_a_first_word_crowd_out_a_better_phrase_until_it_is_read() -> None:
    forms = [*I_FORMS, NOT_REALLY]
    bounds = PrefixBounds(FREE, STEPS)
    # Every "i ..." form is bounded by "i" alone (-2.0), above "not" (-3.0).
    assert bounds.candidates(forms, floor=-10.0, limit=3) == I_FORMS
    assert bounds.crowded(forms, floor=-10.0, limit=3, most=4) == [(I_,)]
    # After "i" the audio fits none of them: their bounds drop below "not really".
    bounds.learn([(I_,)], [dist(AM=-6.0, DO=-7.0, HAVE=-8.0)])
    assert check(bounds, (I_, AM), -8.0, None)
    assert bounds.candidates(forms, floor=-10.0, limit=2) == [I_FORMS[0], NOT_REALLY]
    assert bounds.crowded(forms, floor=-10.0, limit=2, most=4) == []


def test_forms_below_the_floor_are_never_scored() -> None:
    forms = [*I_FORMS, NOT_REALLY]
    bounds = PrefixBounds(FREE, STEPS)
    assert bounds.candidates(forms, floor=-2.5, limit=10) == I_FORMS
    assert bounds.candidates(forms, floor=-1.0, limit=10) == []
    # One floor per form (longer phrases may score lower).
    floors = np.array([-1.0, -1.0, -1.0, -3.5])
    assert bounds.candidates(forms, floor=floors, limit=10) == [NOT_REALLY]
    assert bounds.candidates([], floor=-1.0, limit=10) == []


def test_prepared_phrases_know_their_shortest_form() -> None:
    tokens = {" no.": (1, 9), " No.": (2, 9), " not really.": (3, 4, 9), " Not really.": (5, 4, 9)}
    prepared = prepare_phrases(["no", "not really"], lambda text: tokens[text])
    assert prepared.length == {"no": 1, "not really": 2}
    assert prepared.by_text == {"no": "no", "not really": "not really"}


def test_the_acceptance_floor_is_lower_for_longer_phrases() -> None:
    judge = PhraseJudge(2.0, -6.0, 0.5, 1.5, 1.0, 2, -0.7, 2.4)
    assert judge.phrase_floor(1) == -6.0
    assert judge.phrase_floor(2) == -6.5
    assert judge.phrase_floor(4) == -7.5
    assert judge.phrase_floor(0) == -6.0


def test_leading_fillers_are_dropped_but_never_the_whole_answer() -> None:
    assert without_leading_fillers("and not really") == "not really"
    assert without_leading_fillers("so um yes") == "yes"
    assert without_leading_fillers("so") == "so"
    assert without_leading_fillers("not so") == "not so"
    assert without_leading_fillers("") == ""
    assert without_leading_fillers("well well") == "well"


def test_a_final_full_stop_is_bounded_by_the_best_way_to_end() -> None:
    # The scoring takes the better of "yesterday." and "yesterday" then end of
    # text / "?" / "!": a bound that only read "." could drop below the score.
    stop, question = ARE, NOT  # stand-ins for the "." and "?" tokens
    after_i = dist(ARE=-5.0, NOT=-0.5)
    bounds = PrefixBounds([I_], [dist(I_=-1.0), after_i], endings=(stop, question))
    assert check(bounds, (I_, stop), -1.5, None)
    plain = PrefixBounds([I_], [dist(I_=-1.0), after_i])
    assert check(plain, (I_, stop), -6.0, None)


def test_max_length_gives_every_step_asked_for() -> None:
    from voice_assistant.adapters.whisper.whisper_runner import max_length

    # Measured on CTranslate2 4.x: steps = min(max_length // 2, max_length - prompt + 1).
    for prompt in (2, 3, 8, 14, 22):
        for steps in (1, 2, 5, 20):
            length = max_length(prompt, steps)
            assert min(length // 2, length - prompt + 1) >= steps
