"""Hostile input, part 2 (issue 11): each test injects one fault and checks what the person is told.

Bad command-line values exit 2 with a sentence; bad typed lines are skipped and
reported once while the session goes on; nothing ends in a traceback.
"""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from audio_synth import requires_espeak, synth_wav
from support import DIALOGS, REPO, SCREEN_CLEAR, json_turns, run_cli

from voice_assistant import app, cli
from voice_assistant.adapters.audio import mic
from voice_assistant.adapters.text.console import MAX_LINE_CHARACTERS, ConsoleInput, parse_line
from voice_assistant.dialog.checks import PLACEHOLDERS
from voice_assistant.dialog.script import FILES, load_script, script_from_yaml
from voice_assistant.errors import AssistantError, DialogDataError
from voice_assistant.events import InputClosed, Scheduled, Transcript
from voice_assistant.hearing.listener import parse_clip_argument
from voice_assistant.hearing.timing_marks import BadTimeMark
from voice_assistant.runtime import data_folder
from voice_assistant.settings.config_file import load_settings, parse_settings

NO_SIX = "no\n" * 6


def run_bytes(*args: str, stdin: bytes, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Like run_cli, but stdin is raw bytes (to inject text that is not UTF-8)."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO))
    full_env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="hoi-config-")
    full_env["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="hoi-data-")
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "voice_assistant", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("HEAT_OR_ICE_CONFIG", raising=False)
    return tmp_path


# --------------------------------------------------------------------------- settings file


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000,  # lists inside lists
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,  # inline tables inside inline tables
    ],
)
def test_deeply_nested_settings_file_is_explained_not_a_recursion_error(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    result = load_settings(path, explicit=True)
    assert len(result.problems) == 1
    assert "nested too deeply" in result.problems[0]
    assert str(path) in result.problems[0]
    assert result.settings == parse_settings("").settings  # the defaults


def test_deeply_nested_settings_file_on_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000)
    result = run_cli("--text", "--mute", "--config", str(path), stdin="stop\n")
    assert result.returncode == 0
    assert "nested too deeply" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Okay, stopping" in result.stdout  # the assistant still ran, with the defaults


