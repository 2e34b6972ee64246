"""Advice that can be heard: short, only the lines that apply, repeatable, gap first."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import DIALOGS, PLANS, SCREEN_CLEAR, talk

from bench.advice_length import rendered_seconds, spoken_texts
from voice_assistant.dialog.checks import word_count
from voice_assistant.dialog.conversation import ConversationOptions
from voice_assistant.dialog.script import DialogScript, load_script
from voice_assistant.dialog.states import DONE, OFFER_TIMER
from voice_assistant.errors import DialogDataError
from voice_assistant.events import Recommendation, Transcript, Turn

# One conversation per heat/ice advice (DOMAIN.md section 2, rows 4-10).
TO_ADVICE = {
    "ice_swelling_acute": [*SCREEN_CLEAR, "yesterday", "yes"],
    "ice_swelling_chronic": [*SCREEN_CLEAR, "a few months", "yes"],
    "ice_then_heat_spasm": [*SCREEN_CLEAR, "yesterday", "no", "yes"],
    "ice_exercise": [*SCREEN_CLEAR, "two days ago", "no", "no", "exercise"],
    "ice_sudden": [*SCREEN_CLEAR, "two days ago", "no", "no", "an injury"],
    "heat_stiffness": [*SCREEN_CLEAR, "a few months", "no", "yes"],
    "heat_chronic": [*SCREEN_CLEAR, "for years", "no", "no"],
}
HEAT_OR_ICE = ("ice", "heat", "ice_then_heat")
WPM = 150


def advice_turn(turns: list[Turn]) -> Turn:
    return next(t for t in turns if t.recommendation is not None)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- length ------------------------------------------------------------------------


def test_every_advice_is_within_the_word_limits(script: DialogScript) -> None:
    limits = script.limits
    assert (limits.say_words, limits.line_words) == (25, 15)
    assert limits.total_words <= 75  # about 30 s at 150 words a minute
    for name, advice in script.advice.items():
        assert word_count(advice.say) <= 25, name
        for line in script.safety_lines_for(advice):
            assert word_count(line.say) <= 15, (name, line.id)
        total = word_count(script.advice_text(advice))
        assert total * 60 / WPM < 30, (name, total)


def test_greeting_is_short(script: DialogScript) -> None:
    assert word_count(script.greeting) <= 20
    assert word_count(script.greeting) * 60 / WPM < 8


@pytest.mark.audio
def test_spoken_durations_rendered_by_espeak(script: DialogScript) -> None:
    """The real thing: the product's TTS at its default rate."""
    durations = {name: rendered_seconds(text) for name, text in spoken_texts(script).items()}
    assert durations["greeting"] < 8, durations
    for name in script.advice:
        assert 1 < durations[name] < 30, (name, durations[name])


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "dialogs"
    shutil.copytree(DIALOGS, target)
    return target


def _edit_advice(tmp_path: Path, edit: Callable[[Any], None]) -> Path:
    folder = _copy(tmp_path)
    path = folder / "advice.yaml"
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


