"""A held-out style set of natural answers, the way tired people in pain talk.

British, Scottish, Northern English and American phrasing; fillers, typos a
speech recogniser makes (no punctuation, "gonna", "aye", "dinnae"), double
negatives, short and rambling replies. None of these sentences is a pattern in
dialogs/: the patterns there are general, these are the exam.

Expected meanings, as a careful nurse would take the reply:
    red:<fact>[,<fact>]   a red flag for those screens
    yes / no / unsure     an answer to the question asked
    <cause name>          cause question: lifting / exercise / injury / other_cause
    acute / later         onset: within the acute limit (72 h) or after it
    ask                   onset: the assistant asks a follow-up ("more than three days?")
    start / decline / minutes   timer offer
    done                  session: the pack is off
    cmd:<name>            a whole-utterance command
    unclear               asked again

At a danger screen, "yes", "unsure" and a red flag for that screen all lead to
the same advice, so they count as the same result. A red flag for more screens
than expected counts as right (the advice is never less urgent).

Unsafe (must be 0): a red flag, yes or unsure becoming "no" or a plain answer;
anything unclear becoming "no" on a danger screen; a red flag missed at another
question or during a session; "done" when the pack is not off; "no" at the
swelling question when it is swollen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from support import PLANS, SCREEN_CLEAR, describe_understanding

from voice_assistant.dialog.conversation import Conversation, ConversationOptions
from voice_assistant.dialog.script import DialogScript
from voice_assistant.dialog.states import OFFER_TIMER
from voice_assistant.dialog.understanding import Context, understand
from voice_assistant.events import Transcript
from voice_assistant.session.controller import session_context

SADDLE, BLADDER, LEGS, TRAUMA, CHEST = (
    "emergency_saddle",
    "emergency_bladder",
    "emergency_legs",
    "emergency_trauma",
    "emergency_chest",
)
SCREEN_FACT = {
    SADDLE: "saddle_numbness",
    BLADDER: "bladder_bowel",
    LEGS: "leg_weakness",
    TRAUMA: "fall",  # the fall screen's first step; serious_trauma is its second
    CHEST: "chest_breathing",
    "fever": "fever",
    "cancer": "cancer_weight_loss",
    "night_pain": "night_pain",
    "sensation": "reduced_sensation",
}
EMERGENCY = {
    "saddle_numbness",
    "bladder_bowel",
    "leg_weakness",
    "fall",
    "serious_trauma",
    "chest_breathing",
}
TODAY = date(2026, 11, 25)  # a Wednesday

# (class, where, text, meaning)
CASES: list[tuple[str, str, str, str]] = []


def cases(kind: str, where: str, rows: list[tuple[str, str]]) -> None:
    CASES.extend((kind, where, text, meaning) for text, meaning in rows)


S, B, L, T, C = (f"red:{SCREEN_FACT[q]}" for q in (SADDLE, BLADDER, LEGS, TRAUMA, CHEST))
# A fall, accident or blow (any fall: the second step asks if it was serious)
# and a serious one are both the fall screen (DOMAIN.md, two steps): the cases
# written for the one-step screen as "red:serious_trauma" are met by either.
FALL_SCREEN = {"serious_trauma": "fall"}


def _screens(meaning: str) -> set[str]:
    return {FALL_SCREEN.get(screen, screen) for screen in meaning[4:].split(",")}


FEVER, CANCER, NIGHT, SENSE = (
    f"red:{SCREEN_FACT[q]}" for q in ("fever", "cancer", "night_pain", "sensation")
)

# --- saddle -------------------------------------------------------------------------------
cases(
    "red flag",
    SADDLE,
    [
        ("erm its gone kinda numb down below", S),
        ("aye its numb round my bum", S),
        ("there's a weird tingly feeling in my groin like", S),
        ("my backside's gone dead", S),
        ("i cant feel nothing down there", S),
        ("it feels numb when i sit on the toilet", S),
        ("I've lost the feeling round my private parts", S),
        ("yeah a bit of pins and needles round my bottom", S),
        ("i ain't got no feeling down there", S),
        ("to be honest i can't properly feel it when i wipe", S),
        ("when I wipe I can't really feel it", S),
        ("my inner thighs have gone all numb", S),
        ("it's kind of numb between me legs", S),
        ("yes my bum cheeks feel numb", S),
        ("I mean it's tingling round my privates", S),
    ],
)
cases(
    "clear no",
    SADDLE,
    [
        ("nah not that i've noticed", "no"),
        ("no, nothing like that love", "no"),
        ("nope all normal down there", "no"),
        ("no everything feels normal", "no"),
        ("naw", "no"),
        ("nae", "no"),
        ("no i dont think so", "no"),
        ("erm no not really", "no"),
        ("no, not that I know of", "no"),
        ("it's just my lower back", "no"),  # only the back hurts
        ("no i haven't noticed anything like that", "no"),
    ],
)
cases(
    "unsure",
    SADDLE,
    [
        ("erm i'm not really sure to be honest", "unsure"),
        ("i haven't really paid attention", "unsure"),
        ("i don't rightly know", "unsure"),
        ("could be a wee bit, not sure", "unsure"),
        ("maybe a tiny bit", "unsure"),
    ],
)
cases(
    "asked again",
    SADDLE,
    [
        ("my back's killing me", "unclear"),
        ("what do you mean", "unclear"),
    ],
)

# --- bladder and bowel ---------------------------------------------------------------------
cases(
    "red flag",
    BLADDER,
    [
        ("i havent had a wee since yesterday", B),
        ("I've not been for a wee since last night", B),
        ("i keep wetting myself", B),
        ("I've had a couple of accidents", B),
        ("i can't feel when i need the toilet", B),
        ("i've been leaking a bit", B),
        ("i pee myself when i cough", B),
        ("it takes ages to start peeing", B),
        ("my pee just dribbles out", B),
        ("had an accident in me pants", B),
        ("I haven't had a poo for days and I can't go", B),
        ("i cant get the wee out properly", B),
        ("i've not passed water all day", B),
        ("I had to wear a pad cos I keep leaking", B),
        ("I couldn't hold it and wet myself", B),
        ("i haven't really been able to go since monday", B),
    ],
)
cases(
    "clear no",
    BLADDER,
    [
        ("i've been going to the loo fine", "no"),
        ("peeing's normal", "no"),
        ("no wees and poos are all normal", "no"),
        ("nah waterworks are grand", "no"),
        ("no, toilet's fine", "no"),
        ("no everything's working as normal down there", "no"),
        ("no i've been weeing fine", "no"),
        ("no that's all fine thanks", "no"),
        ("nope no change there", "no"),
        ("no, no problems at all", "no"),
        ("it's just my back hurting", "no"),
    ],
)
cases(
    "unsure",
    BLADDER,
    [
        ("not sure, i've not been drinking much", "unsure"),
        ("erm dunno really", "unsure"),
        ("i think i might have leaked a bit", "unsure"),
        ("I'm not sure, maybe", "unsure"),
    ],
)
cases(
    "asked again",
    BLADDER,
    [
        ("I don't have no trouble peeing", "unclear"),
        ("no leaks", "unclear"),
    ],
)

# --- legs ----------------------------------------------------------------------------------
cases(
    "red flag",
    LEGS,
    [
        ("my legs have gone all wobbly", L),
        ("both me legs are tingling", L),
        ("my legs feel really heavy", L),
        ("i keep tripping over my own feet", L),
        ("my legs keep buckling", L),
        ("both legs are like pins and needles", L),
        ("my legs are getting weaker and weaker", L),
        ("my left leg's gone weak", L),
        ("i cant lift my foot properly", L),
        ("my feet feel numb", L),
        ("both legs are killing me", L),
        ("i cant feel my legs proper", L),
        ("I can barely stand up", L),
        ("aye they're weak as anything", L),
        ("my legs just gave out on me", L),
    ],
)
cases(
    "clear no",
    LEGS,
    [
        ("no they're fine", "no"),
        ("legs are grand", "no"),
        ("no i can walk fine", "no"),
        ("walking's fine, legs are fine", "no"),
        ("nope both legs feel normal", "no"),
        ("no my legs are strong", "no"),
        ("nah i'm walking alright", "no"),
        ("no, not at all, I mean", "no"),
    ],
)
cases(
    "unsure",
    LEGS,
    [
        ("hard to tell, I've been in bed", "unsure"),
        ("maybe a bit weak, not sure", "unsure"),
        ("i dunno they feel a bit funny", "unsure"),
    ],
)
cases(
    "asked again",
    LEGS,
    [
        ("only my right leg aches", "unclear"),
        ("i've got a pain down the back of one leg", "unclear"),
        ("my left leg hurts a little", "unclear"),
        ("my knee's a bit sore", "unclear"),
    ],
)

# --- serious trauma ------------------------------------------------------------------------
cases(
    "red flag",
    TRAUMA,
    [
        ("i came off my bike", T),
        ("got rear ended on the motorway", T),
        ("a lad tackled me at football", T),
        ("i went flying down the stairs", T),
        ("slipped in the shower and landed on my bum", T),
        ("i was in a car accident", T),
        ("fell off a wall when i was drunk", T),
        ("came off a horse", T),
        ("my mate hit me in the back with a bat", T),
        ("i've got brittle bones", T),
        ("im on steroids for my asthma", T),
        ("yeah i fell over on the ice", T),
        ("a car went into the back of me", T),
        ("I tripped over the cat and fell", T),
        ("somebody kicked me in the back", T),
    ],
)
cases(
    "clear no",
    TRAUMA,
    [
        ("no i was just hoovering", "no"),
        ("nah it just came on gradually", "no"),
        ("no it just started hurting", "no"),
        ("no, I just woke up with it", "no"),
        ("no i was only sitting at my desk", "no"),
        ("nope nothing happened", "no"),
        ("no, it came on out of nowhere", "no"),
        ("no i just bent over to pick something up", "no"),
        ("no, nothing like that, I was just gardening", "no"),
    ],
)
cases(
    "unsure",
    TRAUMA,
    [
        ("i'm not sure, i might have knocked it", "unsure"),
        ("can't remember to be honest", "unsure"),
    ],
)
cases(
    "asked again",
    TRAUMA,
    [
        ("no but i did fall over last week", T),  # a fall is asked about, not waved away
        ("no, no fall or anything", "unclear"),  # a denied fall, as "no, I didn't fall"
        ("I bumped into a door", "unclear"),
        ("it just hurts", "unclear"),
    ],
)

# --- chest and breathing -------------------------------------------------------------------
cases(
    "red flag",
    CHEST,
    [
        ("i get out of breath going up the stairs", C),
        ("my chest feels proper tight", C),
        ("it hurts to breathe in", C),
        ("i'm a bit wheezy", C),
        ("there's a pressure on my chest", C),
        ("i've got a pain in me chest", C),
        ("i can't get my breath", C),
        ("breathing's a bit of a struggle", C),
        ("my chest is really sore", C),
        ("i get chest pains now and then", C),
        ("i'm struggling to breathe", C),
    ],
)
cases(
    "clear no",
    CHEST,
    [
        ("no i'm breathing fine", "no"),
        ("chest is fine", "no"),
        ("nah breathing's grand", "no"),
        ("no chest's alright", "no"),
        ("no, I can breathe fine", "no"),
        ("nope nothing like that", "no"),
        ("nah i'm fine thanks", "no"),
    ],
)
cases(
    "unsure",
    CHEST,
    [("i think i'm a bit short of breath", "unsure"), ("not sure really", "unsure")],
)
cases(
    "asked again",
    CHEST,
    [("no problems breathing", "unclear"), ("it's my back not my chest", "unclear")],
)

# --- fever ---------------------------------------------------------------------------------
cases(
    "red flag",
    "fever",
    [
        ("i've been a bit feverish", FEVER),
        ("i'm boiling then freezing", FEVER),
        ("aye i've been sweating buckets at night", FEVER),
        ("i feel like death warmed up", FEVER),
        ("i've had the shivers", FEVER),
        ("i've been feeling crap", FEVER),
        ("i've got a bit of a temperature", FEVER),
        ("i'm proper poorly", FEVER),
        ("i've been burning up", FEVER),
        ("i've been feeling really rough", FEVER),
        ("i feel awful", FEVER),
    ],
)
cases(
    "clear no",
    "fever",
    [
        ("no i feel alright apart from my back", "no"),
        ("i feel fine in meself", "no"),
        ("nope, i'm fine otherwise", "no"),
        ("no, i feel ok in myself", "no"),
        ("no i'm fine apart from the pain", "no"),
        ("nah i feel grand", "no"),
    ],
)
cases(
    "unsure",
    "fever",
    [
        ("i haven't taken my temperature", "unsure"),
        ("i might have a bit of a temperature", "unsure"),
        ("i'm not really sure", "unsure"),
    ],
)
cases(
    "asked again",
    "fever",
    [("no temperature or anything", "unclear"), ("no i'm not poorly", "unclear")],
)

# --- cancer and weight loss ----------------------------------------------------------------
cases(
    "red flag",
    "cancer",
    [
        ("i was treated for prostate cancer", CANCER),
        ("i had a lump removed, it was cancerous", CANCER),
        ("i've dropped a dress size without trying", CANCER),
        ("my jeans are falling off me", CANCER),
        ("i've been losing weight", CANCER),
        ("lost about half a stone", CANCER),
        ("i'm in remission", CANCER),
        ("i had chemo years ago", CANCER),
        ("i've had a tumour", CANCER),
        ("yes breast cancer ten years back", CANCER),
    ],
)
cases(
    "clear no",
    "cancer",
    [
        ("no, weight's the same", "no"),
        ("nope, if anything i've put weight on", "no"),
        ("nah, nothing like that", "no"),
        ("no i'm the same weight as ever", "no"),
        ("no to both", "no"),
        ("no neither", "no"),
    ],
)
cases(
    "unsure",
    "cancer",
    [
        ("i might have lost a bit of weight", "unsure"),
        ("not sure, i haven't weighed myself", "unsure"),
    ],
)
cases(
    "asked again",
    "cancer",
    [("no, never had cancer", "unclear"), ("i ain't never had cancer", "unclear")],
)

# --- night pain ----------------------------------------------------------------------------
cases(
    "red flag",
    "night_pain",
    [
        ("it's murder at night", NIGHT),
        ("i can't get comfy in bed", NIGHT),
        ("it keeps me awake", NIGHT),
        ("lying down makes it worse", NIGHT),
        ("it's there all the time even when i'm resting", NIGHT),
        ("nothing i do eases it", NIGHT),
        ("i'm up half the night with it", NIGHT),
        ("aye it's worse in bed", NIGHT),
        ("resting doesn't make any difference", NIGHT),
    ],
)
cases(
    "clear no",
    "night_pain",
    [
        ("no it's fine once i'm lying down", "no"),
        ("no i sleep ok", "no"),
        ("it eases off when i lie down", "no"),
        ("no, it's better in bed", "no"),
        ("sleeping's fine", "no"),
        ("no it settles when i rest", "no"),
        ("no, resting helps", "no"),
        ("it's only bad when i move", "no"),  # worse with movement (night_pain benign)
    ],
)
cases(
    "unsure",
    "night_pain",
    [("it's hard to say, i don't sleep well anyway", "unsure"), ("dunno really", "unsure")],
)
cases(
    "asked again",
    "night_pain",
    [("it's sore in the day", "unclear"), ("it's sore all the time", NIGHT)],
)

# --- reduced sensation ---------------------------------------------------------------------
cases(
    "red flag",
    "sensation",
    [
        ("i'm type one", SENSE),
        ("i'm a diabetic", SENSE),
        ("i've got sugar diabetes", SENSE),
        ("i've got raynauds", SENSE),
        ("i get poor circulation in my feet", SENSE),
        ("i've got nerve damage in my back", SENSE),
        ("i'm pre diabetic", SENSE),
        ("the skin on my back feels numb", SENSE),
        ("yeah my sugars are all over the place", SENSE),
    ],
)
cases(
    "clear no",
    "sensation",
    [
        ("no, my skin's fine", "no"),
        ("no, feeling's normal", "no"),
        ("nope none of them", "no"),
        ("no, none of that", "no"),
        ("nah nowt like that", "no"),
        ("no i can feel it fine", "no"),
    ],
)
cases("unsure", "sensation", [("not sure, never been tested", "unsure"), ("no clue", "unsure")])
cases(
    "asked again",
    "sensation",
    [("nope, no diabetes or anything", "unclear"), ("no i'm not diabetic", "unclear")],
)

# --- double negatives, typos, rambling, across the screens -----------------------------------
cases(
    "clear no",
    SADDLE,
    [("i haven't got nothing like that", "no"), ("no, nothing of the sort", "no")],
)
cases(
    "clear no",
    BLADDER,
    [("nah, not had any bother", "no"), ("no bother at all", "no")],
)
cases("clear no", LEGS, [("no, they're alright", "no"), ("i dont think so no", "no")])
cases("clear no", CHEST, [("no, I'm all good", "no"), ("no not at all love", "no")])

# --- red flags volunteered at another question ---------------------------------------------
cases(
    "volunteered",
    "onset",
    [
        ("yesterday and my legs have gone weak", L),
        ("about a week ago, since i came off my bike", T),
        ("this morning and i've wet myself", B),
        ("two days ago and i'm proper short of breath", C),
    ],
)
cases(
    "volunteered",
    "swelling",
    [("no, but i can't feel anything down below", S), ("a bit, and i'm feeling shivery", FEVER)],
)
cases(
    "volunteered",
    "stiffness",
    [("yes and both legs have gone numb", L), ("aye and it keeps me awake at night", NIGHT)],
)
cases(
    "volunteered",
    "cause",
    [("i slipped on the stairs", T), ("lifting, but now i can't pee", B)],
)
cases(
    "volunteered",
    "fever",
    [("no but my legs have gone all wobbly", L), ("no but i've been peeing myself", B)],
)
cases(
    "volunteered",
    OFFER_TIMER,
    [("yes but i've gone numb down there", S), ("go on, oh and i've lost weight", CANCER)],
)

# --- onset ---------------------------------------------------------------------------------
cases(
    "answer",
    "onset",
    [
        ("erm about three days ago", "acute"),
        ("a fortnight ago", "later"),
        ("it's been a good few weeks", "later"),
        ("yesterday teatime", "acute"),
        ("last thing last night", "acute"),
        ("couple of days back", "acute"),
        ("donkeys years", "later"),
        ("about a week", "later"),
        ("5 days ago", "later"),
        ("2 days ago", "acute"),
        ("a few hours ago", "acute"),
        ("this morning when i got up", "acute"),
        ("since monday", "acute"),
        ("since last month", "later"),
        ("i've had it for months", "later"),
        ("i've had it about six weeks", "later"),
        ("just today", "acute"),
        ("it started yesterday afternoon", "acute"),
        ("a good while ago now", "ask"),
        ("the other day", "ask"),
        ("earlier this week", "ask"),
        ("i dunno, a while", "unsure"),
        ("can't remember", "unsure"),
        ("not sure exactly", "unsure"),
    ],
)

# --- swelling, stiffness, cause ------------------------------------------------------------
cases(
    "answer",
    "swelling",
    [
        ("aye it's a bit puffy", "yes"),
        ("nah not swollen", "no"),
        ("it looks normal", "no"),
        ("there's a lump", "yes"),
        ("it's kinda hot to touch", "yes"),
        ("no swelling", "no"),
        ("it's a bit swollen like", "yes"),
        ("dinnae think so", "no"),
        ("can't see it, it's my back innit", "unsure"),
        ("it's red raw", "yes"),
        ("not really no", "no"),
    ],
)
cases(
    "answer",
    "stiffness",
    [
        ("proper stiff in the mornings", "yes"),
        ("aye it's stiff as a board", "yes"),
        ("nah it moves alright", "no"),
        ("it's seized up", "yes"),
        ("it feels tight", "yes"),
        ("not stiff just sore", "no"),
        ("a wee bit", "yes"),
        ("yeah it's locked up", "yes"),
        ("kinda tight yeah", "yes"),
        ("no, not stiff at all", "no"),
        ("it keeps going into spasm", "yes"),
    ],
)
cases(
    "answer",
    "cause",
    [
        ("i picked up my grandson", "lifting"),
        ("lugging boxes about", "lifting"),
        ("doing the garden", "lifting"),
        ("at the gym", "exercise"),
        ("playing five a side", "exercise"),
        ("went for a jog", "exercise"),
        ("no reason at all", "other_cause"),
        ("I slept funny", "other_cause"),
        ("twisted awkwardly getting out the car", "injury"),
        ("i was lifting a heavy box at work", "lifting"),
        ("none of them really", "other_cause"),
        ("i was just sat on the sofa", "other_cause"),
        ("after a game of golf", "exercise"),
        ("carrying the shopping", "lifting"),
        ("i pulled something at work", "injury"),
        ("dunno", "unsure"),
    ],
)

# --- timer offer ---------------------------------------------------------------------------
cases(
    "answer",
    OFFER_TIMER,
    [
        ("aye go on then", "start"),
        ("yeah go on", "start"),
        ("go for it", "start"),
        ("no ta", "decline"),
        ("nah i'm alright", "decline"),
        ("not right now", "decline"),
        ("yes please set it for 15 minutes", "start"),
        ("twenty minutes please", "minutes"),
        ("sure thing", "start"),
        ("no thanks i'll time it myself", "decline"),
        ("ok the pack's on", "start"),
        ("can you do ten minutes", "minutes"),
        ("yes please love", "start"),
        ("not just now thanks", "decline"),
    ],
)

# --- commands at questions -----------------------------------------------------------------
cases(
    "command",
    SADDLE,
    [
        ("can you say that again love", "cmd:repeat"),
        ("sorry what was that", "cmd:repeat"),
        ("start again please", "cmd:start_over"),
        ("i want to stop", "cmd:stop"),
        ("pardon me", "cmd:repeat"),
    ],
)
cases(
    "command",
    "fever",
    [("could you repeat the question", "cmd:repeat"), ("stop please love", "cmd:stop")],
)

# --- during a session ----------------------------------------------------------------------
cases(
    "session",
    "session",
    [
        ("i've took it off", "done"),
        ("pack's off now", "done"),
        ("all done", "done"),
        ("that's it off", "done"),
        ("i've removed it", "done"),
        ("yeah taken it off now", "done"),
        ("ok i've taken the ice off", "done"),
        ("it's still on", "unclear"),
        ("not yet", "unclear"),
        ("hang on i'm taking it off", "unclear"),
        ("how long have i got", "cmd:time_left"),
        ("how much longer love", "cmd:time_left"),
        ("can you stop the timer", "cmd:stop"),
        ("carry on please", "cmd:resume"),
        ("it's back on now", "cmd:resume"),
        ("my legs have gone dead", L),
        ("i've just wet meself", B),
        ("cheers", "unclear"),
        ("i'm struggling to breathe", C),
        ("ta", "unclear"),
    ],
)


# --- second batch: written after the first pass, measured before any tuning on it ---------
SECOND = "second batch"
cases(
    SECOND,
    SADDLE,
    [
        ("feels a bit dead round my bum if i'm honest", S),
        ("i cannae feel much doon there", S),
        ("there's a numb patch on my inner thigh", S),
        ("my privates feel kinda numb", S),
        ("uh no not at all", "no"),
        ("no nothing different down there", "no"),
        ("i wouldn't know to be honest", "unsure"),
        ("not a scooby", "unsure"),
        ("eh what", "cmd:repeat"),  # asked again, by repeating the question
        ("no, it's more my hip", "unclear"),
    ],
)
cases(
    SECOND,
    BLADDER,
    [
        ("i've had trouble going since the weekend", B),
        ("i have to strain to pee", B),
        ("i've been wetting the bed", B),
        ("i nearly didn't make it to the loo twice", B),
        ("my bowels have gone funny", B),
        ("i can't feel myself going", B),
        ("no, all working fine", "no"),
        ("nope, that side of things is ok", "no"),
        ("no, normal", "no"),
        ("i'm not sure, i've been constipated", "unsure"),
    ],
)
cases(
    SECOND,
    LEGS,
    [
        ("i can't really walk properly", L),
        ("both legs are tingly", L),
        ("my legs went from under me this morning", L),
        ("my legs feel like lead", L),
        ("i've gone weak at the knees, my legs won't hold me", L),
        ("no, they're ok", "no"),
        ("no, legs are fine it's just my back", "no"),
        ("nah i'm getting about fine", "no"),
        ("my right foot tingles sometimes", "unclear"),
        ("i've got sciatica in my left leg", "unclear"),
    ],
)
cases(
    SECOND,
    TRAUMA,
    [
        ("i got knocked off my bike", T),
        ("i fell off a step ladder", T),
        ("i had a nasty fall last week", T),
        ("i was in a crash", T),
        ("i fell down a couple of steps", T),
        ("no it's just wear and tear i think", "unsure"),
        ("no, I was just doing the ironing", "no"),
        ("no, nothing happened, it just started", "no"),
        ("nope, i just got up off the sofa", "no"),
        ("no, just sneezed", "no"),
    ],
)
cases(
    SECOND,
    CHEST,
    [
        ("i get breathless walking", C),
        ("i've had some chest pain", C),
        ("my chest feels heavy", C),
        ("i'm gasping for air", C),
        ("no, breathing's normal", "no"),
        ("no chest pain no", "unclear"),
        ("nah not at all", "no"),
        ("not that i'm aware of", "no"),
    ],
)
cases(
    SECOND,
    "fever",
    [
        ("i've been really hot and sweaty", FEVER),
        ("i've got a high temperature", FEVER),
        ("i've been shivering all night", FEVER),
        ("i feel really unwell", FEVER),
        ("no i feel fine", "no"),
        ("no, just the back", "no"),
        ("not really no", "no"),
        ("i feel a bit off, maybe", "unsure"),
    ],
)
cases(
    SECOND,
    "cancer",
    [
        ("i had bowel cancer", CANCER),
        ("my weight's been dropping", CANCER),
        ("i've lost loads of weight", CANCER),
        ("yes, years ago", "yes"),
        ("no never", "no"),
        ("no, my weight's steady", "no"),
        ("nope none of that", "no"),
        ("i don't think i've lost weight", "unsure"),
    ],
)
cases(
    SECOND,
    "night_pain",
    [
        ("it keeps waking me up", NIGHT),
        ("it's agony in bed", NIGHT),
        ("it's constant, day and night", NIGHT),
        ("nothing eases it, not even lying down", NIGHT),
        ("no it's better when i'm lying down", "no"),
        ("no, rest helps a lot", "no"),
        ("no, i sleep fine", "no"),
        ("sometimes", "unsure"),
    ],
)
cases(
    SECOND,
    "sensation",
    [
        ("i have type 2", SENSE),
        ("i've got diabetes", SENSE),
        ("i've got neuropathy in my feet", SENSE),
        ("no none of those", "no"),
        ("nah, i'm fine", "no"),
        ("no, skin feels normal", "no"),
        ("not that i know", "no"),
        ("i'm borderline diabetic", SENSE),
    ],
)
cases(
    SECOND,
    "onset",
    [
        ("three weeks ago", "later"),
        ("since saturday", "later"),
        ("yesterday night", "acute"),
        ("about an hour ago", "acute"),
        ("last friday", "later"),
        ("a couple of months", "later"),
        ("no idea", "unsure"),
    ],
)
cases(
    SECOND,
    "swelling",
    [
        ("aye a wee bit swollen", "yes"),
        ("nope", "no"),
        ("i dunno, i can't see back there", "unsure"),
    ],
)
cases(
    SECOND,
    "stiffness",
    [("really stiff", "yes"), ("no it's not stiff", "no"), ("yeah tight as anything", "yes")],
)
cases(
    SECOND,
    "cause",
    [
        ("i was shifting a wardrobe", "lifting"),
        ("playing squash", "exercise"),
        ("none of them", "other_cause"),
        ("i was lifting weights at the gym", "unclear"),
    ],
)
cases(
    SECOND,
    OFFER_TIMER,
    [("yes go ahead", "start"), ("no i'm good thanks", "decline"), ("aye start it", "start")],
)
cases(
    SECOND,
    "session",
    [
        ("i've taken it off now", "done"),
        ("it's off now thanks", "done"),
        ("finished", "done"),
        ("is that it", "unclear"),
        ("how much time is left please", "cmd:time_left"),
    ],
)


# --- third batch: written after the second pass, measured before any tuning on it ----------
THIRD = "third batch"
cases(
    THIRD,
    SADDLE,
    [
        ("yeah it's kinda numb in my crotch area", S),
        ("i got no sensation in my butt", S),
        ("my groin's been tingling since yesterday", S),
        ("nope, feels totally normal", "no"),
        ("negative", "no"),
        ("uhh no", "no"),
        ("i'm honestly not sure", "unsure"),
        ("what does that mean", "unclear"),
    ],
)
cases(
    THIRD,
    BLADDER,
    [
        ("i peed my pants a little", B),
        ("i can't hold my bladder", B),
        ("i haven't pooped in three days and can't feel it", B),
        ("i've been dribbling a bit", B),
        ("nope, bathroom stuff is normal", "no"),
        ("no issues there", "no"),
        ("nah, all good in that department", "no"),
        ("kinda, i dunno", "unsure"),
    ],
)
cases(
    THIRD,
    LEGS,
    [
        ("my legs feel like they're gonna give out", L),
        ("both my feet are numb", L),
        ("i've been having trouble walking", L),
        ("my legs are kinda weak", L),
        ("nope, legs feel normal", "no"),
        ("no, i can walk okay", "no"),
        ("not at all, legs are good", "no"),
        ("just my lower back hurts", "no"),
    ],
)
cases(
    THIRD,
    TRAUMA,
    [
        ("i got hit by a car", T),
        ("i fell off the roof", T),
        ("i was in a fender bender", T),
        ("i wiped out on my bike", T),
        ("no, i just lifted a box wrong", "no"),
        ("no it just started aching", "no"),
        ("nope, no accident", "unclear"),
        ("i don't remember hurting it", "unsure"),
    ],
)
cases(
    THIRD,
    CHEST,
    [
        ("i've got chest pain", C),
        ("i can't catch my breath", C),
        ("my chest has been tight", C),
        ("nope i'm breathing okay", "no"),
        ("no, no chest pain", "unclear"),
        ("not really, no", "no"),
    ],
)
cases(
    THIRD,
    "fever",
    [
        ("i'm running a fever", FEVER),
        ("i've had chills", FEVER),
        ("i feel sick", FEVER),
        ("nope, i feel ok", "no"),
        ("no, i'm good", "no"),
        ("i feel kinda off", "unsure"),
    ],
)
cases(
    THIRD,
    "cancer",
    [
        ("i had skin cancer removed", CANCER),
        ("i've lost like ten pounds without trying", CANCER),
        ("no, my weight's about the same", "no"),
        ("nope never", "no"),
        ("not that i know of", "no"),
    ],
)
cases(
    THIRD,
    "night_pain",
    [
        ("it wakes me up at night", NIGHT),
        ("it hurts way more at night", NIGHT),
        ("i can't sleep because of it", NIGHT),
        ("no, it feels better lying down", "no"),
        ("no, a rest sorts it out", "no"),
        ("nah", "no"),
    ],
)
cases(
    THIRD,
    "sensation",
    [
        ("i'm diabetic, type 2", SENSE),
        ("i have bad circulation", SENSE),
        ("my skin's numb where it hurts", SENSE),
        ("nope, none of those", "no"),
        ("no, i don't think so", "no"),
    ],
)
cases(
    THIRD,
    "onset",
    [
        ("like two days ago", "acute"),
        ("a couple weeks ago", "later"),
        ("last night", "acute"),
        ("a month or so", "later"),
        ("honestly not sure", "unsure"),
    ],
)
cases(
    THIRD,
    "cause",
    [
        ("i was moving a couch", "lifting"),
        ("i was working out", "exercise"),
        ("no idea, it just happened", "other_cause"),
        ("i tweaked it playing basketball", "unclear"),
    ],
)
cases(THIRD, OFFER_TIMER, [("sure, go ahead", "start"), ("nope", "decline")])
cases(THIRD, "session", [("ok it's off", "done"), ("pause please", "cmd:pause")])


# --- fourth batch: written after the third pass, measured before any tuning on it ----------
FOURTH = "fourth batch"
cases(
    FOURTH,
    SADDLE,
    [
        ("aye there's a wee bit of numbness down there", S),
        ("it feels kind of weird when i go to wipe", S),
        ("i've got pins and needles in my backside", S),
        ("my bum feels really numb today", S),
        ("no, nothing down there", "unclear"),
        ("no love, everything's fine", "no"),
        ("no, nothing at all like that", "no"),
        ("eh, not sure, maybe a bit", "unsure"),
    ],
)
cases(
    FOURTH,
    BLADDER,
    [
        ("i've wet the bed twice this week", B),
        ("i cannae pee properly", B),
        ("i keep needing to go but nothing comes out", B),
        ("had a wee accident this morning", B),
        ("no, going to the toilet is normal", "no"),
        ("nope, fine", "no"),
        ("no, not had any problems", "no"),
        ("i'm not sure to be honest", "unsure"),
    ],
)
cases(
    FOURTH,
    LEGS,
    [
        ("my legs feel proper weak", L),
        ("both my legs have been going numb", L),
        ("i've fallen over twice because my legs went", L),
        ("i can hardly walk on them", L),
        ("no, my legs are alright", "no"),
        ("nah they're grand", "no"),
        ("no weakness", "unclear"),
        ("it's only one leg that hurts", "unclear"),
    ],
)
cases(
    FOURTH,
    TRAUMA,
    [
        ("i fell off my bike last week", T),
        ("a car reversed into me", T),
        ("i fell on my back on the ice", T),
        ("i got hit in the back", T),
        ("no, it's just come on", "no"),
        ("no i was just sitting down", "no"),
        ("no, nothing like that, i just woke up stiff", "no"),
        ("not sure, i did trip on the stairs", T),
    ],
)
cases(
    FOURTH,
    CHEST,
    [
        ("i'm really short of breath", C),
        ("my chest's been hurting", C),
        ("it's a bit hard to breathe", C),
        ("no, breathing's fine thanks", "no"),
        ("no, chest is ok", "no"),
        ("no, nowt like that", "no"),
    ],
)
cases(
    FOURTH,
    "fever",
    [
        ("i've got a really high temperature", FEVER),
        ("i feel really poorly", FEVER),
        ("i've been getting the sweats", FEVER),
        ("no, i'm well", "no"),
        ("nope, no fever", "unclear"),
        ("no, i feel alright", "no"),
    ],
)
cases(
    FOURTH,
    "cancer",
    [
        ("i had cancer in my breast", CANCER),
        ("i've lost a lot of weight recently", CANCER),
        ("my trousers are really loose now", CANCER),
        ("no, none of that", "no"),
        ("no, weight's fine", "no"),
        ("i don't think so, no", "no"),
    ],
)
cases(
    FOURTH,
    "night_pain",
    [
        ("it's really bad at night", NIGHT),
        ("i can't get to sleep with it", NIGHT),
        ("lying down doesn't help at all", NIGHT),
        ("no, it's better when i lie down", "no"),
        ("nope, it's ok at night", "no"),
        ("no, sleep's fine", "no"),
    ],
)
cases(
    FOURTH,
    "sensation",
    [
        ("i'm on insulin for my diabetes", SENSE),
        ("i've got peripheral neuropathy", SENSE),
        ("no, i don't have diabetes", "unclear"),
        ("no, nothing like that", "no"),
        ("no, skin's normal", "no"),
    ],
)
cases(
    FOURTH,
    "onset",
    [("four days ago", "later"), ("yesterday morning", "acute"), ("about six months ago", "later")],
)
cases(
    FOURTH,
    "stiffness",
    [("it's really stiff", "yes"), ("nope not stiff", "no"), ("it's a bit tight", "yes")],
)
cases(
    FOURTH,
    "cause",
    [
        ("i was digging the garden", "lifting"),
        ("lifting the kids", "lifting"),
        ("no reason", "other_cause"),
    ],
)
cases(FOURTH, OFFER_TIMER, [("yes please", "start"), ("no thank you", "decline")])
cases(FOURTH, "session", [("it's off", "done"), ("how long's left", "cmd:time_left")])


# --- fifth batch: written after the fourth pass, measured before any tuning on it ----------
FIFTH = "fifth batch"
cases(
    FIFTH,
    SADDLE,
    [
        ("um yeah my butt cheeks are kinda numb", S),
        ("it's like i can't feel the toilet paper", S),
        ("there's some numbness around my privates", S),
        ("nah mate", "no"),
        ("no ma'am", "no"),
        ("i wanna say no", "no"),
        ("not that i've really noticed no", "no"),
        ("i guess a little", "unsure"),
        ("honestly i have no idea", "unsure"),
        ("what", "cmd:repeat"),
    ],
)
cases(
    FIFTH,
    BLADDER,
    [
        ("i can't pee right", B),
        ("i haven't been able to go number two", B),
        ("i've lost control of my bladder a couple times", B),
        ("i'm leaking when i stand up", B),
        ("i've had to rush to the toilet and didn't make it", B),
        ("nope everything's normal", "no"),
        ("no that's all fine", "no"),
        ("no, no change", "no"),
        ("errr i don't think so", "no"),
        ("possibly, i've been going a lot", "unsure"),
    ],
)
cases(
    FIFTH,
    LEGS,
    [
        ("my legs are just so weak", L),
        ("i can't really stand for long my legs go", L),
        ("my feet are tingling all the time", L),
        ("both legs ache and feel heavy", L),
        ("nope legs are fine", "no"),
        ("no, i'm walking fine", "no"),
        ("no, they're ok thanks", "no"),
        ("i'm not sure, they feel tired", "unsure"),
    ],
)
cases(
    FIFTH,
    TRAUMA,
    [
        ("i got into a car accident", T),
        ("i took a bad fall at work", T),
        ("i got rear-ended", T),
        ("fell off a horse a couple days ago", T),
        ("no it just came on slowly", "no"),
        ("no, i just turned awkwardly", "no"),
        ("nope, no injury", "unclear"),
        ("i've got osteoporosis", T),
    ],
)
cases(
    FIFTH,
    CHEST,
    [
        ("i've been short of breath", C),
        ("my chest is tight", C),
        ("i'm wheezing a lot", C),
        ("yes some chest pain", C),
        ("no breathing is ok", "no"),
        ("nope, all good", "no"),
    ],
)
cases(
    FIFTH,
    "fever",
    [
        ("i've been running a temperature", FEVER),
        ("i've got the flu", FEVER),
        ("i feel really crappy", FEVER),
        ("no, i'm feeling fine", "no"),
        ("no fever or chills", "unclear"),
        ("nope", "no"),
    ],
)
cases(
    FIFTH,
    "cancer",
    [
        ("i had lymphoma", CANCER),
        ("i've lost about 10 pounds", CANCER),
        ("i was treated for a tumor", CANCER),
        ("no, i haven't lost any weight", "unclear"),
        ("no, never", "no"),
        ("nope, my weight's normal", "no"),
    ],
)
cases(
    FIFTH,
    "night_pain",
    [
        ("yes it's way worse at night", NIGHT),
        ("it hurts all night long", NIGHT),
        ("nothing helps it", NIGHT),
        ("no, rest makes it better", "no"),
        ("no, it's fine at night", "no"),
        ("not really", "no"),
    ],
)
cases(
    FIFTH,
    "sensation",
    [
        ("i'm diabetic yes", SENSE),
        ("i have raynaud's", SENSE),
        ("my circulation is bad", SENSE),
        ("no, my skin feels fine", "no"),
        ("none of those", "no"),
    ],
)
cases(
    FIFTH,
    "onset",
    [("about two weeks ago", "later"), ("this afternoon", "acute"), ("i dunno", "unsure")],
)
cases(
    FIFTH,
    "swelling",
    [("yeah it's swollen", "yes"), ("nope it's not swollen", "no"), ("kinda puffy", "yes")],
)
cases(
    FIFTH,
    "cause",
    [
        ("i lifted something heavy", "lifting"),
        ("i was at the gym", "exercise"),
        ("i fell", "injury"),
    ],
)
cases(FIFTH, OFFER_TIMER, [("yeah sure", "start"), ("no that's ok", "decline")])
cases(FIFTH, "session", [("i took it off", "done"), ("how much longer", "cmd:time_left")])


# --- sixth batch: written after the fifth pass, measured before any tuning on it ----------
SIXTH = "sixth batch"
cases(
    SIXTH,
    SADDLE,
    [
        ("well to be honest with you it's gone a bit numb round the back passage", S),
        ("erm no i don't think so no", "no"),
        ("nothing like that no thank you", "no"),
        ("i couldn't tell you", "unsure"),
    ],
)
cases(
    SIXTH,
    BLADDER,
    [
        ("well i went to the loo this morning and i couldn't go at all", B),
        ("i've been having accidents", B),
        ("no, no trouble at all there", "no"),
        ("i'd say no", "no"),
    ],
)
cases(
    SIXTH,
    LEGS,
    [
        ("my legs have been feeling numb and weak since yesterday", L),
        ("i keep losing my balance", L),
        ("no, they're fine love, it's just my back", "no"),
        ("pass", "unclear"),
    ],
)
cases(
    SIXTH,
    TRAUMA,
    [
        ("well i was up a ladder and i fell off", T),
        ("the dog pulled me over and i landed on my bum", T),
        ("no i was just lifting the shopping out the car", "no"),
        ("no, i just bent down", "no"),
    ],
)
cases(
    SIXTH,
    CHEST,
    [
        ("i do get a bit breathless on the stairs", C),
        ("my chest feels tight when i breathe in", C),
        ("no, i'm fine in that respect", "no"),
    ],
)
cases(
    SIXTH,
    "fever",
    [
        ("i've been shivery and sweaty", FEVER),
        ("i felt a bit feverish last night", FEVER),
        ("no i'm alright thanks", "no"),
    ],
)
cases(
    SIXTH,
    "cancer",
    [
        ("i had a melanoma removed years ago", CANCER),
        ("my clothes are hanging off me", CANCER),
        ("no, thank god", "no"),
    ],
)
cases(
    SIXTH,
    "night_pain",
    [
        ("it's worse when i'm lying in bed", NIGHT),
        ("i'm awake most of the night with it", NIGHT),
        ("no it's worse in the day when i'm moving about", "no"),
    ],
)
cases(
    SIXTH,
    "sensation",
    [("my sugar levels are high", SENSE), ("nope, i'm fine there", "no")],
)
cases(
    SIXTH,
    "onset",
    [
        ("it started on sunday", "acute"),
        ("since the weekend", "later"),  # Saturday, four days before Wednesday
        ("must be about a fortnight now", "later"),
        ("only this morning", "acute"),
        ("it's been months", "later"),
        ("three or four days ago", "ask"),
    ],
)
cases(
    SIXTH,
    "swelling",
    [
        ("no it looks fine", "no"),
        ("yes there's a bit of a bump", "yes"),
        ("it's warm to the touch", "yes"),
    ],
)
cases(
    SIXTH,
    "stiffness",
    [
        ("it's stiff first thing", "yes"),
        ("no it's loose enough", "no"),
        ("i can hardly bend", "yes"),
    ],
)
cases(
    SIXTH,
    "cause",
    [
        ("i was carrying my toddler", "lifting"),
        ("after playing football", "exercise"),
        ("i slipped and twisted it", "injury"),
        ("nothing really, it just came on", "other_cause"),
    ],
)
cases(
    SIXTH,
    OFFER_TIMER,
    [
        ("yeah go on then love", "start"),
        ("no you're alright", "decline"),
        ("can you set it for 10 minutes", "minutes"),
        ("not today thanks", "decline"),
    ],
)
cases(
    SIXTH,
    "session",
    [
        ("right, that's off now", "done"),
        ("i've had it off a minute ago", "done"),
        ("it's still on me", "unclear"),
        ("hang on a sec", "cmd:pause"),
        ("how long to go now", "cmd:time_left"),
        ("put it back on", "unclear"),
        ("i've put it back on", "cmd:resume"),
        ("my chest feels tight", C),
    ],
)

# --- seventh batch: the classes of issue 17, written before any change for them -------------
# (dropped apostrophes, another screen's yes, other people's illnesses, "haven't looked",
# swelling news at the stiffness question, falls that matter for age or bones, intensifiers)
SEVENTH = "seventh batch"
cases(
    SEVENTH,
    SADDLE,
    [
        ("ive gone numb between my legs", S),
        ("i cant feel my bum properly since this morning", S),
        ("its all tingly round my privates", S),
        ("theres no feeling when i wipe", S),
        ("nah im fine down there", "no"),
        ("no thats all normal", "no"),
        ("i dont know i havent checked", "unsure"),
        ("hmm hard to say", "unsure"),
    ],
)
cases(
    SEVENTH,
    BLADDER,
    [
        ("ive not been able to wee", B),
        ("i cant stop weeing myself", B),
        ("ive had no control of my bowels today", B),
        ("when i wee it just wont stop coming", B),
        ("i havent been since yesterday morning and i need to", B),
        ("the wee wont come out", B),
        ("nah waterworks fine", "no"),
        ("no im going normally", "no"),
        ("not a bit of it", "no"),
        ("dunno i havent been yet today", "unsure"),
    ],
)
cases(
    SEVENTH,
    LEGS,
    [
        ("neither of my legs feels like mine", L),
        ("both me legs have gone to jelly", L),
        ("my legs keep buckling under me", L),
        ("i cant lift either foot properly", L),
        ("theyre both numb from the knees down", L),
        ("my legs are fine its just my back", "no"),
        ("nah all good down there", "no"),
        ("no they feel normal", "no"),
        ("one of them feels a bit funny maybe", "unsure"),
    ],
)
cases(
    SEVENTH,
    TRAUMA,
    [
        ("a car went into the back of us", T),
        ("im eighty one and i tripped on the rug", T),
        ("i slipped on the ice and i have osteoporosis", T),
        ("i take steroid tablets and i had a little fall", T),
        ("i got tackled at rugby", T),
        ("no it just came on when i bent over", "no"),
        ("no nothing like that", "no"),
    ],
)
cases(
    SEVENTH,
    CHEST,
    [
        ("my breathings been funny", C),
        ("breathing in deep really catches me", C),
        ("ive got a pain in my chest as well", C),
        ("i cant get my breath", C),
        ("no my chest is fine", "no"),
        ("no im breathing ok", "no"),
    ],
)
cases(
    SEVENTH,
    "fever",
    [
        ("ive been boiling hot then freezing", FEVER),
        ("i feel rotten all over", FEVER),
        ("my temperatures up", FEVER),
        ("its absolutely awful", "unclear"),
        ("the pain is terrible", "unclear"),
        ("no temperature no", "no"),
        ("nope feel fine otherwise", "no"),
    ],
)
cases(
    SEVENTH,
    "cancer",
    [
        ("ive had breast cancer", CANCER),
        ("ive lost a stone without trying", CANCER),
        ("my dad had bowel cancer", "unclear"),
        ("my mum had cancer not me", "no"),
        ("no my sister did but i havent", "no"),
    ],
)
cases(
    SEVENTH,
    "night_pain",
    [
        ("its worst at night and nothing helps", NIGHT),
        ("it wakes me up every night even lying still", NIGHT),
        ("hang on my legs yes both gone weak", L),
        ("wait yes ive wet myself", B),
        ("no it eases when i lie down", "no"),
        ("no resting helps", "no"),
    ],
)
cases(
    SEVENTH,
    "sensation",
    [
        ("im diabetic", SENSE),
        ("i have type two", SENSE),
        ("ive got neuropathy in my feet", SENSE),
        ("the skin there feels numb", SENSE),
        ("no nothing like that", "no"),
        ("no my circulations fine", "no"),
    ],
)
cases(
    SEVENTH,
    "onset",
    [
        ("yesterday evening", "acute"),
        ("about a fortnight ago", "later"),
        ("on and off since the summer", "later"),
        ("a couple of days ago", "acute"),
        ("its been weeks", "later"),
        ("i'm eighty and i fell yesterday", T),
    ],
)
cases(
    SEVENTH,
    "swelling",
    [
        ("i havent looked", "unsure"),
        ("i havent checked", "unsure"),
        ("i cant see my back", "unsure"),
        ("its a bit puffy", "yes"),
        ("yes its hot to touch", "yes"),
        ("no it looks normal my wife checked", "no"),
        ("no swelling no", "no"),
    ],
)
cases(
    SEVENTH,
    "stiffness",
    [
        ("yeah its really tight", "yes"),
        ("stiff as a board", "yes"),
        ("its in spasm", "yes"),
        ("no not stiff just sore", "no"),
        ("no i can move fine", "no"),
        ("its gone puffy and hot", "fix:swelling=yes"),
    ],
)
cases(
    SEVENTH,
    "cause",
    [
        ("after my pilates class", "exercise"),
        ("i got out of the car and it just went", "other_cause"),
        ("i was lifting my grandson", "lifting"),
        ("picking up a heavy box", "lifting"),
        ("i bumped it on the door", "injury"),
        ("no reason it just started", "other_cause"),
    ],
)
cases(
    SEVENTH,
    OFFER_TIMER,
    [
        ("yes please start it", "start"),
        ("no im alright thanks", "decline"),
        ("make it ten minutes", "minutes"),
        ("sorry say all that one more time", "cmd:repeat"),
    ],
)
cases(
    SEVENTH,
    "session",
    [
        ("okay okay its off", "done"),
        ("ive taken the ice away", "done"),
        ("its on", "unclear"),
        ("my legs have gone numb", L),
    ],
)


# --- the harness ---------------------------------------------------------------------------


TO_OFFER = [*SCREEN_CLEAR, "two days ago", "no", "no", "lifting"]


def _conversation(script: DialogScript, where: str) -> Conversation:
    options = ConversationOptions(plans=PLANS, today=lambda: TODAY)
    conversation = Conversation(script, options)
    conversation.start()
    for answer in TO_OFFER:
        if conversation.state == where:
            return conversation
        conversation.hear(Transcript(answer))
    assert conversation.state == where, conversation.state
    return conversation


def _onset(script: DialogScript, text: str) -> str:
    conversation = _conversation(script, "onset")
    turns = conversation.hear(Transcript(text))
    recorded = [answer for question, answer, _ in conversation.answers if question == "onset"]
    if recorded:
        if recorded[0] == "unsure":
            return "unsure"
        return "acute" if conversation.facts["acute"] is True else "later"
    if conversation.state == "onset" and turns:
        missed = turns[0].say.startswith(script.message("not_understood"))
        return "unclear" if missed else "ask"
    return "unclear"


def _offer(script: DialogScript, text: str) -> str:
    conversation = _conversation(script, OFFER_TIMER)
    conversation.hear(Transcript(text))
    if conversation.state == "timing":
        return "start"
    if conversation.state == "done":
        return "decline"
    if conversation.state == OFFER_TIMER and conversation.minutes is not None:
        return "minutes"
    return "unclear"


def meaning_of(script: DialogScript, contexts: dict[str, Context], where: str, text: str) -> str:
    questions = {k: v for k, v in contexts.items() if k not in (OFFER_TIMER, "session")}
    found = describe_understanding(understand(text, contexts[where], script.lexicon, questions))
    if found.startswith(("red:", "cmd:", "fix:")):
        return found
    if where == "onset":
        return _onset(script, text)
    if where == OFFER_TIMER:
        return _offer(script, text)
    return found


def _same(where: str, expected: str, found: str) -> bool:
    own = SCREEN_FACT.get(where)
    positive = {"yes", "unsure", f"red:{own}"}
    if own is not None and expected in positive and found in positive:
        return True
    if where == "swelling" and {expected, found} <= {"yes", "unsure"}:
        return True  # not sure counts as swelling, the cautious choice
    if where == "cause" and {expected, found} <= {"no", "other_cause", "unsure"}:
        return True  # all three set the same fact: no known cause
    if expected.startswith("red:") and found.startswith("red:"):
        return _screens(expected) <= _screens(found)
    return expected == found


def _unsafe(where: str, expected: str, found: str) -> bool:
    if _same(where, expected, found):
        return False
    own = SCREEN_FACT.get(where)
    if expected.startswith("red:"):
        wanted = set(expected[4:].split(","))
        if found.startswith("red:"):
            got = set(found[4:].split(","))
            return bool(wanted & EMERGENCY) and not got & EMERGENCY
        # Asked again (or yes) at its own question is not less urgent.
        return not (own is not None and own in wanted and found in ("unclear", "yes", "unsure"))
    if own is not None and found == "no":
        return True  # unsure, yes or unclear taken as no
    if where == "session" and found == "done":
        return True
    if where == "stiffness" and expected.startswith("fix:swelling") and found == "yes":
        return True  # swelling news taken as "stiff": heat on a swelling
    return where == "swelling" and expected in ("yes", "unsure") and found == "no"


@pytest.fixture(scope="module")
def contexts(script: DialogScript) -> dict[str, Context]:
    conversation = Conversation(script)
    found = dict(conversation.question_contexts())
    commands = {name: answer.phrases for name, answer in script.commands.items()}
    found[OFFER_TIMER] = Context(OFFER_TIMER, kind="offer", commands=commands)
    found["session"] = session_context(script)
    return {k: replace(v, previous=None) for k, v in found.items()}


# Natural answers still missed after the accuracy pass (asked again, never unsafe).
KNOWN_MISSES = {
    # "tingl*" is a yes at the legs question by design (an own word): over-triage, safe.
    "my right foot tingles sometimes",
    # Denied weight loss and chills, taken as yes: over-triage, never unsafe
    # ("lost weight" and "chills" are described symptoms, whatever the negation).
    "no, i haven't lost any weight",
    "no fever or chills",
    # "nothing" (no) and "it just came on" (none of those) mean the same, but two
    # different answers in one reply are asked again.
    "nothing really, it just came on",
    # Seventh batch (untuned: 65/97 right, 5 unsafe; after the concept rules 78/97,
    # 0 unsafe): still asked again or over-cautious, never unsafe.
    "nah im fine down there",
    "i havent been since yesterday morning and i need to",
    "nah waterworks fine",
    "not a bit of it",
    "neither of my legs feels like mine",
    "i cant lift either foot properly",
    "no it just came on when i bent over",
    "i feel rotten all over",
    "its absolutely awful",
    "no temperature no",
    "nope feel fine otherwise",
    "my mum had cancer not me",
    "no my sister did but i havent",
    "no my circulations fine",
    "on and off since the summer",
    "i got out of the car and it just went",
    "i bumped it on the door",
    "sorry say all that one more time",
    "its on",
}


@pytest.mark.parametrize(("kind", "where", "text", "meaning"), CASES)
def test_natural_answer(
    script: DialogScript,
    contexts: dict[str, Context],
    kind: str,
    where: str,
    text: str,
    meaning: str,
) -> None:
    found = meaning_of(script, contexts, where, text)
    assert not _unsafe(where, meaning, found), (kind, where, text, found)
    if text in KNOWN_MISSES:
        pytest.xfail(f"known miss: {text!r} -> {found}")
    assert _same(where, meaning, found), (kind, where, text, found)


def test_accuracy_and_safety(script: DialogScript, contexts: dict[str, Context]) -> None:
    """The whole set: 0 unsafe results, and at least 90 % right."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    unsafe: list[tuple[str, str, str, str]] = []
    wrong: list[tuple[str, str, str, str]] = []
    for kind, where, text, meaning in CASES:
        found = meaning_of(script, contexts, where, text)
        total[kind] += 1
        if _same(where, meaning, found):
            right[kind] += 1
        else:
            wrong.append((where, text, meaning, found))
        if _unsafe(where, meaning, found):
            unsafe.append((where, text, meaning, found))
    print(f"\nnatural answers: {sum(right.values())}/{len(CASES)} right")
    for kind in total:
        print(f"  {kind:12s} {right[kind]:3d}/{total[kind]:3d}")
    for row in wrong:
        print("  miss:", row)
    print("unsafe:", len(unsafe), unsafe)
    assert len(CASES) >= 250
    assert not unsafe
    assert sum(right.values()) >= 0.9 * len(CASES)


