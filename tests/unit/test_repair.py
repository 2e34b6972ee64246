"""Repair: never a loop (DOMAIN.md), and the two-step fall screen.

Real conversations on the real dialogs/: replies not understood reach the
yes/no form after 2, a cautious answer after 4, and always an end.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import PLANS, SCREEN_CLEAR, talk

from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.repair import Repair, RepairAction
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.states import CONFIRMING, DONE, OFFER_TIMER
from voice_assistant.events import Transcript, Turn

DANGER = [
    "emergency_saddle",
    "emergency_bladder",
    "emergency_legs",
    "emergency_trauma",
    "emergency_chest",
    "fever",
    "cancer",
    "night_pain",
    "sensation",
]
# Replies that reach each question (the fall screen's second step after a yes).
REACH = {
    **{qid: ["no"] * i for i, qid in enumerate(DANGER)},
    "emergency_trauma_serious": ["no", "no", "no", "yes"],
    "onset": SCREEN_CLEAR,
    "swelling": [*SCREEN_CLEAR, "yesterday"],
    "stiffness": [*SCREEN_CLEAR, "yesterday", "no"],
    "cause": [*SCREEN_CLEAR, "yesterday", "no", "no"],
}
URGENCY = {
    **dict.fromkeys(DANGER[:5], "emergency"),
    "emergency_trauma_serious": "emergency",
    **dict.fromkeys(["fever", "cancer", "night_pain"], "today"),
    "sensation": "ask_first",
}


def miss(conversation: Conversation, times: int, text: str = "banana") -> list[Turn]:
    turns: list[Turn] = []
    for _ in range(times):
        turns += conversation.hear(Transcript(text))
    return turns


def advice(turns: list[Turn]) -> list[Turn]:
    return [t for t in turns if t.recommendation is not None]


# --- the counter ---------------------------------------------------------------------------


def test_repair_counts_misses_per_question() -> None:
    repair = Repair(yes_no_after=2, settle_after=4)
    assert repair.miss("a") is RepairAction.ASK_AGAIN
    assert repair.miss("b") is RepairAction.ASK_AGAIN  # each question counts its own
    assert repair.miss("a") is RepairAction.ASK_YES_NO
    assert repair.in_yes_no("a") and not repair.in_yes_no("b")
    repair.understood("a")
    assert repair.miss("a") is RepairAction.ASK_AGAIN  # stays in the yes/no form
    assert repair.miss("a") is RepairAction.SETTLE  # 4 in all, not in a row
    assert repair.exhausted("a") and not repair.exhausted("b")


# --- the yes/no form after 2 misses -------------------------------------------------------


@pytest.mark.parametrize("question_id", sorted(REACH))
def test_yes_no_form_after_two_misses(script: DialogScript, question_id: str) -> None:
    conversation, _ = talk(script, REACH[question_id])
    assert conversation.state == question_id
    question = script.question(question_id)
    first, second = miss(conversation, 1), miss(conversation, 1, "")
    assert question.reprompt in first[-1].say
    assert second[-1].state == question_id
    assert question.yes_no.steps[0].ask in second[-1].say
    if question_id in DANGER:
        assert question.yes_no.steps[0].ask.startswith("Just yes or no:")


def test_silence_counts_as_a_miss(script: DialogScript) -> None:
    conversation, _ = talk(script, [])
    conversation.silence()
    turn = conversation.silence()[-1]
    assert script.device_messages["silence"] in turn.say
    assert script.question("emergency_saddle").yes_no.steps[0].ask in turn.say


def test_onset_yes_no_form(script: DialogScript) -> None:
    conversation, _ = talk(script, [*SCREEN_CLEAR, "banana", "purple"])
    conversation.hear(Transcript("no"))
    assert conversation.facts["acute"] is False
    conversation, _ = talk(script, [*SCREEN_CLEAR, "banana", "purple", "yes"])
    assert conversation.facts["acute"] is True


def test_cause_is_asked_one_cause_at_a_time(script: DialogScript) -> None:
    steps = [step.ask for step in script.question("cause").yes_no.steps]
    conversation, turns = talk(script, [*REACH["cause"], "banana", "purple"])
    assert steps[0] in turns[-1].say
    assert steps[1] in conversation.hear(Transcript("no"))[-1].say
    turns = conversation.hear(Transcript("yes"))
    assert conversation.facts["cause"] == "injury"
    assert advice(turns)
    conversation, _ = talk(script, [*REACH["cause"], "banana", "purple", "no", "no", "no"])
    assert conversation.facts["cause"] == "none"


# --- 4 misses: cautious answers -----------------------------------------------------------


@pytest.mark.parametrize("question_id", sorted(URGENCY))
def test_four_misses_at_a_danger_screen_give_its_advice_to_be_safe(
    script: DialogScript, question_id: str
) -> None:
    conversation, _ = talk(script, REACH[question_id])
    turns = miss(conversation, 4)
    if question_id == "emergency_trauma":  # not sure of a fall: the second step
        assert conversation.state == "emergency_trauma_serious"
        question_id = conversation.state
        turns = miss(conversation, 4)
    given = advice(turns)
    assert len(given) == 1
    assert given[0].recommendation is not None
    assert given[0].recommendation.urgency == URGENCY[question_id]
    assert given[0].say.startswith(script.message("repair_to_be_safe"))
    assert conversation.state == DONE and turns[-1].end
    assert sum(1 for t in turns if t.state == question_id and t.expects) == 3


@pytest.mark.parametrize(
    ("question_id", "fact", "value"),
    [("onset", "acute", True), ("swelling", "swelling", True), ("stiffness", "stiff", False)],
)
def test_four_misses_take_the_cautious_default_and_say_so(
    script: DialogScript, question_id: str, fact: str, value: bool
) -> None:
    conversation, _ = talk(script, REACH[question_id])
    turns = miss(conversation, 4)
    assert conversation.facts[fact] is value
    cautious = script.question(question_id).yes_no.cautious_say
    assert cautious is not None
    assert cautious in " ".join(t.say for t in turns)


def test_four_misses_at_cause_is_none_of_those(script: DialogScript) -> None:
    conversation, _ = talk(script, REACH["cause"])
    turns = miss(conversation, 4)
    assert conversation.facts["cause"] == "none"
    rec = advice(turns)[0].recommendation
    assert rec is not None and rec.advice_id == "ice_sudden"


def test_timer_offer_not_understood_ends_saying_what_to_do(script: DialogScript) -> None:
    conversation, _ = talk(script, [*SCREEN_CLEAR, "years", "no", "no"])
    assert conversation.state == OFFER_TIMER
    turns = miss(conversation, 4, "banana")
    assert turns[-1].end and "111" in turns[-1].say


def test_unclear_no_read_back_cannot_loop(script: DialogScript) -> None:
    conversation, _ = talk(script, [])
    turns: list[Turn] = []
    for _ in range(6):
        if conversation.finished:
            break
        if conversation.state != CONFIRMING:
            turns += conversation.hear(Transcript("no", 0.2, "audio", sure=False))
        turns += conversation.hear(Transcript("no"))  # "no, that's not what I said"
    assert conversation.state == DONE
    assert advice(turns)[0].say.startswith(script.message("repair_to_be_safe"))


# --- a red-flag topic named, not understood -----------------------------------------------


@pytest.mark.parametrize(
    ("where", "reply", "screen"),
    [
        (SCREEN_CLEAR, "my bladder um", "emergency_bladder"),
        ([*SCREEN_CLEAR, "yesterday"], "er the chest thing", "emergency_chest"),
        (["no"], "um my legs, well", "emergency_legs"),
        (["no"] * 6, "um the weight thing", "cancer"),
        ([*SCREEN_CLEAR, "years", "no", "no"], "er the bowels", "emergency_bladder"),
    ],
)
def test_red_flag_topic_asks_its_screen_yes_or_no_at_once(
    script: DialogScript, where: list[str], reply: str, screen: str
) -> None:
    conversation, _ = talk(script, where)
    turn = conversation.hear(Transcript(reply))[-1]
    assert conversation.state == screen
    assert turn.say == script.question(screen).yes_no.steps[0].ask
    if len(where) < len(SCREEN_CLEAR) + 3:
        return
    # At the timer offer: a clear no there keeps the advice; the offer comes again.
    turns = conversation.hear(Transcript("no"))
    assert turns[-1].state == OFFER_TIMER


def test_red_flag_topic_yes_gives_its_advice(script: DialogScript) -> None:
    conversation, _ = talk(script, [*SCREEN_CLEAR, "my bladder um"])
    rec = advice(conversation.hear(Transcript("yes")))[0].recommendation
    assert rec is not None and rec.urgency == "emergency"


# --- the two-step fall screen --------------------------------------------------------------


def test_fall_screen_yes_then_serious_is_an_emergency(script: DialogScript) -> None:
    conversation, turns = talk(script, ["no", "no", "no", "yes"])
    assert conversation.state == "emergency_trauma_serious"
    assert "over seventy" in turns[-1].say
    for reply in ("yes", "not sure", "I'm over seventy"):
        conversation, turns = talk(script, ["no", "no", "no", "yes", reply])
        rec = advice(turns)[0].recommendation
        assert rec is not None and rec.urgency == "emergency", reply


def test_fall_screen_yes_then_no_is_a_recent_injury(script: DialogScript) -> None:
    conversation, turns = talk(script, ["no", "no", "no", "yes", "no", "no", *["no"] * 5, "no"])
    assert conversation.facts["acute"] is True and conversation.facts["cause"] == "injury"
    asked = [t.state for t in turns if t.expects]
    assert "onset" not in asked and "cause" not in asked
    rec = advice(turns)[0].recommendation
    assert rec is not None and rec.kind == "ice"


def test_fall_screen_no_skips_the_second_step(script: DialogScript) -> None:
    _, turns = talk(script, SCREEN_CLEAR)
    assert "emergency_trauma_serious" not in [t.state for t in turns]


@pytest.mark.parametrize(
    "later", ["I slipped on the stairs", "oh I tripped over last week", "I went over on the ice"]
)
def test_a_fall_told_later_asks_the_second_step(script: DialogScript, later: str) -> None:
    conversation, _ = talk(script, [*SCREEN_CLEAR, "yesterday"])
    turn = conversation.hear(Transcript(later))[-1]
    assert conversation.state == "emergency_trauma_serious"
    assert script.question("emergency_trauma_serious").ask.split()[0] in turn.say
    rec = advice(conversation.hear(Transcript("yes")))[0].recommendation
    assert rec is not None and rec.urgency == "emergency"


def test_a_serious_fall_described_is_an_emergency_at_once(script: DialogScript) -> None:
    _, turns = talk(script, [*SCREEN_CLEAR, "a car hit me"])
    rec = advice(turns)[0].recommendation
    assert rec is not None and rec.urgency == "emergency"


# --- never a loop: random replies ----------------------------------------------------------

NOISE = [
    "",
    "um",
    "er",
    "hmm",
    "banana",
    "what",
    "I think it",
    "it's kind of",
    "well the",
    "sorry what",
    "uh huh",
    "the thing is",
    "it's my back",
    "mm",
    "ok",
]
MAX_ASKS = 4
reply = st.one_of(
    st.sampled_from(NOISE),
    st.just(None),  # silence
    st.text(alphabet="abcdefghij .,?", max_size=12),
    st.lists(st.sampled_from(NOISE), min_size=2, max_size=4).map(" ".join),
)
clear = st.sampled_from(["no", "yes", "not sure", "yesterday", "years"])
replies = st.lists(st.one_of(reply, reply, reply, clear), min_size=1, max_size=16)


def _said_no_to_every_danger_screen(conversation: Conversation, script: DialogScript) -> bool:
    danger = {script.question(q).fact for q in DANGER} | {"serious_trauma"}
    answered_no = {script.question(q).fact for q, a, _ in conversation.answers if a == "no"}
    facts = conversation.facts
    return all(
        fact in answered_no or (fact == "serious_trauma" and facts.get("fall") is False)
        for fact in danger
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies)
def test_random_replies_always_reach_an_end_never_less_urgent(
    script: DialogScript, heard: list[str | None]
) -> None:
    conversation = Conversation(script, ConversationOptions(plans=PLANS))
    turns = conversation.start()
    for index in range(200):  # the script repeats until the end: ~13 questions x 4 asks
        if conversation.finished:
            break
        text = heard[index % len(heard)]
        turns += conversation.silence() if text is None else conversation.hear(Transcript(text))
    assert conversation.finished, [t.say for t in turns[-6:]]
    asks = Counter(t.state for t in turns if t.expects and t.state != CONFIRMING)
    for state, count in asks.items():
        # The cause's yes/no form is one question per cause: a "no" asks the next.
        steps = len(script.question(state).yes_no.steps) if state != OFFER_TIMER else 1
        assert count <= MAX_ASKS + steps - 1, asks
    given = advice(turns)
    assert given or conversation.state != DONE or "111" in turns[-1].say
    for turn in given:
        assert turn.recommendation is not None
        if turn.recommendation.kind != "seek_care":
            assert _said_no_to_every_danger_screen(conversation, script)
