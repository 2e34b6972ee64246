"""Natural answers, understood safety first (DOMAIN.md "Understanding answers").

Each case: where it was said (a question id, "offer_timer" or "session"), the
question answered just before (for corrections), what was said, and what it
must mean:
    yes / no / unsure / <cause name>   an answer to that question
    red:<fact>[,<fact>]                a red flag for those screens
    cmd:<name>                         a whole-utterance command
    fix:<question>=<answer>            a correction of an earlier answer
    done                               the pack is off (session)
    unclear                            asked again
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from support import describe_understanding

from voice_assistant.dialog.conversation import Conversation
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.states import OFFER_TIMER
from voice_assistant.dialog.understanding import Context, understand
from voice_assistant.session.controller import session_context

SADDLE, BLADDER, LEGS, TRAUMA, CHEST = (
    "emergency_saddle",
    "emergency_bladder",
    "emergency_legs",
    "emergency_trauma",
    "emergency_chest",
)
DANGER = [SADDLE, BLADDER, LEGS, TRAUMA, CHEST, "fever", "cancer", "night_pain", "sensation"]

# (class, where, previous question, text, meaning)
CASES: list[tuple[str, str, str | None, str, str]] = []


def cases(kind: str, where: str, rows: list[tuple[str, str]], previous: str | None = None) -> None:
    CASES.extend((kind, where, previous, text, meaning) for text, meaning in rows)


# --- symptoms described: yes to their screen, whatever negation surrounds them -------------
cases(
    "symptom",
    SADDLE,
    [
        ("I feel nothing down there", "red:saddle_numbness"),
        ("I can't feel anything down there", "red:saddle_numbness"),
        ("it's numb when I wipe", "red:saddle_numbness"),
        ("no, but it's numb when I wipe", "red:saddle_numbness"),
        ("not really, just a bit of tingling in my bum", "red:saddle_numbness"),
        ("my bottom feels numb", "red:saddle_numbness"),
        ("pins and needles in my groin", "red:saddle_numbness"),
        ("I can't feel my inner thighs", "red:saddle_numbness"),
        ("there's no feeling between my legs", "red:saddle_numbness"),
        ("wiping feels strange", "red:saddle_numbness"),
        ("yes numbness", "red:saddle_numbness"),
        ("a bit tingly", "red:saddle_numbness"),
        ("I haven't been able to pee since this morning", "red:bladder_bowel"),
        ("my legs keep giving way", "red:leg_weakness"),
    ],
)
cases(
    "symptom",
    BLADDER,
    [
        ("I haven't been able to pee since this morning", "red:bladder_bowel"),
        ("Yes, I can't stop peeing", "red:bladder_bowel"),
        ("I wet the bed last night", "red:bladder_bowel"),
        ("I wet myself", "red:bladder_bowel"),
        ("no, but I've wet the bed", "red:bladder_bowel"),
        ("I pooed myself", "red:bladder_bowel"),
        ("I've got no control", "red:bladder_bowel"),
        ("I can't wee", "red:bladder_bowel"),
        ("it's been hard to go to the toilet", "red:bladder_bowel"),
        ("I keep leaking", "red:bladder_bowel"),
        ("a bit of leaking", "red:bladder_bowel"),
        ("I didn't make it to the loo", "red:bladder_bowel"),
        ("haven't peed all day", "red:bladder_bowel"),
        ("I can't tell when I need to go", "red:bladder_bowel"),
        ("I've lost bladder control", "red:bladder_bowel"),
        ("I've been struggling to pee", "red:bladder_bowel"),
        ("I couldn't urinate", "red:bladder_bowel"),
        ("I soiled myself", "red:bladder_bowel"),
        ("no control of my bowels", "red:bladder_bowel"),
    ],
)
cases(
    "symptom",
    LEGS,
    [
        ("not at all, I can't feel my legs", "red:leg_weakness"),
        ("my legs keep giving way", "red:leg_weakness"),
        ("both legs are numb", "red:leg_weakness"),
        ("my legs are weak", "red:leg_weakness"),
        ("legs weak", "red:leg_weakness"),
        ("no, but both legs keep giving way", "red:leg_weakness"),
        ("my knees gave way on the stairs", "red:leg_weakness"),
        ("I can't walk", "red:leg_weakness"),
        ("my legs feel like jelly", "red:leg_weakness"),
        ("pain down both legs", "red:leg_weakness"),
        ("I'm dragging my foot", "red:leg_weakness"),
        ("they're getting weaker", "red:leg_weakness"),
        ("a bit weak", "red:leg_weakness"),
        ("numbness in my feet", "red:leg_weakness"),
    ],
)
cases(
    "symptom",
    TRAUMA,
    # The fall screen's first step (fact "fall"): any fall, slip or risk named
    # is a yes to it; a serious one is a yes to the second step too.
    [
        ("it's not from a fall, a car hit me", "red:serious_trauma,fall"),
        ("I fell off a ladder", "red:serious_trauma,fall"),
        ("I fell down the stairs", "red:serious_trauma,fall"),
        ("it was a car crash", "red:serious_trauma"),
        ("I had an accident at work", "red:serious_trauma,fall"),
        ("I was hit by a car", "red:serious_trauma"),
        ("I got kicked in the back", "red:serious_trauma"),
        ("yes I had a bad fall", "red:serious_trauma,fall"),
        ("I slipped on the ice", "red:fall"),
        ("a motorbike knocked me over", "red:serious_trauma"),
        ("I landed on my back", "red:serious_trauma"),
        ("I'm on steroids and I fell", "red:serious_trauma,fall"),  # both steps said: emergency
        ("I have osteoporosis", "red:fall"),
    ],
)
cases(
    "symptom",
    CHEST,
    [
        ("my chest hurts", "red:chest_breathing"),
        ("I can't breathe properly", "red:chest_breathing"),
        ("I'm short of breath", "red:chest_breathing"),
        ("there's pain in my chest", "red:chest_breathing"),
        ("a bit breathless", "red:chest_breathing"),
        ("it's hard to breathe", "red:chest_breathing"),
        ("tight chest", "red:chest_breathing"),
        ("I haven't had any chest pain", "unclear"),
    ],
)
cases(
    "symptom",
    "fever",
    [
        ("I don't feel well at all", "red:fever"),
        ("nothing like that, though I'm shivery", "red:fever"),
        ("I'm hot and cold", "red:fever"),
        ("I've got a temperature", "red:fever"),
        ("I feel rough", "red:fever"),
        ("I'm not feeling myself", "red:fever"),
        ("I've got the chills", "red:fever"),
        ("a bit feverish", "red:fever"),
        ("I feel under the weather", "red:fever"),
        ("no, but I've been sweating at night", "red:fever"),
        ("yes I feel poorly", "red:fever"),
    ],
)
cases(
    "symptom",
    "cancer",
    [
        ("I had breast cancer five years ago", "red:cancer_weight_loss"),
        ("I've lost weight without trying", "red:cancer_weight_loss"),
        ("my clothes are loose", "red:cancer_weight_loss"),
        ("I'm having chemo", "red:cancer_weight_loss"),
        ("no cancer, but I've lost a stone", "red:cancer_weight_loss"),
    ],
)
cases(
    "symptom",
    "night_pain",
    [
        ("it's worse at night and nothing helps", "red:night_pain"),
        ("it wakes me up every night", "red:night_pain"),
        ("resting doesn't help at all", "red:night_pain"),
        ("I can't sleep", "red:night_pain"),
        ("I was up all night with it", "red:night_pain"),
        ("it's terrible at night", "red:night_pain"),
    ],
)
cases(
    "symptom",
    "sensation",
    [
        ("I'm diabetic", "red:reduced_sensation"),
        ("type 2 diabetes", "red:reduced_sensation"),
        ("I have neuropathy", "red:reduced_sensation"),
        ("poor circulation", "red:reduced_sensation"),
        ("the skin there is numb", "red:reduced_sensation"),
        ("I'm on insulin", "red:reduced_sensation"),
        ("I take metformin", "red:reduced_sensation"),
        ("a bit numb", "red:reduced_sensation"),
        ("I can't feel my skin, poor circulation", "red:reduced_sensation"),  # not "poo"
    ],
)

# --- red flags volunteered at another question: still red flags ------------------------------
cases(
    "volunteered",
    "onset",
    [
        ("two days ago, and now I can't feel my legs", "red:leg_weakness"),
        ("yesterday, and I've wet myself since", "red:bladder_bowel"),
        ("since a car hit me on Monday", "red:serious_trauma"),
        ("a week ago and I'm diabetic", "red:reduced_sensation"),
        ("this morning, I feel shivery", "red:fever"),
        ("no fever, it started yesterday", "onset"),
        ("I can't bend much this week", "onset"),  # "week" is not "wee"
    ],
)
cases(
    "volunteered",
    "swelling",
    [
        ("yes and I can't pee", "red:bladder_bowel"),
        ("no but my chest hurts", "red:chest_breathing"),
        ("I don't know, I feel nothing down there", "red:saddle_numbness"),
    ],
)
cases(
    "volunteered",
    "cause",
    [
        ("it's not from a fall, a car hit me", "red:serious_trauma"),
        ("I fell down the stairs", "red:serious_trauma,fall"),
        ("lifting, and now I've lost weight", "red:cancer_weight_loss"),
    ],
)
cases(
    "volunteered",
    "stiffness",
    [("yes, and it's worse at night", "red:night_pain"), ("stiff and I feel sick", "red:fever")],
)
cases(
    "volunteered",
    OFFER_TIMER,
    [
        ("wait, I can't stop peeing", "red:bladder_bowel"),
        ("start, but my legs are giving way", "red:leg_weakness"),
    ],
)
cases(
    "volunteered",
    "fever",
    [
        ("I can't stop peeing", "red:bladder_bowel"),
        ("no, but my chest hurts and I'm shivery", "red:chest_breathing,fever"),
    ],
)

# --- clear no on a danger screen: the whole reply is a no -------------------------------------
CLEAR_NOS = [
    "no",
    "nope",
    "No.",
    "nope, none of it",
    "absolutely not",
    "no, my legs are fine",
    "nothing like that",
    "no, never",
    "no no",
    "not at all",
    "nah",
    "definitely not",
    "no, none of that",
    "um, no",
    "no thanks",
    "I don't think so",
    "no, I'm fine",
    "no, nothing like that at all",
    "not that I know of",
    "none of those",
    "I haven't",
    "well, no, to be honest",
]
for where, texts in [
    (SADDLE, CLEAR_NOS[:8]),
    (BLADDER, [*CLEAR_NOS[8:14], "no, my bladder is fine"]),
    (LEGS, ["no, my legs are fine", "both legs are fine", *CLEAR_NOS[14:18]]),
    (TRAUMA, CLEAR_NOS[18:22]),
    (CHEST, ["no", "no, my breathing is fine", "nope"]),
    ("fever", ["no", "no, I feel fine otherwise", "nothing like that"]),
    ("cancer", ["no", "never", "no, never had it"]),
    ("night_pain", ["no", "not really", "nope, none of that"]),
    ("sensation", ["no", "none of those", "no, all good"]),
]:
    cases("clear no", where, [(text, "no") for text in texts])

# A reassurance naming the body part or the symptom is a clear no, not a symptom.
cases(
    "clear no",
    BLADDER,
    [("no, peeing is fine", "no"), ("my waterworks are fine", "no"), ("no problems", "no")],
)
cases("clear no", CHEST, [("no, my chest is fine", "no"), ("no, breathing's fine", "no")])
cases(
    "clear no",
    "fever",
    [("my temperature is normal", "no"), ("no, I'm healthy", "no"), ("I feel fine", "no")],
)
cases("clear no", "cancer", [("my weight is steady", "no")])
cases(
    "clear no",
    "night_pain",
    [("no, lying down helps", "no"), ("it's better when I rest", "no"), ("rest helps", "no")],
)
cases("clear no", "sensation", [("my circulation is fine", "no"), ("my skin feels normal", "no")])

# --- mixed or unclear on a danger screen: asked again, never no ------------------------------
cases(
    "mixed or unclear",
    SADDLE,
    [
        ("no numbness", "unclear"),
        ("I don't have any tingling", "unclear"),
        ("no, but my back really hurts", "unclear"),
        ("banana", "unclear"),
        ("no, it's my back", "unclear"),
    ],
)
cases(
    "mixed or unclear",
    "fever",
    [
        ("I don't have a fever", "unclear"),
        ("no fever", "unclear"),
        ("no temperature", "unclear"),
        ("no, I feel shivery", "red:fever"),
    ],
)
cases(
    "mixed or unclear",
    "cancer",
    [("I've never had cancer", "unclear"), ("no weight loss", "unclear")],
)
cases(
    "mixed or unclear",
    "sensation",
    [
        ("I'm not diabetic", "unclear"),
        ("no diabetes", "unclear"),
        # Naming a condition, even asking about it, is taken as yes (ask first).
        ("what's neuropathy", "red:reduced_sensation"),
    ],
)
cases(
    "mixed or unclear",
    TRAUMA,
    [
        ("it wasn't an accident", "unclear"),
        ("no crash", "unclear"),
        ("no, I didn't fall", "unclear"),
    ],
)
cases(
    "mixed or unclear",
    BLADDER,
    [
        ("no trouble peeing", "unclear"),
        ("no problems with my bladder", "unclear"),
        ("no leaking", "unclear"),
        ("I go to the toilet normally", "unclear"),
        # "Nothing down there" could mean no feeling there: asked again.
        ("nothing down there", "unclear"),
    ],
)

# --- hedges: not sure (= yes on the screens) ---------------------------------------------------
cases(
    "hedge",
    SADDLE,
    [
        ("not sure", "unsure"),
        ("maybe", "unsure"),
        ("I think so", "unsure"),
        ("kind of", "unsure"),
        ("I don't know", "unsure"),
        ("hard to say", "unsure"),
    ],
)
cases(
    "hedge",
    LEGS,
    [("possibly", "unsure"), ("I'm not sure, no", "unsure"), ("sort of", "unsure")],
)
cases(
    "hedge",
    "fever",
    [("I might be", "unsure"), ("perhaps", "unsure"), ("I guess", "unsure"), ("no idea", "unsure")],
)
cases(
    "hedge",
    "sensation",
    [("I haven't checked", "unsure"), ("dunno", "unsure"), ("I can't tell", "unsure")],
)
cases(
    "hedge",
    "swelling",
    [
        ("I can't see it", "unsure"),
        ("I can't tell", "unsure"),
        ("not sure", "unsure"),
        ("maybe a little", "unsure"),
        ("I can't see my back", "unsure"),
    ],
)

# --- clear yes -----------------------------------------------------------------------------
cases(
    "clear yes",
    SADDLE,
    [("yes", "yes"), ("yeah", "yes"), ("yes I do", "yes"), ("I do", "yes")],
)
cases("clear yes", CHEST, [("yes", "yes"), ("yep", "yes"), ("a little", "yes")])
cases("clear yes", "night_pain", [("yes", "yes"), ("definitely", "yes")])
cases("clear yes", "cancer", [("yes", "yes"), ("I have", "yes")])

# --- questions that are not danger screens keep the answers.yaml phrases -----------------
cases(
    "other questions",
    "stiffness",
    [
        ("a bit stiff", "yes"),
        ("yes", "yes"),
        ("no", "no"),
        ("not really", "no"),
        ("it is", "yes"),
        ("it isn't", "no"),
        ("yes no", "unclear"),
        ("not sure", "unsure"),
    ],
)
cases(
    "other questions",
    "swelling",
    [
        ("yes, it's a bit swollen", "yes"),
        ("no it's not", "no"),
        ("nope", "no"),
        ("it's red and hot", "yes"),
        ("it looks a bit puffy", "yes"),
        ("not swollen", "no"),
        ("not swollen but a bit red", "yes"),  # any sign not denied: swelling
    ],
)
cases(
    "other questions",
    "stiffness",
    [("very stiff", "yes"), ("tight", "yes"), ("not stiff", "no"), ("it's in spasm", "yes")],
)
cases(
    "other questions",
    "cause",
    [
        ("I was lifting a box", "lifting"),
        ("after the gym", "exercise"),
        ("I twisted it", "injury"),
        ("none of those", "other_cause"),
        ("I woke up with it", "other_cause"),
        ("picked something up", "lifting"),
        ("no", "no"),
        ("I went running", "exercise"),
        ("I was gardening", "lifting"),
        ("playing football", "exercise"),
        ("I was moving furniture", "lifting"),
        ("not sure", "unsure"),
    ],
)

# --- commands only as the whole reply, or in a polite frame ---------------------------------
cases(
    "command",
    SADDLE,
    [
        ("stop", "cmd:stop"),
        ("stop please", "cmd:stop"),
        ("please stop", "cmd:stop"),
        ("can you repeat that", "cmd:repeat"),
        ("could you say that again please", "cmd:repeat"),
        ("sorry, what?", "cmd:repeat"),
        ("sorry", "cmd:repeat"),
        ("pardon?", "cmd:repeat"),
        ("help", "cmd:help"),
        ("help me please", "cmd:help"),
        ("start over", "cmd:start_over"),
        ("can we start again", "unclear"),
        ("um, stop", "cmd:stop"),
        ("goodbye", "cmd:stop"),
    ],
)
cases(
    "command word inside an answer",
    BLADDER,
    [
        ("Yes, I can't stop peeing", "red:bladder_bowel"),
        ("I can't stop it leaking", "red:bladder_bowel"),
    ],
)
cases(
    "command word inside an answer",
    "stiffness",
    [
        ("it won't stop hurting, yes", "yes"),
        ("stop asking, yes", "yes"),
        ("no, don't stop", "no"),
    ],
)
cases(
    "command word inside an answer",
    "onset",
    [("it started when I stopped running", "onset"), ("help, it started yesterday", "onset")],
)

# --- corrections revise the question they are about -------------------------------------------
cases(
    "correction",
    "stiffness",
    [
        ("actually yes it is swollen", "fix:swelling=yes"),
        ("wait, it is swollen", "fix:swelling=yes"),
        ("no sorry, it's not swollen", "fix:swelling=no"),
        ("actually yes", "fix:swelling=yes"),
        ("sorry I meant no", "fix:swelling=no"),
        ("actually, I'm not sure", "fix:swelling=unsure"),
        ("actually it is stiff", "yes"),
        ("sorry, yes", "yes"),
    ],
    previous="swelling",
)
cases(
    "correction",
    "cause",
    [
        ("actually it started three weeks ago", "fix:onset=onset"),
        ("wait, it's not stiff", "fix:stiffness=no"),
        ("I mean yes", "fix:stiffness=yes"),
        ("oh wait, I was lifting", "lifting"),
    ],
    previous="stiffness",
)
cases(
    "correction",
    "fever",
    [
        ("actually yes", "fix:emergency_chest=yes"),
        ("wait, maybe", "fix:emergency_chest=unsure"),
        ("actually, no", "fix:emergency_chest=no"),
        ("actually, I do have a temperature", "red:fever"),
    ],
    previous=CHEST,
)
cases(
    "correction",
    OFFER_TIMER,
    [("actually it is swollen", "fix:swelling=yes"), ("wait, it was lifting", "fix:cause=lifting")],
    previous="cause",
)
cases(
    "correction",
    SADDLE,
    [("actually yes", "yes"), ("wait, no", "unclear")],
)

# --- during a session: only the pack being off acknowledges time's up ----------------------
cases(
    "session",
    "session",
    [
        ("it's off", "done"),
        ("I've taken it off", "done"),
        ("done", "done"),
        ("took it off", "done"),
        ("done, it's off", "done"),
        ("okay, it's off now", "done"),
        ("the pack is off", "done"),
        ("I took the ice pack off", "done"),
        ("thanks, done", "done"),
        ("it's on", "cmd:start"),
        ("okay", "cmd:start"),
        ("ok", "cmd:start"),
        ("yes", "cmd:start"),
        ("thanks", "unclear"),
        ("thank you", "unclear"),
        ("got it", "unclear"),
        ("stop", "cmd:stop"),
        ("stop please", "cmd:stop"),
        ("pause", "cmd:pause"),
        ("wait", "cmd:pause"),
        ("how long left", "cmd:time_left"),
        ("how long have I got left?", "cmd:time_left"),
        ("can you pause it please", "cmd:pause"),
        ("resume", "cmd:resume"),
        ("I can't stop shivering", "red:fever"),
        ("I can't stop peeing", "red:bladder_bowel"),
        ("it's on but my legs are going numb", "red:leg_weakness"),
        ("don't stop", "unclear"),
        ("I'm not done yet", "unclear"),
        ("is it off?", "unclear"),
    ],
)


@pytest.fixture(scope="module")
def contexts(script: DialogScript) -> dict[str, Context]:
    conversation = Conversation(script)
    found = dict(conversation.question_contexts())
    commands = {name: answer.phrases for name, answer in script.commands.items()}
    found[OFFER_TIMER] = Context(OFFER_TIMER, kind="offer", commands=commands)
    found["session"] = session_context(script)
    return found


@pytest.mark.parametrize(("kind", "where", "previous", "text", "meaning"), CASES)
def test_understood(
    script: DialogScript,
    contexts: dict[str, Context],
    kind: str,
    where: str,
    previous: str | None,
    text: str,
    meaning: str,
) -> None:
    context = replace(contexts[where], previous=previous)
    questions = {k: v for k, v in contexts.items() if k not in (OFFER_TIMER, "session")}
    found = understand(text, context, script.lexicon, questions)
    assert describe_understanding(found) == meaning, (kind, where, text)


def test_enough_cases_in_every_class() -> None:
    counts = Counter(kind for kind, *_ in CASES)
    print("\ncases per class:", dict(counts), "total", len(CASES))
    assert len(CASES) >= 200
    assert all(count >= 3 for count in counts.values()), counts


def test_no_danger_screen_no_is_ever_a_symptom(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    """The opposite direction: every red-flag case is never "no" at any danger screen."""
    for _, _, _, text, meaning in CASES:
        if not meaning.startswith("red:"):
            continue
        for where in DANGER:
            found = understand(text, contexts[where], script.lexicon, contexts)
            assert not (found.kind == "answer" and found.name == "no"), (where, text)