def test_sentences_are_not_duplicated() -> None:
    seen = Counter((where, text.lower()) for _, where, text, _ in CASES)
    assert [key for key, count in seen.items() if count > 1] == []


# --- the two rules added for natural answers ------------------------------------------------


def _at(script: DialogScript, contexts: dict[str, Context], where: str, text: str) -> str:
    return describe_understanding(understand(text, contexts[where], script.lexicon, contexts))


def test_soft_yes_counts_only_as_the_whole_reply(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, LEGS, "a bit") == "yes"
    assert _at(script, contexts, LEGS, "yes, a bit") == "yes"
    assert _at(script, contexts, "fever", "it is") == "yes"
    assert _at(script, contexts, LEGS, "just my left leg hurts a bit") == "unclear"
    assert _at(script, contexts, CHEST, "it's my back not my chest") == "unclear"
    assert _at(script, contexts, "cancer", "I have had it for years") == "unclear"
    # A yes word counts wherever it stands.
    assert _at(script, contexts, "cancer", "aye, years ago") == "yes"


def test_without_clear_yes_any_yes_phrase_is_a_yes(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    lexicon = script.lexicon.model_copy(update={"clear_yes": ()})
    found = understand("my left leg hurts a bit", contexts[LEGS], lexicon, contexts)
    assert describe_understanding(found) == "yes"


def test_benign_explanations_count_only_at_their_own_question(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    for text in ("no, I was just hoovering", "nope, it came on by itself"):
        assert _at(script, contexts, TRAUMA, text) == "no"
        for where in (SADDLE, BLADDER, LEGS, CHEST, "fever", "night_pain"):
            assert _at(script, contexts, where, text) == "unclear", (where, text)


def test_benign_explanations_never_cover_a_symptom_or_a_hedge(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, TRAUMA, "no I was just hoovering and I fell") == T
    assert _at(script, contexts, TRAUMA, "no I was just gardening and my legs went numb") == L
    assert _at(script, contexts, TRAUMA, "no I was just hoovering, maybe") == "unsure"
    assert _at(script, contexts, TRAUMA, "no I was just hoovering the stairs") == "unclear"


def test_dialect_spellings_are_read_as_plain_words(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, "onset", "since Monday and I cannae feel my legs") == L
    assert _at(script, contexts, SADDLE, "i dinnae think so") == "no"
    assert _at(script, contexts, BLADDER, "i've wet meself") == B
    lexicon = script.lexicon.model_copy(update={"spellings": {}})
    found = understand("I cannae walk", contexts[LEGS], lexicon, contexts)
    assert describe_understanding(found) == "unclear"
    assert _at(script, contexts, LEGS, "I cannae walk") == L


def test_not_that_i_have_noticed_is_a_no_like_not_that_i_know_of(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    for text in ("not that I know of", "not that I've noticed", "not that I can tell"):
        for where in (SADDLE, BLADDER, "fever"):
            assert _at(script, contexts, where, text) == "no", (where, text)
    # Still a hedge when it comes with uncertainty.
    assert _at(script, contexts, SADDLE, "not that I've noticed, maybe a bit") == "unsure"
    assert _at(script, contexts, SADDLE, "I haven't checked") == "unsure"


def test_a_fall_from_a_height_is_heard_even_with_the_verb_misheard(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    # Whisper heard espeak's Scottish "I fell off a ladder" as "i feel off a ladder".
    # A fall from a height is a serious fall: the fall screen's second step is yes.
    for where in (BLADDER, TRAUMA, "onset"):
        assert _at(script, contexts, where, "i feel off a ladder") == "red:serious_trauma"
        assert _at(script, contexts, where, "came down from the roof") == "red:serious_trauma"


def test_a_symptom_in_new_words_is_a_part_and_a_change_near_each_other(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    # None of these wordings is listed in dialogs/: the concept is.
    assert _at(script, contexts, "fever", "my wee just will not start") == B
    assert _at(script, contexts, SADDLE, "when i breathe in it really catches") == C
    assert _at(script, contexts, "onset", "both knees feel like jelly") == L
    # Denied, reassured, or too far apart: not a symptom.
    assert _at(script, contexts, "fever", "it catches when i breathe") == C
    assert _at(script, contexts, "fever", "it does not catch when i breathe") != C
    assert _at(script, contexts, "fever", "my wee does not leak") != B
    assert _at(script, contexts, CHEST, "my breathing is fine") == "no"
    assert _at(script, contexts, "fever", "my legs ache from the walk and i feel weak") != L


def test_apostrophes_dropped_are_read_as_written(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    for plain, dropped in (
        ("i've not been able to wee", "ive not been able to wee"),
        ("i haven't looked", "i havent looked"),
    ):
        for where in (BLADDER, "swelling"):
            assert _at(script, contexts, where, dropped) == _at(script, contexts, where, plain)


def test_another_screens_yes_belongs_to_that_screen(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, "night_pain", "hang on, my legs, yes, both gone weak") == L


def test_a_fall_that_matters_for_age_or_bones_is_an_emergency_at_any_question(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    for where in ("onset", "swelling", "cause"):
        # The fall and why it matters, together: the emergency itself, no second step.
        for text in ("I'm eighty one and I tripped on the rug", "i take steroids and i slipped"):
            assert "serious_trauma" in _at(script, contexts, where, text).split(":")[1]


def test_not_looked_at_the_swelling_question_is_not_sure(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    for text in ("i haven't looked", "I haven't checked", "no i havent checked"):
        assert _at(script, contexts, "swelling", text) == "unsure", text


def test_swelling_news_at_the_stiffness_question_revises_swelling(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, "stiffness", "it's gone puffy and hot") == "fix:swelling=yes"
    assert _at(script, contexts, "stiffness", "yes it's stiff and a bit swollen") == "yes"


def test_someone_elses_illness_is_not_the_persons(
    script: DialogScript, contexts: dict[str, Context]
) -> None:
    assert _at(script, contexts, "cancer", "my dad had bowel cancer") == "unclear"
    assert _at(script, contexts, "cancer", "my dad says i had cancer") == CANCER
    assert _at(script, contexts, "fever", "my dad had bowel cancer") == "unclear"
