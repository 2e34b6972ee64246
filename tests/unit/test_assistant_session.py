"""The whole assistant under a fake clock: conversation, timed plan, journal, faults."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from support import DIALOGS, SCREEN_CLEAR

from voice_assistant.app import build_assistant, tell_interrupted
from voice_assistant.clock import FakeClock
from voice_assistant.dialog.script import DialogScript
from voice_assistant.errors import JournalError, SpeakerError
from voice_assistant.events import Shutdown, Transcript
from voice_assistant.ports import Speaker
from voice_assistant.runtime.assistant import Assistant
from voice_assistant.runtime.output import MemorySink, TurnRecord
from voice_assistant.session.journal.journal import Journal, open_journal
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import SessionConfig, load_session_config
from voice_assistant.speech.speakers import FallbackSpeaker, RecordingSpeaker

CLEAR = SCREEN_CLEAR
ICE_THEN_HEAT = [*CLEAR, "yesterday", "no", "yes"]  # recent, no swelling, stiff
ICE = [*CLEAR, "two days ago", "yes"]  # recent, swollen
HEAT = [*CLEAR, "years", "no", "no"]


@pytest.fixture
def config() -> SessionConfig:
    return load_session_config(DIALOGS / "session.yaml")


class Rig:
    """An assistant with a fake clock, a recording speaker and a real journal."""

    def __init__(
        self,
        script: DialogScript,
        config: SessionConfig,
        journal: Journal,
        clock: FakeClock | None = None,
        speaker: Speaker | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.sink = MemorySink()
        self.speaker = speaker or RecordingSpeaker()
        self.journal = SafeJournal(journal, self.sink.notice, "journal failed: {detail}")
        self.assistant: Assistant = build_assistant(
            script, config, self.journal, self.speaker, self.clock, self.sink
        )

    def run(
        self,
        answers: Iterable[str],
        timeline: Iterable[tuple[float, str]] = (),
        until: float = 10_000.0,
    ) -> list[tuple[float, str, str]]:
        """Answer the questions at the current time, then speak ``timeline`` at its times."""
        assistant, clock = self.assistant, self.clock
        assistant.begin()
        for answer in answers:
            assistant.handle(Transcript(answer))
        pending = deque(timeline)
        while not assistant.done and clock.now() <= until:
            while pending and pending[0][0] <= clock.now():
                assistant.handle(Transcript(pending.popleft()[1]))
            assistant.tick()
            if assistant.done:
                break
            times = [t for t in (assistant.next_wake(), pending[0][0] if pending else None) if t]
            if not times:
                break
            clock.set(max(min(times), clock.now() + 1e-3))
        return [(r.t, r.extra.get("event", r.state), r.say) for r in self.sink.records]


def session_turns(
    records: list[tuple[float, str, str]], start: float = 0.0
) -> list[tuple[float, str, str]]:
    return [(round(t - start, 1), kind, say) for t, kind, say in records if t >= start]


def test_full_ice_then_heat_plan_under_a_fake_clock(
    script: DialogScript, config: SessionConfig
) -> None:
    rig = Rig(script, config, Journal.in_memory(config), FakeClock(wall_start=1_800_000_000))
    records = rig.run(
        [*ICE_THEN_HEAT, "start"],
        timeline=[(300, "how long left"), (905, "done, it's off"), (2110, "start"), (3011, "done")],
    )
    timed = [(round(t), kind) for t, kind, _ in records if kind not in ("greeting",)]
    kinds = [kind for _, kind in timed]
    assert kinds[-12:] == [
        "start",
        "remaining",
        "halfway",
        "one_minute",
        "times_up",
        "rest_start",
        "phase_next",
        "start",
        "halfway",
        "one_minute",
        "times_up",
        "plan_done",
    ]
    expected_times = {
        "halfway": [450, 2560],
        "one_minute": [840, 2950],
        "times_up": [900, 3010],
        "rest_start": [905],
        "phase_next": [2105],
        "plan_done": [3011],
    }
    for kind, times in expected_times.items():
        assert [t for t, k in timed if k == kind] == times, kind
    texts = [say for _, _, say in records]
    assert "Fifteen minutes of ice, starting now." in texts
    assert "Ten minutes of ice left." in texts  # asked at 300 s
    assert any("take the ice off now" in say for say in texts)
    assert any("Now rest for twenty minutes" in say for say in texts)
    assert "Fifteen minutes of heat, starting now." in texts
    assert any("next ice can start at" in say for say in texts)
    assert rig.assistant.done
    history = rig.journal.history(5)
    assert len(history) == 1
    assert history[0].ended_how == "completed"


def test_pause_and_resume_shift_the_schedule(script: DialogScript, config: SessionConfig) -> None:
    rig = Rig(script, config, Journal.in_memory(config))
    records = rig.run([*ICE, "start"], timeline=[(100, "pause"), (400, "resume"), (1205, "done")])
    times = {kind: round(t) for t, kind, _ in records}
    assert times["paused"] == 100
    assert times["times_up"] == 900 + 300
    paused_text = next(say for _, kind, say in records if kind == "paused")
    assert "thirteen minutes" in paused_text.lower()


def test_pause_means_the_pack_comes_off_and_back_on_means_resume(
    script: DialogScript, config: SessionConfig
) -> None:
    rig = Rig(script, config, Journal.in_memory(config))
    records = rig.run(
        [*ICE, "start"], timeline=[(100, "pause"), (160, "it's back on"), (965, "done")]
    )
    paused = next(say for _, kind, say in records if kind == "paused")
    assert "Take the ice off now" in paused
    resumed = next((t, say) for t, kind, say in records if kind == "resumed")
    assert resumed[0] == 160 and "Put the ice back on" in resumed[1]
    times = {kind: round(t) for t, kind, _ in records}
    assert times["times_up"] == 960  # 900 s of ice + the 60 s pause
    # Pauses and resumes are in the journal, with what was said.
    session_id = rig.journal.history(1)[0].session_id
    kinds = [kind for kind, _ in rig.journal.events(session_id)]
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("times_up")
    actual = rig.journal.history(1)[0].actual_minutes
    assert actual is not None and actual <= 15 + 0.1  # pack time: the pause is not counted


def test_a_forgotten_pause_ends_in_times_up_at_the_cap(
    script: DialogScript, config: SessionConfig
) -> None:
    """A twenty-minute session with a forgotten pause, run in milliseconds."""
    import time

    rig = Rig(script, config, Journal.in_memory(config))
    began = time.perf_counter()
    records = rig.run(
        [*ICE, "make it twenty minutes", "start"],
        timeline=[(600, "pause"), (1290, "done")],
    )
    assert time.perf_counter() - began < 5  # 21.5 minutes of clock time
    times_up = [(round(t), say) for t, kind, say in records if kind == "times_up"]
    # Ten minutes on, then paused: never past twenty minutes from the start.
    assert times_up == [
        (
            1200,
            "That pause has used up the twenty minutes this ice may take. "
            "Time's up: take the ice off now. Say done when it's off.",
        )
    ]
    assert any(kind == "times_up_repeat" for _, kind, _ in records)
    assert any(say.startswith("Good, the ice is off.") for _, _, say in records)
    assert rig.journal.history(1)[0].ended_how == "completed"


def test_make_it_ten_minutes_and_refuse_thirty(script: DialogScript, config: SessionConfig) -> None:
    rig = Rig(script, config, Journal.in_memory(config))
    records = rig.run(
        [
            *HEAT,
            "make it thirty minutes",
            "make it ten minutes",
            "start",
        ],
        timeline=[(601, "done")],
    )
    says = [say for _, _, say in records]
    assert any("twenty minutes" in say and "burn" in say for say in says)
    assert "Ten minutes of heat, starting now." in says
    assert [round(t) for t, kind, _ in records if kind == "times_up"] == [600]


def test_stop_mid_session_tells_to_take_pack_off(
    script: DialogScript, config: SessionConfig
) -> None:
    rig = Rig(script, config, Journal.in_memory(config))
    records = rig.run([*ICE, "start"], timeline=[(60, "stop")])
    assert "Take the ice off now" in records[-1][2]
    assert rig.journal.history(1)[0].ended_how == "stopped"


def test_gap_is_enforced_between_sessions(
    script: DialogScript, config: SessionConfig, tmp_path: Path
) -> None:
    clock = FakeClock(wall_start=1_800_000_000)
    first = Rig(script, config, open_journal(tmp_path, config), clock)
    first.run([*ICE, "start"], timeline=[(901, "done")])
    clock.advance(30 * 60)
    second = Rig(script, config, open_journal(tmp_path, config), clock)
    records = second.run(ICE)
    # The wait is said first, then the advice; no timer is offered.
    kind, say = records[-2][1], records[-2][2]
    assert kind == "recommendation"
    assert say.startswith(
        "You used ice thirty minutes ago; the next ice session can start in an hour and a half"
    )
    assert say.index("can start in") < say.index("Use ice")
    assert records[-1][1] == "done" and records[-1][2] == script.message("gap_goodbye")
    assert not any(kind == "offer_timer" for _, kind, _ in records)


def test_interrupted_session_is_announced_first(
    script: DialogScript, config: SessionConfig, tmp_path: Path
) -> None:
    clock = FakeClock(wall_start=1_800_000_000)
    first = Rig(script, config, open_journal(tmp_path, config), clock)
    first.run([*ICE, "start"], until=420)  # seven minutes in; then the laptop dies
    clock.advance(7 * 60)
    second = Rig(script, config, open_journal(tmp_path, config), clock)
    tell_interrupted(second.journal, second.speaker, clock, second.sink)
    second.assistant.begin()
    opening = second.sink.records[0]
    assert opening.state == "notice"
    assert "ice session was interrupted seven" in opening.say
    assert "eight minutes left" in opening.say
    assert "take it off now" in opening.say.lower()
    assert second.sink.records[1].state == "greeting"


def test_shutdown_mid_session_records_interrupted(
    script: DialogScript, config: SessionConfig
) -> None:
    rig = Rig(script, config, Journal.in_memory(config))
    rig.run([*ICE, "start"], until=120)
    rig.assistant.handle(Shutdown("SIGTERM"))
    assert rig.assistant.done
    assert "Take the ice off now" in rig.sink.records[-1].say
    assert rig.journal.history(1)[0].ended_how == "interrupted"


class BrokenJournal(Journal):
    """Writes fail as on a full disk, after the session has begun."""

    def record_event(self, *args: Any, **kwargs: Any) -> None:
        raise JournalError("database or disk is full")

    heartbeat = record_event


def test_full_disk_keeps_timing_and_says_so_once(
    script: DialogScript, config: SessionConfig
) -> None:
    journal = BrokenJournal.in_memory(config)
    assert isinstance(journal, BrokenJournal)
    rig = Rig(script, config, journal)
    records = rig.run([*ICE, "start"], timeline=[(901, "done")])
    kinds = [kind for _, kind, _ in records]
    assert "times_up" in kinds and "plan_done" in kinds
    assert len([n for n in rig.sink.notices if "journal failed" in n]) == 1


class FailingSpeaker(RecordingSpeaker):
    def say(self, text: str) -> None:
        raise SpeakerError("The speaker stopped working.")

    def chime(self, kind: str = "times_up") -> None:
        raise SpeakerError("The speaker stopped working.")


def test_failing_speaker_never_silences_times_up(
    script: DialogScript, config: SessionConfig
) -> None:
    notices: list[str] = []
    bell = io.StringIO()
    speaker = FallbackSpeaker(FailingSpeaker(), notices.append, lambda d: d, bell=bell)
    rig = Rig(script, config, Journal.in_memory(config), speaker=speaker)
    records = rig.run([*ICE, "start"], timeline=[(901, "done")])
    assert any("take the ice off now" in say for _, _, say in records)  # still printed
    assert notices == ["The speaker stopped working."]
    assert "\a" in bell.getvalue()  # chimes fall back to the terminal bell


def test_the_interrupted_warning_is_marked_told_only_after_it_was_said(
    script: DialogScript, config: SessionConfig, tmp_path: Path
) -> None:
    """F10: killed while printing the warning, the next start must still say it."""
    clock = FakeClock(wall_start=1_800_000_000)
    first = Rig(script, config, open_journal(tmp_path, config), clock)
    first.run([*ICE, "start"], until=420)
    clock.advance(60)

    class Killed(BaseException):
        pass

    class KilledAtFirstWrite(MemorySink):
        def turn(self, record: TurnRecord) -> None:
            raise Killed

    second = Rig(script, config, open_journal(tmp_path, config), clock)
    with pytest.raises(Killed):
        tell_interrupted(second.journal, second.speaker, clock, KilledAtFirstWrite())
    third = Rig(script, config, open_journal(tmp_path, config), clock)
    tell_interrupted(third.journal, third.speaker, clock, third.sink)
    assert "ice session was interrupted" in third.sink.records[0].say
    fourth = Rig(script, config, open_journal(tmp_path, config), clock)
    tell_interrupted(fourth.journal, fourth.speaker, clock, fourth.sink)
    assert fourth.sink.records == []  # told once it was said


def timing(
    script: DialogScript, config: SessionConfig, answers: list[str]
) -> tuple[Rig, list[str]]:
    """A rig whose session has started after ``answers``, and the list of what it said."""
    speaker = RecordingSpeaker()
    rig = Rig(script, config, Journal.in_memory(config), speaker=speaker)
    rig.assistant.begin()
    for answer in [*answers, "start"]:
        rig.assistant.handle(Transcript(answer))
    return rig, speaker.spoken


def test_speech_not_understood_in_a_session_gets_help_when_it_matters(
    script: DialogScript, config: SessionConfig
) -> None:
    """A misheard "resume" used to leave the session paused, in silence, until the cap."""
    rig, spoken = timing(script, config, ICE)
    assistant = rig.assistant
    unheard = Transcript("", 0.0, "audio")
    before = len(spoken)
    assistant.handle(unheard)  # once while timing: noise, or talk to someone else
    assert len(spoken) == before
    assistant.handle(unheard)  # twice in a row: the person is trying to say something
    assert len(spoken) == before + 1 and "pause" in spoken[-1].lower()
    assistant.handle(Transcript("pause"))
    before = len(spoken)
    assistant.handle(unheard)  # paused: at once, or the session would wait in silence
    assert len(spoken) == before + 1 and "resume" in spoken[-1].lower()


def test_a_red_flag_in_a_session_is_said_first_and_alone(
    script: DialogScript, config: SessionConfig
) -> None:
    rig, spoken = timing(script, config, HEAT)
    assistant = rig.assistant
    rig.clock.set(120.0)
    assistant.tick()
    before = len(spoken)
    assistant.handle(Transcript("both my legs have gone weak"))
    said = spoken[before:]
    assert said[0].startswith("Take the pack off now. Call emergency services now"), said
    assert not any("can start" in line for line in said)
    assert not any("Take care of your back" in line for line in said)
