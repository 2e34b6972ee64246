"""Random and adversarial answer sequences against an independent reference of DOMAIN.md."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import PLANS

from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.rules import decide
from voice_assistant.dialog.script import DialogScript
from voice_assistant.events import Transcript

PHRASES = [
    "yes",
    "no",
    "not sure",
    "maybe",
    "yeah",
    "nope",
    "I don't know",
    "it is",
    "it isn't",
    "yes no",
    "this morning",
    "two days ago",
    "three days ago",
    "four days ago",
    "years",
    "a few months",
    "last week",
    "lifting",
    "exercise",
    "an injury",
    "none of those",
    "repeat",
    "help",
    "start over",
    "stop",
    "",
    "banana",
    "what",
    "make it 30 minutes",
    "start",
    "no thanks",
    "ten minutes",
    "How long left",
    "pause",
    "I hurt it lifting",
    "I can't feel my legs",
    "no, but I've wet the bed",
    "nothing like that, though I'm shivery",
    "actually yes",
    "wait, it is swollen",
    "no sorry, it's not swollen",
    "I'm diabetic",
    "it's off",
    "since Monday",
    "less than a week",
    "it's an old problem that flared up",
    "I had cancer",
    "it wakes me up at night",
    "my chest hurts",
    "no fever",
]
SCREENS = (
    "saddle_numbness",
    "bladder_bowel",
    "leg_weakness",
    "chest_breathing",
)
SAME_DAY = ("fever", "cancer_weight_loss", "night_pain")

answer = st.one_of(
    st.sampled_from(PHRASES),
    st.text(max_size=30),
    st.lists(st.sampled_from(PHRASES), min_size=2, max_size=3).map(" ".join),
)
heard = st.tuples(answer, st.sampled_from(["text", "audio"]), st.floats(0, 1))


def emergency(facts: Mapping[str, object]) -> bool:
    """An emergency sign; the fall screen's two steps both yes (DOMAIN.md)."""
    return any(facts.get(f) for f in SCREENS) or bool(
        facts.get("fall") and facts.get("serious_trauma")
    )


def reference(facts: Mapping[str, object]) -> tuple[str, str | None]:
    """DOMAIN.md section 2, written out by hand (first match wins)."""
    if emergency(facts):
        return "seek_care", "emergency"
    if any(facts.get(f) for f in SAME_DAY):
        return "seek_care", "today"
    if facts.get("reduced_sensation"):
        return "seek_care", "ask_first"
    acute, swelling = facts["acute"], facts["swelling"]
    if swelling:
        # Swelling without a recent injury needs checking today (row 5).
        return "ice", None if acute else "today"
    if acute and (facts.get("cause") == "lifting" or facts.get("stiff")):
        return "ice_then_heat", None
    if acute:
        return "ice", None
    return "heat", None


CLEAR = [("no", "text", 1.0)] * 9
conversations = st.one_of(
    st.lists(heard, max_size=30),
    st.lists(heard, max_size=12).map(lambda tail: CLEAR + tail),
    st.lists(
        st.sampled_from(["no", "yes", "not sure", "yesterday", "years", "lifting", "exercise"]),
        min_size=3,
        max_size=6,
    ).map(lambda words: CLEAR + [(w, "text", 1.0) for w in words]),
    st.lists(st.sampled_from(["no", "no", "nope", "not really", "yes", "not sure"]), max_size=6)
    .map(lambda words: [(w, "text", 1.0) for w in words])
    .flatmap(lambda head: st.lists(heard, max_size=12).map(lambda tail: head + tail)),
)
REACHED: list[str] = []


def _typed(*words: str) -> list[tuple[str, str, float]]:
    return [(word, "text", 1.0) for word in words]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations)
@example(_typed("maybe"))
@example(CLEAR + _typed("yesterday", "no", "yes"))
@example(CLEAR + _typed("years", "no", "no"))
@example(CLEAR + _typed("years", "not sure"))
def test_random_conversations_stay_safe(
    script: DialogScript, replies: list[tuple[str, str, float]]
) -> None:
    conversation = Conversation(script, ConversationOptions(plans=PLANS))
    turns = conversation.start()
    swelling_answers: list[str] = []
    for text, source, confidence in replies:
        if conversation.finished:
            break
        seen = len(conversation.answers)
        new = conversation.hear(Transcript(text, confidence, source))
        turns += new
        # Every recorded swelling answer, whether asked, confirmed or corrected.
        swelling_answers += [a for q, a, _ in conversation.answers[seen:] if q == "swelling"]
        for turn in new:
            if turn.state == "greeting":  # started over
                swelling_answers.clear()
            if turn.recommendation is None:
                continue
            rec = turn.recommendation
            REACHED.append(rec.kind)
            facts = dict(conversation.facts)
            if rec.kind == "seek_care" and rec.urgency in ("emergency", "today"):
                # A red flag is acted on at once: its row holds on the known facts,
                # and no row above it does.
                rows = [r for r in script.rules if decide([r], facts).rule is not None]
                assert rows and rows[0].row == rec.row
                if rec.urgency == "today":
                    assert not emergency(facts)
                assert (rec.kind, rec.urgency) == reference({**facts, "acute": 0, "swelling": 0})
                continue
            # Never before the decisive answers are known: the rule holds on known facts.
            decision = decide(script.rules, facts)
            assert decision.rule is not None and decision.rule.row == rec.row
            assert (rec.kind, rec.urgency) == reference(facts)
            if swelling_answers and swelling_answers[-1] in ("yes", "unsure"):
                assert rec.kind in ("ice", "seek_care")  # never heat on possible swelling
            if rec.kind != "seek_care":
                for line in script.safety_lines:
                    spoken = " ".join(line.say.split()) in turn.say
                    assert spoken == (rec.kind in line.kinds)
                assert rec.plan == PLANS[rec.kind]
            else:
                assert rec.plan == ()
    # Every turn that waits for an answer says something.
    assert all(t.say for t in turns if t.expects)
    # The first question after every (re)start is the emergency screen.
    for before, after in itertools.pairwise(turns):
        if before.state == "greeting":
            assert after.state == "emergency_saddle"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["yes", "no", "not sure"]), min_size=6, max_size=6))
def test_any_unsure_or_yes_on_emergency_screen_is_an_emergency(
    script: DialogScript, screens: list[str]
) -> None:
    conversation = Conversation(script, ConversationOptions(plans=PLANS))
    conversation.start()
    rec = None
    deciding = []  # replies that decide: the fall screen's first step only asks the second
    for reply in screens:
        if conversation.state != "emergency_trauma":
            deciding.append(reply)
        for turn in conversation.hear(Transcript(reply)):
            rec = turn.recommendation or rec
        if rec or conversation.state == "fever":
            break
    if any(reply != "no" for reply in deciding):
        assert rec is not None and rec.urgency == "emergency"
    else:
        assert rec is None and conversation.state == "fever"  # the same-day screen is next


def test_fuzz_reached_every_kind_of_advice() -> None:
    """Guard against a fuzz run that never gets past the screens (runs after the fuzz)."""
    if not REACHED:
        return  # run alone
    assert {"seek_care", "ice", "heat", "ice_then_heat"} <= set(REACHED)
