"""Property tests: red-flag descriptions wrapped in noise are never a "no", and no
sequence of replies gets advice less urgent than the red flags mentioned."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import PLANS

from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.script import DialogScript
from voice_assistant.events import Transcript

# Symptom descriptions per screen (fact), as a tired person in pain might say them.
DESCRIPTIONS = {
    "saddle_numbness": ["I can't feel anything down there", "it's numb when I wipe"],
    "bladder_bowel": ["I haven't been able to pee", "I wet the bed", "I can't stop peeing"],
    "leg_weakness": ["my legs keep giving way", "I can't feel my legs", "both legs are numb"],
    "serious_trauma": ["a car hit me", "I fell off a ladder", "I fell down the stairs"],
    "chest_breathing": ["my chest hurts", "I can't breathe properly"],
    "fever": ["I'm shivery", "I don't feel well", "I'm hot and cold"],
    "cancer_weight_loss": ["I had cancer", "I've lost weight without trying"],
    "night_pain": ["it wakes me up at night", "resting doesn't help at all"],
}
URGENCY = {
    "saddle_numbness": "emergency",
    "bladder_bowel": "emergency",
    "leg_weakness": "emergency",
    "serious_trauma": "emergency",
    "chest_breathing": "emergency",
    "fever": "today",
    "cancer_weight_loss": "today",
    "night_pain": "today",
}
RANK = {None: 0, "ask_first": 1, "today": 2, "emergency": 3}
NOISE = [
    "no",
    "nope",
    "not at all",
    "nothing",
    "never",
    "no no",
    "um",
    "well",
    "to be honest",
    "I don't think so",
    "maybe",
    "not sure",
    "I think",
    "kind of",
    "not really",
    "nothing like that",
    "absolutely not",
    "none of it",
    "stop",
    "actually",
    "wait",
    "sorry",
    "please",
]
SEPARATORS = [" ", ", ", ". ", " but ", " and ", "... "]

described = st.sampled_from(sorted(DESCRIPTIONS)).flatmap(
    lambda fact: st.tuples(st.just(fact), st.sampled_from(DESCRIPTIONS[fact]))
)
noise = st.lists(st.sampled_from(NOISE), max_size=3).map(" ".join)
wrapped = st.tuples(
    described, noise, noise, st.sampled_from(SEPARATORS), st.sampled_from(SEPARATORS)
).map(lambda t: (t[0][0], f"{t[1]}{t[3]}{t[0][1]}{t[4]}{t[2]}".strip(" ,.")))

ORDINARY = [
    "yes",
    "no",
    "not sure",
    "two days ago",
    "years",
    "lifting",
    "none of those",
    "repeat",
    "",
    "banana",
    "actually yes",
    "wait, it is swollen",
    "start",
    "ten minutes",
    "since Monday",
    "I'm diabetic",
    "no fever",
]
reply = st.one_of(
    st.sampled_from(ORDINARY).map(lambda text: (None, text)),
    st.text(max_size=20).map(lambda text: (None, text)),
    wrapped,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 12), wrapped)
def test_wrapped_red_flag_is_never_no(
    script: DialogScript, at_question: int, flagged: tuple[str, str]
) -> None:
    """At any question, a described symptom wrapped in negations and hedges is a red flag."""
    fact, text = flagged
    conversation = Conversation(script, ConversationOptions(plans=PLANS))
    conversation.start()
    for _ in range(at_question):  # walk to a later question with plain answers
        if conversation.state not in {q.id for q in script.questions}:
            break
        question = script.question(conversation.state)
        answer = "years" if question.kind == "onset" else "no"
        conversation.hear(Transcript(answer))
    if conversation.finished or conversation.state == "done":
        return
    turns = conversation.hear(Transcript(text))
    assert conversation.facts.get(fact) is True, (text, conversation.state)
    advice = [t.recommendation for t in turns if t.recommendation is not None]
    assert advice, text
    assert RANK[advice[0].urgency] >= RANK[URGENCY[fact]], text
    assert advice[0].kind == "seek_care"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(reply, max_size=25))
def test_advice_never_less_urgent_than_the_red_flags_mentioned(
    script: DialogScript, replies: list[tuple[str | None, str]]
) -> None:
    conversation = Conversation(script, ConversationOptions(plans=PLANS))
    conversation.start()
    mentioned: str | None = None
    for fact, text in replies:
        if conversation.finished or conversation.state == "done":
            break
        turns = conversation.hear(Transcript(text))
        if fact is not None:
            mentioned = max(mentioned, URGENCY[fact], key=lambda u: RANK[u])
        for turn in turns:
            if turn.state == "greeting":  # started over: nothing mentioned since
                mentioned = None
            rec = turn.recommendation
            if rec is not None:
                assert RANK[rec.urgency] >= RANK[mentioned], (replies, rec)
                if mentioned is not None:
                    assert rec.kind == "seek_care"
        if fact is not None and not any(t.state == "greeting" for t in turns):
            # Acted on at once: the advice came with this very reply.
            assert any(t.recommendation is not None for t in turns), text