def test_a_long_recommendation_is_reported_with_file_and_key(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["advice"]["heat_chronic"]["say"] = "Use heat. " + "Really " * 24 + "soothing."

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    message = str(info.value)
    assert "advice.yaml" in message
    assert "'advice.heat_chronic.say'" in message
    assert "27 words; at most 25" in message


def test_a_long_safety_line_is_reported_with_file_and_key(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["safety_lines"][1]["say"] += " Never, ever, not even once, not at all, please."

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    message = str(info.value)
    assert "advice.yaml" in message and "'safety_lines.1.say'" in message
    assert "at most 15" in message


def test_advice_too_long_with_its_lines_is_reported(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        # 25 words: allowed alone, too long with the safety lines of heat.
        data["advice"]["heat_chronic"]["say"] = " ".join(["Use heat gently."] * 8) + " Please."

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    message = str(info.value)
    assert "'advice.heat_chronic'" in message
    assert "with its safety lines" in message and "limits.total_words" in message


def test_a_line_for_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["safety_lines"][0]["for"] = ["ice", "sauna"]

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    assert "safety_lines.0.for" in str(info.value)


def test_heat_or_ice_advice_without_safety_lines_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        data["advice"]["ice_exercise"]["safety"] = False

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    assert "'advice.ice_exercise.safety'" in str(info.value)


def test_a_kind_with_no_line_is_refused(tmp_path: Path) -> None:
    def edit(data: Any) -> None:
        for line in data["safety_lines"]:
            line["for"] = [k for k in line["for"] if k != "heat"] or ["ice"]

    with pytest.raises(DialogDataError) as info:
        load_script(_edit_advice(tmp_path, edit))
    assert "no safety line lists 'heat'" in str(info.value)


# --- which lines --------------------------------------------------------------------


@pytest.mark.parametrize("advice_id", sorted(TO_ADVICE))
def test_only_the_lines_that_apply_are_spoken(script: DialogScript, advice_id: str) -> None:
    conversation, turns = talk(script, TO_ADVICE[advice_id])
    turn = advice_turn(turns)
    assert turn.recommendation.advice_id == advice_id  # type: ignore[union-attr]  # advice_turn found one
    kind = turn.recommendation.kind  # type: ignore[union-attr]  # advice_turn found one
    said = turn.say
    assert said.startswith(flat(script.advice[advice_id].say))
    for line in script.safety_lines:
        assert (flat(line.say) in said) == (kind in line.kinds), line.id
    heating_pad = "heating pad" in said.lower()
    assert heating_pad == (kind in ("heat", "ice_then_heat"))
    assert conversation.state == OFFER_TIMER


def test_every_safety_message_of_the_domain_is_said_somewhere(script: DialogScript) -> None:
    """DOMAIN.md section 4, message by message, where it belongs."""
    from voice_assistant.session.plans import load_session_config

    by_kind = {
        kind: [script.advice_text(a).lower() for a in script.advice.values() if a.kind == kind]
        for kind in (*HEAT_OR_ICE, "seek_care")
    }
    with_pack = [text for kind in HEAT_OR_ICE for text in by_kind[kind]]
    assert all("towel" in t for t in with_pack)
    assert all("fall asleep" in t and "lie on it" in t for t in with_pack)
    for text in [*by_kind["heat"], *by_kind["ice_then_heat"]]:
        assert "heating pads on low or medium, then switch off" in text
    for text in with_pack:
        assert "check your skin" in text
        for sign in ("very red", "white", "blotchy", "blistered", "numb", "sore"):
            assert sign in text
        assert "if the pain gets worse, stop" in text
        assert "new numbness between your legs, bladder or bowel trouble, or weak legs" in text
    # Same-day and ask-first advice keep the emergency signs too; emergency is the call.
    for name in ("same_day", "ask_first"):
        assert "New numbness between your legs" in script.advice_text(script.advice[name])
    # Said when a session ends, the timer is declined, or it is too soon for a pack.
    config = load_session_config()
    endings = [
        script.message("declined"),
        script.message("gap_goodbye"),
        config.say("announcements.plan_done"),
        config.say("commands.stop_pack_on", pack="the ice"),
        config.say("commands.stop_no_pack"),
    ]
    for text in endings:
        assert "Gentle movement helps" in text
        assert "about three days" in text and "stops you doing normal things" in text
        assert "doctor, pharmacist or physiotherapist" in text


def test_emergency_first_sentence_is_the_action(script: DialogScript) -> None:
    text = script.advice_text(script.advice["emergency"])
    first = text.split(".")[0]
    assert first.startswith("Call emergency services now")
    assert "999" in first and "911" in first and "112" in first
    assert "Do not use heat or ice" in text
    for name in ("same_day", "ask_first"):
        first = script.advice[name].say.split(":")[0].split(".")[0]
        assert "doctor" in first, name


# --- repeat ------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["repeat", "say that again", "pardon"])
def test_repeat_at_the_offer_replays_the_advice_then_the_offer(
    script: DialogScript, words: str
) -> None:
    conversation, turns = talk(script, TO_ADVICE["heat_chronic"])
    advice = advice_turn(turns).say
    offer = turns[-1].say
    assert turns[-1].state == OFFER_TIMER
    [again] = conversation.hear(Transcript(words))
    assert again.say == f"{advice} {offer}"
    assert again.state == OFFER_TIMER and again.expects
    # And still at the offer: start works afterwards.
    [start] = conversation.hear(Transcript("start"))
    assert start.start_timer


def test_help_at_the_offer_still_explains(script: DialogScript) -> None:
    conversation, _ = talk(script, TO_ADVICE["ice_sudden"])
    [reply] = conversation.hear(Transcript("help"))
    assert reply.say == script.message("offer_timer_help")


# --- too soon -------------------------------------------------------------------------


def test_too_soon_says_the_wait_before_the_advice_and_offers_no_timer(
    script: DialogScript,
) -> None:
    seen = []

    def check_gap(rec: Recommendation) -> str:
        seen.append(rec.kind)
        return (
            "You used ice forty minutes ago; the next ice session can start in an hour "
            "and twenty minutes, at 4:35 pm."
        )

    options = ConversationOptions(plans=PLANS, check_gap=check_gap)
    conversation, turns = talk(script, TO_ADVICE["ice_sudden"], options)
    assert seen == ["ice"]
    turn = advice_turn(turns)
    assert turn.say == (
        "You used ice forty minutes ago; the next ice session can start in an hour and "
        "twenty minutes, at 4:35 pm. " + script.advice_text(script.advice["ice_sudden"])
    )
    assert conversation.state == DONE
    assert turns[-1].end and turns[-1].say == script.message("gap_goodbye")
    assert all(t.state != OFFER_TIMER for t in turns)


def test_too_soon_with_the_real_journal_speaks_times_in_words(
    script: DialogScript, tmp_path: Path
) -> None:
    from datetime import UTC

    from test_journal import run_session

    from voice_assistant.clock import FakeClock
    from voice_assistant.session.journal.journal import open_journal
    from voice_assistant.session.plans import load_session_config

    config = load_session_config()
    clock = FakeClock()
    journal = open_journal(tmp_path / "data", config, tz=UTC)
    try:
        run_session(journal, config, "ice", clock, until=2000)  # ice off at 905 s
        clock.set(905 + 40 * 60)
        options = ConversationOptions(
            plans=PLANS, check_gap=lambda rec: journal.gap_check(rec.kind, clock.wall_time())
        )
        _, turns = talk(script, TO_ADVICE["ice_exercise"], options)
    finally:
        journal.close()
    said = advice_turn(turns).say
    assert said.startswith(
        "You used ice forty minutes ago; the next ice session can start in an hour and "
        "twenty minutes, at 10:16 am. Use ice."
    )