# --------------------------------------------------------------------------- --clock-speed


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "0", "-5", "1001", "-inf"])
def test_clock_speed_out_of_range_exits_2_with_a_sentence(
    isolated: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code = cli.main(["--text", "--mute", "--data-dir", str(isolated), f"--clock-speed={value}"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--clock-speed" in err
    assert "greater than 0 and at most 1000" in err


def test_clock_speed_in_settings_file_is_capped_too(tmp_path: Path) -> None:
    result = parse_settings("[debug]\nclock_speed = 1e308\n", path=tmp_path / "s.toml")
    assert result.settings.clock_speed == 1.0
    assert "at most 1000" in result.problems[0]


# --------------------------------------------------------------------------- @ times


@pytest.mark.parametrize("argument", ["a.wav@inf", "a.wav@nan", "a.wav@-5", "a.wav@1e400"])
def test_audio_in_bad_time_exits_2_before_the_session(
    isolated: Path, capsys: pytest.CaptureFixture[str], argument: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--mute", "--data-dir", str(isolated), "--audio-in", argument])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--audio-in" in err and "seconds from 0 to 86400" in err
    assert "Traceback" not in err


def test_clip_argument_keeps_at_signs_that_are_part_of_a_name() -> None:
    assert parse_clip_argument("me@home.wav") == (Path("me@home.wav"), None)
    assert parse_clip_argument("pause.wav@90") == (Path("pause.wav"), 90.0)
    with pytest.raises(BadTimeMark):
        parse_clip_argument("pause.wav@86401")


@pytest.mark.parametrize("mark", ["@1e400", "@nan", "@-5", "@inf", "@" + "9" * 400, "@soon"])
def test_typed_line_with_a_bad_time_is_refused_not_taken_as_an_answer(mark: str) -> None:
    with pytest.raises(BadTimeMark, match="seconds from 0 to 86400"):
        parse_line(f"{mark} no")
    assert parse_line("@90 how long left") == Scheduled(90.0, Transcript("how long left"))


def test_bad_time_lines_are_skipped_told_once_and_the_session_goes_on() -> None:
    # "@-5 no" used to count as the answer "no"; "@999..." crashed the session timer.
    rest = "no\n" * (len(SCREEN_CLEAR) - 1)
    stdin = "no\n@-5 no\n@1e400 how long left\n" + rest + "two days ago\nyes\nstart\n"
    stdin += "@" + "9" * 400 + " how long left\n@5 how long left\n"
    result = run_cli("--text", "--mute", "--json", "--clock-speed", "1000", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("of the typed input was skipped") == 1
    assert 'Line 2 of the typed input was skipped: "@-5" is not a usable time' in result.stderr
    turns = json_turns(result.stdout)
    heard = [t["heard"] for t in turns if "heard" in t]
    assert heard[: len(SCREEN_CLEAR)] == SCREEN_CLEAR  # the skipped lines were not answers
    events = [t.get("event") for t in turns]
    assert "start" in events and "remaining" in events  # the @5 line still worked


# --------------------------------------------------------------------------- stdin bytes


def test_console_skips_a_line_that_is_not_utf8_and_reads_the_rest() -> None:
    raw = b"no\n\xff\xfe broken\nyes\n\xc3 also broken\nstop\n"
    stream = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    inbox: queue.Queue[object] = queue.Queue()
    problems: list[tuple[str, dict[str, object]]] = []
    reader = ConsoleInput(
        stream, inbox, on_problem=lambda key, values: problems.append((key, values))
    )
    reader.start()
    reader._thread.join(5)
    events = [inbox.get_nowait() for _ in range(inbox.qsize())]
    assert events == [Transcript("no"), Transcript("yes"), Transcript("stop"), InputClosed()]
    assert problems == [("unreadable_line", {"line": 2})]  # told once, not for line 4


def _read_all(stream: Any) -> tuple[list[object], list[tuple[str, dict[str, object]]]]:
    inbox: queue.Queue[object] = queue.Queue()
    problems: list[tuple[str, dict[str, object]]] = []
    reader = ConsoleInput(
        stream, inbox, on_problem=lambda key, values: problems.append((key, values))
    )
    reader.start()
    reader._thread.join(20)
    return [inbox.get_nowait() for _ in range(inbox.qsize())], problems


def test_console_cuts_an_over_long_line_and_reads_the_next_one() -> None:
    """A paste of a megabyte: its first 2,000 characters are the answer, said once."""
    raw = b"no\n" + "\u00e9".encode() * 500_000 + b"\n" + b"x" * 9000 + b"\nstop\n"
    events, problems = _read_all(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    long = "\u00e9" * MAX_LINE_CHARACTERS  # two bytes each: no character cut in two
    assert events == [
        Transcript("no"),
        Transcript(long),
        Transcript("x" * MAX_LINE_CHARACTERS),
        Transcript("stop"),
        InputClosed(),
    ]
    assert problems == [("long_line", {"line": 2, "limit": MAX_LINE_CHARACTERS})]


def test_console_cuts_a_text_stream_line_too() -> None:
    events, problems = _read_all(io.StringIO("a" * 5000 + "\nstop\n"))
    assert events == [Transcript("a" * MAX_LINE_CHARACTERS), Transcript("stop"), InputClosed()]
    assert [key for key, _ in problems] == ["long_line"]


class _EndlessZeros:
    """stdin from /dev/zero: bytes and never a newline (here 100 MB, then EOF)."""

    def __init__(self) -> None:
        self.left = 100_000_000
        self.largest_read = 0

    def readline(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read"
        self.largest_read = max(self.largest_read, size)
        piece = min(size, self.left)
        self.left -= piece
        return b"\0" * piece


def test_console_reads_a_line_without_newline_in_bounded_pieces() -> None:
    zeros = _EndlessZeros()
    events, problems = _read_all(type("Stdin", (), {"buffer": zeros})())
    assert zeros.left == 0 and zeros.largest_read <= 65536
    assert events == [Transcript("\0" * MAX_LINE_CHARACTERS), InputClosed()]
    assert [key for key, _ in problems] == ["long_line"]


def test_a_line_that_never_ends_is_answered_at_once_not_after_its_end() -> None:
    """/dev/zero never sends a newline: its start is delivered (and the cut told) while
    the rest is still being thrown away."""
    read_fd, write_fd = os.pipe()
    with open(read_fd, "rb") as raw, open(write_fd, "wb", buffering=0) as feed:
        inbox: queue.Queue[object] = queue.Queue()
        problems: list[str] = []
        reader = ConsoleInput(
            type("Stdin", (), {"buffer": raw})(),
            inbox,
            on_problem=lambda key, values: problems.append(key),
        )
        reader.start()
        feed.write(b"n" * 10_000)  # and nothing more for now
        assert inbox.get(timeout=10) == Transcript("n" * MAX_LINE_CHARACTERS)
        assert problems == ["long_line"]
        feed.write(b"n" * 100_000 + b"\nstop\n")
        assert inbox.get(timeout=10) == Transcript("stop")


def test_cli_endless_line_is_cut_and_said_once_without_a_traceback() -> None:
    code, out, err = run_bytes("--text", "--mute", stdin=b"no\n" + b"n" * 3_000_000 + b"\nstop\n")
    assert code == 0, err
    assert "Traceback" not in err
    assert err.count("Line 2 of the typed input was longer than 2000 characters") == 1
    assert "Okay, stopping" in out  # line 3 was still read


def test_cli_invalid_utf8_on_stdin_skips_that_line_and_keeps_the_rest() -> None:
    code, out, err = run_bytes("--text", "--mute", stdin=b"no\n\xff\xfeno\nno\nstop\n")
    assert code == 0
    assert "Traceback" not in err
    assert err.count("Line 2 of the typed input is not UTF-8 text, so I skipped it.") == 1
    assert "Okay, stopping" in out  # "stop" on line 4 was still read


def test_json_output_is_valid_utf8_whatever_the_terminal_encoding() -> None:
    code, out, err = run_bytes(
        "--text",
        "--mute",
        "--json",
        stdin="café ☕\nstop\n".encode(),
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert code == 0, err
    assert "Traceback" not in err
    turns = [json.loads(line) for line in out.splitlines()]
    assert next(t["heard"] for t in turns if "heard" in t) == "café ☕"
    assert out.isascii()


# --------------------------------------------------------------------------- dialog placeholders


def real_texts() -> dict[str, str]:
    return {name: (DIALOGS / name).read_text(encoding="utf-8") for name in FILES}


Edit = Callable[[Any], object]


def edited(name: str, edit: Edit) -> dict[str, str]:
    texts = real_texts()
    data = yaml.safe_load(texts[name])
    edit(data)
    texts[name] = yaml.safe_dump(data, allow_unicode=True)
    return texts


@pytest.mark.parametrize(
    ("name", "edit", "key", "problem"),
    [
        (
            "messages.yaml",
            lambda d: d["conversation"].update(minutes_set="{minutess} minutes it is."),
            "conversation.minutes_set",
            r"unknown placeholder \{minutess\}. Placeholders allowed here: \{minutes\}",
        ),
        (
            "messages.yaml",
            lambda d: d["devices"].update(no_microphone="{details} Type instead."),
            "devices.no_microphone",
            r"unknown placeholder \{details\}",
        ),
        (
            "messages.yaml",
            lambda d: d["conversation"].update(goodbye="Goodbye {name}."),
            "conversation.goodbye",
            r"unknown placeholder \{name\}. Placeholders allowed here: none",
        ),
        (
            "messages.yaml",
            lambda d: d["conversation"].update(help_question="Please answer {answers."),
            "conversation.help_question",
            r"a \{ or \} is unmatched",
        ),
        (
            "triage.yaml",
            lambda d: d["questions"][1].update(ask="Any {symptom} today?"),
            "questions.1.ask",
            r"unknown placeholder \{symptom\}",
        ),
        (
            "advice.yaml",
            lambda d: d["safety_lines"][0].update(say="Wrap the {pack}."),
            "safety_lines.0.say",
            r"unknown placeholder \{pack\}",
        ),
    ],
)
def test_unknown_placeholder_is_rejected_at_load_with_file_and_key(
    name: str, edit: Edit, key: str, problem: str
) -> None:
    with pytest.raises(DialogDataError, match=rf"{name}: key '{key}': {problem}"):
        script_from_yaml(edited(name, edit))


def test_every_allowed_placeholder_names_a_real_message_and_the_real_files_load() -> None:
    script = load_script(DIALOGS)
    for where in PLACEHOLDERS:
        section, key = where.split(".")
        table = script.messages if section == "conversation" else script.device_messages
        assert key in table, where


def test_unknown_placeholder_stops_the_cli_with_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "dialogs"
    folder.mkdir()
    for name, text in edited(
        "messages.yaml", lambda d: d["conversation"].update(minutes_set="{minutess} it is.")
    ).items():
        (folder / name).write_text(text)
    (folder / "session.yaml").write_text((DIALOGS / "session.yaml").read_text())
    result = run_cli("--text", "--mute", "--dialogs", str(folder), stdin="no\n")
    assert result.returncode == 2
    assert "messages.yaml: key 'conversation.minutes_set': unknown placeholder" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- always-on


class _NoMicrophone(mic.MicrophoneSource):
    def open(self) -> None:
        raise AssistantError("No microphone found (fault injected).")


class _Stdin(io.StringIO):
    def __init__(self, text: str, tty: bool) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def run_wake(monkeypatch: pytest.MonkeyPatch, home: Path, stdin: _Stdin) -> int:
    monkeypatch.setattr(mic, "MicrophoneSource", _NoMicrophone)
    monkeypatch.setattr(app, "_install_signal_handlers", lambda *args: None)
    monkeypatch.setattr(sys, "stdin", stdin)
    args = cli.build_parser().parse_args(["--wake", "--mute", "--data-dir", str(home)])
    return app.run_assistant(cli.run_options(args), cli.build_settings(args))


def test_wake_without_microphone_under_systemd_exits_1_after_saying_why(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_wake(monkeypatch, isolated, _Stdin("", tty=False))
    assert code == 1  # non-zero: Restart=on-failure starts it again
    captured = capsys.readouterr()
    assert "No microphone found (fault injected)." in captured.err
    assert "Always-on mode needs a microphone, so I'm stopping now" in captured.err
    assert "type your answers" not in captured.err


def test_wake_without_microphone_on_a_terminal_still_lets_you_type(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_wake(monkeypatch, isolated, _Stdin("okay heat or ice\nstop\n", tty=True))
    assert code == 0
    captured = capsys.readouterr()
    assert "type your answers here" in captured.err
    assert "I'm listening." in captured.out and "Okay, stopping" in captured.out


def test_service_file_and_readme_document_the_exit() -> None:
    from voice_assistant.commands.service import UNIT_TEMPLATE as service

    assert "Restart=on-failure" in service
    assert "no microphone" in service.lower()
    readme = (REPO / "README.md").read_text()
    always_on = readme.split("## Always-on mode", 1)[1].split("\n## ", 1)[0]
    assert "exits with code 1" in always_on


@pytest.mark.audio
@requires_espeak
def test_wake_with_audio_in_hears_the_first_clip_as_the_wake_phrase(tmp_path: Path) -> None:
    wake = synth_wav("okay heat or ice", tmp_path / "wake.wav")
    yes = synth_wav("yes", tmp_path / "yes.wav")
    result = run_cli(
        "--wake", "--mute", "--json", "--data-dir", str(tmp_path), "--audio-in", str(wake), str(yes)
    )
    assert result.returncode == 0, result.stderr
    turns = json_turns(result.stdout)
    assert turns[0]["say"] == 'I\'m ready. Say "okay heat or ice" when you need me.'
    assert turns[1]["say"] == "I'm listening."
    states = [t["state"] for t in turns]
    assert "greeting" in states
    advice = next(t for t in turns if "recommendation" in t)
    assert advice["heard"] == "yes"
    assert advice["recommendation"]["urgency"] == "emergency"


# --------------------------------------------------------------------------- newcomer friction


@pytest.mark.parametrize(
    ("level", "present", "absent"),
    [
        ("DEBUG", [" DEBUG ", " INFO ", " WARNING "], []),
        ("WARNING", [" WARNING "], [" DEBUG ", " INFO "]),
        ("ERROR", [], [" DEBUG ", " INFO ", " WARNING "]),
    ],
)
def test_settings_log_level_decides_what_the_log_file_holds(
    tmp_path: Path, level: str, present: list[str], absent: list[str]
) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'[debug]\nlog_level = "{level}"\n')
    data = tmp_path / "data"
    result = run_cli(
        "--text", "--mute", "--config", str(config), "--data-dir", str(data),
        stdin="@-1 bad time: a warning\nstop\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    log = (data / data_folder.LOG_FILE).read_text()
    for word in present:
        assert word in log, (word, log)
    for word in absent:
        assert word not in log, (word, log)


def test_log_level_applies_to_the_file_handler_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.ERROR)
    data_folder.log_to_file(tmp_path, "WARNING")
    logging.getLogger("voice_assistant.test").info("not this")
    logging.getLogger("voice_assistant.test").warning("but this")
    for handler in root.handlers:
        handler.close()
    text = (tmp_path / data_folder.LOG_FILE).read_text()
    assert "but this" in text and "not this" not in text


def test_engine_auto_says_once_that_it_ignores_a_broken_vosk_model(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = isolated / "half-a-model"
    (broken / "am").mkdir(parents=True)
    args = cli.build_parser().parse_args(["--vosk-model", str(broken)])
    settings = cli.build_settings(args)
    notices: list[str] = []
    recognizer = app.build_recognizer(settings, notices.append)
    engine = recognizer.wait(30)
    assert engine.name in ("whisper", "pocketsphinx")
    notice = notices[0]
    assert len(set(notices)) == len(notices)  # each said once
    assert str(broken) in notice
    assert "am/final.mdl" in notice
    assert notice.endswith("instead.")


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_history_limit_must_be_a_positive_whole_number(
    isolated: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["history", "--data-dir", str(isolated), "--limit", limit])
    assert stopped.value.code == 2
    assert "argument --limit:" in capsys.readouterr().err


def test_text_and_audio_in_together_is_refused(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--text", "--audio-in", "a.wav"])
    assert stopped.value.code == 2
    assert "use one of them" in capsys.readouterr().err


def test_readme_says_how_to_put_the_command_on_path() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in quick
    assert ".venv/bin/heat-or-ice" in quick


def test_control_characters_from_input_are_never_printed_raw(tmp_path: Path) -> None:
    """F20: a typed line with a bad @ time and a settings key were echoed with their ESC and
    BEL, so input could retitle or recolour the terminal."""
    settings = tmp_path / "settings.toml"
    settings.write_text('[voice]\n"\\u001b]2;PWNED\\u0007" = 1\n')
    result = run_cli(
        "--text", "--mute", "--config", str(settings), "--data-dir", str(tmp_path / "data"),
        stdin="@\x1b]2;X\x07\x1b[31m\nno\n",
    )  # fmt: skip
    printed = result.stdout + result.stderr
    assert "\x1b" not in printed and "\x07" not in printed
    assert "\\x1b]2;PWNED\\x07" in printed  # shown, as visible escapes


def test_a_cut_line_is_understood_in_well_under_a_second_during_a_session() -> None:
    """Understanding runs on the loop's thread: the 2,000 characters a line is cut to
    must leave the timer on time (about 0.1 s measured; linear in the length)."""
    import time

    from voice_assistant.app import build_assistant
    from voice_assistant.clock import FakeClock
    from voice_assistant.runtime.output import MemorySink
    from voice_assistant.session.journal.journal import Journal
    from voice_assistant.session.journal.safe_journal import SafeJournal
    from voice_assistant.session.plans import load_session_config
    from voice_assistant.speech.speakers import RecordingSpeaker

    config = load_session_config(DIALOGS / "session.yaml")
    sink, clock = MemorySink(), FakeClock()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "failed: {detail}")
    assistant = build_assistant(
        load_script(DIALOGS), config, journal, RecordingSpeaker(), clock, sink
    )
    assistant.begin()
    for answer in [*SCREEN_CLEAR, "two days ago", "yes", "start"]:
        assistant.handle(Transcript(answer))
    for text in ("my back still hurts a bit " * 100, "no " * 700, "ice heat " * 250):
        started = time.perf_counter()
        assistant.handle(Transcript(text[:MAX_LINE_CHARACTERS]))
        assert time.perf_counter() - started < 1.0, text[:20]
