"""The text and JSON modes, run as a user would run them."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import DIALOGS, json_turns, run_cli

CLEAR = "no\n" * 9


def test_help_documents_modes_and_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for word in (
        "--text",
        "--mute",
        "--json",
        "--audio-in",
        "--engine",
        "recognize",
        "devices",
        "history",
        "doctor",
        "expects",
        "recommendation",
        "--clock-speed",
        "--wake",
    ):
        assert word in result.stdout, word


def test_json_conversation_to_heat() -> None:
    result = run_cli("--text", "--mute", "--json", stdin=CLEAR + "years\nno\nno\nno thanks\n")
    assert result.returncode == 0, result.stderr
    turns = json_turns(result.stdout)
    for turn in turns:
        assert set(turn) >= {"t", "state", "say", "expects"}
        assert isinstance(turn["t"], float)
    assert turns[0]["state"] == "greeting" and turns[0]["expects"] == []
    assert turns[1]["expects"] == ["yes", "no", "unsure"]
    rec = [t for t in turns if "recommendation" in t]
    assert len(rec) == 1
    assert rec[0]["recommendation"] == {
        "kind": "heat",
        "urgency": None,
        "plan": [{"phase": "heat", "minutes": 15}],
    }
    assert "towel" in rec[0]["say"]
    assert turns[-1]["state"] == "done"
    assert "Traceback" not in result.stderr


def test_json_emergency_has_empty_plan() -> None:
    result = run_cli("--text", "--mute", "--json", stdin="not sure\n")
    turns = json_turns(result.stdout)
    rec = next(t for t in turns if "recommendation" in t)
    assert rec["recommendation"] == {"kind": "seek_care", "urgency": "emergency", "plan": []}
    assert result.returncode == 0


def test_plain_text_mode_prints_each_utterance() -> None:
    result = run_cli("--text", "--mute", stdin="no\nno\nyes\n")
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Do you have any new numbness")
    assert any("Call emergency services now" in line for line in lines)
    assert result.returncode == 0


def test_end_of_input_is_a_clean_goodbye() -> None:
    result = run_cli("--text", "--mute", "--json", stdin="no\n")
    assert result.returncode == 0
    last = json_turns(result.stdout)[-1]
    assert last["state"] == "done" and "Goodbye" in last["say"]
    assert "Traceback" not in result.stderr


def test_empty_input() -> None:
    result = run_cli("--text", "--mute", stdin="")
    assert result.returncode == 0
    assert "Goodbye" in result.stdout


def test_broken_dialog_file_is_explained(tmp_path: Path) -> None:
    folder = tmp_path / "dialogs"
    shutil.copytree(DIALOGS, folder)
    (folder / "advice.yaml").write_text("advice: [unclosed\n")
    result = run_cli("--text", "--mute", env={"HEAT_OR_ICE_DIALOGS": str(folder)})
    assert result.returncode == 2
    assert "advice.yaml" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr


def test_corrupt_settings_file_is_explained_and_defaults_used(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text("[voice]\nrate = 150\nvolume = = 2\n")
    result = run_cli("--config", str(config), "--text", "--mute", stdin="yes\n")
    assert result.returncode == 0
    assert "line 3" in result.stderr
    assert "Call emergency services now" in result.stdout


def test_bad_flag_value_is_explained() -> None:
    result = run_cli("--text", "--mute", "--rate", "5")
    assert result.returncode == 2
    assert "--rate" in result.stderr and "Traceback" not in result.stderr


def test_wake_mode_waits_for_the_phrase_between_conversations() -> None:
    result = run_cli(
        "--text",
        "--mute",
        "--json",
        "--wake",
        stdin="hello there\nokay heat or ice\nyes\nnothing\nOK heat or ice please\nno\nstop\n",
    )
    assert result.returncode == 0, result.stderr
    turns = json_turns(result.stdout)
    states = [t["state"] for t in turns]
    assert turns[0]["say"].startswith("I'm ready.")  # said once, when it starts listening
    assert turns[1]["say"] == "I'm listening."  # "hello there" was ignored
    assert states.count("wake") == 3  # ready, then the two wake phrases
    assert states.count("greeting") == 2
    assert "Waiting quietly" in result.stderr
    assert turns[-1]["state"] == "done"


def test_a_misspelt_flag_is_named_with_the_one_meant() -> None:
    result = run_cli("--clock-sped", "60", "--text")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "heat-or-ice: there is no option --clock-sped. Did you mean --clock-speed? "
        "(heat-or-ice --help lists them.)"
    )
    result = run_cli("history", "--limt", "3")
    assert result.returncode == 2 and "Did you mean --limit?" in result.stderr
    result = run_cli("--frobnicate")
    assert result.returncode == 2 and "Did you mean" not in result.stderr
    assert "usage:" not in result.stderr


def test_real_flags_and_abbreviations_still_parse() -> None:
    from voice_assistant.cli import build_parser, misspelt_option

    parser = build_parser()
    assert misspelt_option(parser, ["--clock-speed", "60", "--text"]) is None
    assert misspelt_option(parser, ["--clock-spe", "60"]) is None  # argparse's own prefixes
    assert misspelt_option(parser, ["--text", "--", "--clock-sped"]) is None
