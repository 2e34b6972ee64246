"""Helpers shared by the tests: the real dialog folder and a conversation driver."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voice_assistant.dialog.conversation import Conversation, ConversationOptions, Turn
from voice_assistant.dialog.script import DialogScript, load_script
from voice_assistant.events import Transcript

REPO = Path(__file__).resolve().parent.parent
DIALOGS = REPO / "dialogs"
PLANS = {
    "ice": (("ice", 15),),
    "heat": (("heat", 15),),
    "ice_then_heat": (("ice", 15), ("rest", 20), ("heat", 15)),
}


def talk(
    script: DialogScript, answers: Iterable[str], options: ConversationOptions | None = None
) -> tuple[Conversation, list[Turn]]:
    """Run a typed conversation; returns the conversation and every turn said."""
    conversation = Conversation(script, options or ConversationOptions(plans=PLANS))
    turns = conversation.start()
    for answer in answers:
        if conversation.finished:
            break
        turns += conversation.hear(Transcript(answer))
    return conversation, turns
