"""The triage conversation's states and the transitions between them.

Kept apart from :mod:`voice_assistant.dialog.conversation` so the sub-dialogs
and the session controller can name states without importing the
conversation. Question states are the question ids from ``dialogs/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from transitions import Machine

GREETING = "greeting"
CONFIRMING = "confirming"
RECOMMENDATION = "recommendation"
OFFER_TIMER = "offer_timer"
TIMING = "timing"
DONE = "done"

OFFER_EXPECTS = ("start", "minutes", "decline")
CONFIRM_EXPECTS = ("yes", "no")


def triage_machine(
    model: object, question_ids: Sequence[str], heads_to: Callable[[str], Callable[[], bool]]
) -> Machine:
    """The state graph, with its triggers bound onto ``model``.

    ``advance`` goes wherever ``heads_to(dest)`` says the decision table leads
    (the next needed question, or the advice); the other triggers have one
    destination each.
    """
    states = [GREETING, *question_ids, CONFIRMING, RECOMMENDATION, OFFER_TIMER, TIMING, DONE]
    machine = Machine(
        model=model,
        states=states,
        initial=GREETING,
        queued=True,
        auto_transitions=False,
        model_attribute="state",
    )
    # From the timer offer too: a red flag or a correction decides again.
    for source in [GREETING, *question_ids, CONFIRMING, OFFER_TIMER]:
        for dest in [*question_ids, RECOMMENDATION]:
            machine.add_transition("advance", source, dest, conditions=[heads_to(dest)])
    for question_id in question_ids:
        machine.add_transition("confirm", question_id, CONFIRMING)
    machine.add_transition("offer", RECOMMENDATION, OFFER_TIMER)
    machine.add_transition("begin_timing", OFFER_TIMER, TIMING)
    machine.add_transition("restart", [*question_ids, CONFIRMING, OFFER_TIMER], GREETING)
    machine.add_transition("finish", "*", DONE)
    return machine
