"""Every dialog file loads, and a broken one is reported with file, key and problem."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from support import DIALOGS

from voice_assistant.dialog.script import FILES, DialogScript, load_script
from voice_assistant.errors import DialogDataError


def test_every_dialog_file_loads(script: DialogScript) -> None:
    assert script.questions[0].id == "emergency_saddle"
    # Row 2 (same day) has one entry per reason: fever, cancer/weight loss, night pain.
    assert [rule.row for rule in script.rules] == [1, 2, 2, 2, *range(3, 11)]
    # Each DOMAIN.md section 4 message is checked where it is said: test_advice_text.py.
    assert len(script.safety_lines) >= 5


def test_no_epsom_salts_or_hot_tubs_anywhere() -> None:
    for path in DIALOGS.glob("*.yaml"):
        text = path.read_text().lower()
        assert "epsom" not in text, path
        assert "hot tub" not in text, path


def _broken_copy(tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    target = tmp_path / "dialogs"
    shutil.copytree(DIALOGS, target)
    path = target / name
    path.write_text(edit(path.read_text()))
    return target


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path, "triage.yaml", lambda t: t.replace("\nquestions:", "\nquestions: [", 1)
    )
    with pytest.raises(DialogDataError) as info:
        load_script(folder)
    message = str(info.value)
    assert "triage.yaml" in message
    assert "line" in message


def test_unknown_answer_is_named(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path,
        "triage.yaml",
        lambda t: t.replace('expects: ["yes", "no", "unsure"]', 'expects: ["yes", "nah"]', 1),
    )
    with pytest.raises(
        DialogDataError, match=r"triage\.yaml: key 'questions\.0\.expects': unknown answer 'nah'"
    ):
        load_script(folder)


def test_unquoted_yes_key_gets_a_hint(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, "answers.yaml", lambda t: t.replace('  "yes":', "  yes:", 1))
    with pytest.raises(DialogDataError, match="quotes"):
        load_script(folder)


def test_missing_field_is_named(tmp_path: Path) -> None:
    def drop_reprompt(text: str) -> str:
        data = yaml.safe_load(text)
        del data["questions"][2]["reprompt"]
        return yaml.safe_dump(data)

    folder = _broken_copy(tmp_path, "triage.yaml", drop_reprompt)
    with pytest.raises(DialogDataError, match=r"questions\.2\.reprompt"):
        load_script(folder)


def test_rule_with_unknown_fact(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path, "triage.yaml", lambda t: t.replace("when: {fever: true}", "when: {fevr: true}")
    )
    with pytest.raises(DialogDataError, match="no question sets fact 'fevr'"):
        load_script(folder)


def test_unknown_advice(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path, "triage.yaml", lambda t: t.replace("advice: heat_chronic", "advice: warm")
    )
    with pytest.raises(DialogDataError, match="unknown advice 'warm'"):
        load_script(folder)


@pytest.mark.parametrize("name", FILES)
def test_missing_file(tmp_path: Path, name: str) -> None:
    target = tmp_path / "dialogs"
    shutil.copytree(DIALOGS, target)
    (target / name).unlink()
    with pytest.raises(DialogDataError, match=f"{name}: file missing"):
        load_script(target)


def test_missing_message_key(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path, "messages.yaml", lambda t: t.replace("  goodbye:", "  goodbye_:", 1)
    )
    with pytest.raises(DialogDataError, match=r"conversation\.goodbye"):
        load_script(folder)


def test_broken_understanding_pattern_names_file_and_key(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path,
        "understanding.yaml",
        lambda t: t.replace('"wet myself"', '"wet (myself"', 1),
    )
    with pytest.raises(DialogDataError) as info:
        load_script(folder)
    message = str(info.value)
    assert "understanding.yaml" in message
    assert "screens.bladder_bowel.described" in message
    assert "'(' is not closed" in message


def test_understanding_screen_must_be_a_triage_fact(tmp_path: Path) -> None:
    folder = _broken_copy(
        tmp_path,
        "understanding.yaml",
        lambda t: t.replace("  night_pain:\n", "  night_pains:\n", 1),
    )
    with pytest.raises(
        DialogDataError,
        match=r"understanding\.yaml: key 'screens\.night_pains': no question sets this fact",
    ):
        load_script(folder)


def test_urgency_allowed_on_ice_advice(script: DialogScript) -> None:
    # Row 5: ice, and get swelling without an injury checked today.
    assert script.advice["ice_swelling_chronic"].kind == "ice"
    assert script.advice["ice_swelling_chronic"].urgency == "today"
