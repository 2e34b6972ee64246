"""Settings file, flags and paths: defaults, a full file, and every kind of bad file."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from voice_assistant import paths
from voice_assistant.errors import ConfigError
from voice_assistant.settings import config, config_file
from voice_assistant.settings.config import DEFAULT_WAKE_PHRASE, Settings, merge_overrides
from voice_assistant.settings.config_file import (
    LoadResult,
    choose_config_path,
    load_settings,
    parse_settings,
    settings_to_toml,
)

EXAMPLE = paths.repo_root() / "docs" / "settings.example.toml"

FULL = """\
[voice]
name = "en-gb"
rate = 120
volume = 0.5
mute = true

[audio]
input_device = "USB"
output_device = 3

[recognition]
engine = "Vosk"
vosk_model = "models/vosk-small"

[wake]
enabled = true
phrase = "Hello   Helper"

[storage]
data_dir = "/srv/heat"

[debug]
clock_speed = 60
log_level = "debug"
"""


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read the real user's settings or HEAT_OR_ICE_CONFIG."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv(config_file.CONFIG_ENV, raising=False)


def write(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(result: LoadResult) -> str:
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


# --------------------------------------------------------------------------- defaults


def test_defaults(tmp_path: Path) -> None:
    s = Settings()
    assert (s.voice, s.rate, s.volume, s.mute) == (None, 150, 1.0, False)
    assert (s.input_device, s.output_device) == (None, None)
    assert (s.engine, s.vosk_model) == ("auto", None)
    assert (s.wake, s.wake_phrase) == (False, DEFAULT_WAKE_PHRASE)
    assert s.data_dir == tmp_path / "xdg-data" / "heat-or-ice"
    assert (s.clock_speed, s.log_level) == (1.0, "WARNING")


def test_missing_default_file_is_silent(tmp_path: Path) -> None:
    result = load_settings(None, explicit=False)
    assert result.problems == []
    assert result.settings == Settings()
    assert result.path == tmp_path / "xdg-config" / "heat-or-ice" / "settings.toml"
    assert result.found is False


def test_default_file_in_xdg_config_home_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "xdg-config" / "heat-or-ice"
    folder.mkdir(parents=True)
    (folder / "settings.toml").write_text("[voice]\nrate = 111\n", encoding="utf-8")
    result = load_settings(None, explicit=False)
    assert result.problems == []
    assert result.found is True
    assert result.settings.rate == 111


def test_settings_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().rate = 100  # type: ignore[misc]  # on purpose: the test checks it is refused


def test_settings_rejects_bad_values_when_built_in_code() -> None:
    with pytest.raises(ValueError, match="rate"):
        Settings(rate=20)
    with pytest.raises(ValueError, match="engine"):
        Settings(engine="sphinx2")


def test_default_wake_phrase_is_valid() -> None:
    assert Settings(wake_phrase=DEFAULT_WAKE_PHRASE).wake_phrase == DEFAULT_WAKE_PHRASE


# --------------------------------------------------------------------------- a good file


def test_full_valid_file(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    result = load_settings(path, explicit=True)
    assert result.problems == []
    s = result.settings
    assert s.voice == "en-gb"
    assert s.rate == 120 and isinstance(s.rate, int)
    assert s.volume == 0.5
    assert s.mute is True
    assert (s.input_device, s.output_device) == ("USB", "3")
    assert s.engine == "vosk"
    assert s.vosk_model == tmp_path / "models" / "vosk-small"  # relative to the file's folder
    assert s.wake is True
    assert s.wake_phrase == "hello helper"
    assert s.data_dir == Path("/srv/heat")
    assert s.clock_speed == 60.0 and isinstance(s.clock_speed, float)
    assert s.log_level == "DEBUG"


def test_home_folder_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    result = parse_settings('[storage]\ndata_dir = "~/hoi"\n', path=tmp_path / "s.toml")
    assert result.settings.data_dir == tmp_path / "home" / "hoi"


def test_dotted_keys_work_too(tmp_path: Path) -> None:
    result = parse_settings("voice.rate = 200\nwake.enabled = true\n", path=tmp_path / "s.toml")
    assert result.problems == []
    assert (result.settings.rate, result.settings.wake) == (200, True)


def test_empty_text_means_automatic(tmp_path: Path) -> None:
    result = parse_settings('[voice]\nname = ""\n[audio]\ninput_device = " "\n')
    assert result.problems == []
    assert (result.settings.voice, result.settings.input_device) == (None, None)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf[voice]\nrate = 99\n")
    result = load_settings(path, explicit=True)
    assert result.problems == []
    assert result.settings.rate == 99


# --------------------------------------------------------------------------- bad files


def test_syntax_error_names_file_and_line_and_uses_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "[voice]\nrate = 120\nvolume 0.5\n")
    result = load_settings(path, explicit=True)
    message = only_problem(result)
    assert str(path) in message
    assert "line 3" in message
    assert "volume 0.5" in message  # the offending line is quoted
    assert "default settings are used" in message
    assert result.settings == Settings()  # even the good line 2 is not used: file unreadable


def test_duplicate_key_is_a_syntax_error_with_its_line(tmp_path: Path) -> None:
    result = parse_settings("[voice]\nrate = 120\nrate = 130\n", path=tmp_path / "s.toml")
    assert "line 3" in only_problem(result)


def test_unknown_key_names_key_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, '[voice]\nname = "en"\n\nrat = 120\nvolume = 0.3\n')
    result = load_settings(path, explicit=True)
    message = only_problem(result)
    assert str(path) in message
    assert "line 4" in message
    assert '"rat"' in message
    assert 'Did you mean "rate"?' in message
    assert (result.settings.voice, result.settings.volume) == ("en", 0.3)  # other keys kept
    assert result.settings.rate == 150


def test_key_in_the_wrong_section_says_where_it_belongs(tmp_path: Path) -> None:
    result = parse_settings("[audio]\nrate = 120\n", path=tmp_path / "s.toml")
    message = only_problem(result)
    assert "line 2" in message and "[voice]" in message
    assert result.settings.rate == 150


def test_key_outside_any_section(tmp_path: Path) -> None:
    result = parse_settings('engine = "vosk"\n', path=tmp_path / "s.toml")
    message = only_problem(result)
    assert "line 1" in message and "[recognition]" in message
    assert result.settings.engine == "auto"


def test_section_name_used_as_a_key(tmp_path: Path) -> None:
    result = parse_settings('voice = "en-gb"\n', path=tmp_path / "s.toml")
    message = only_problem(result)
    assert "line 1" in message and "[voice]" in message and "name =" in message


def test_unknown_section_names_line_and_suggestion(tmp_path: Path) -> None:
    text = "[voice]\nrate = 100\n\n[recogniton]\nengine = 'vosk'\n"
    result = parse_settings(text, path=tmp_path / "s.toml")
    message = only_problem(result)
    assert "line 4" in message and "[recogniton]" in message
    assert "Did you mean [recognition]?" in message
    assert result.settings.rate == 100
    assert result.settings.engine == "auto"


def test_wrong_type_names_key_line_value_and_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, '[voice]\nvolume = 0.2\nrate = "fast"\n')
    result = load_settings(path, explicit=True)
    message = only_problem(result)
    assert str(path) in message
    assert "line 3" in message
    assert 'rate = "fast"' in message
    assert "whole number from 80 to 300" in message
    assert "default (150)" in message
    assert result.settings.rate == 150
    assert result.settings.volume == 0.2


@pytest.mark.parametrize(
    ("section", "line", "allowed"),
    [
        ("voice", "rate = 500", "from 80 to 300"),
        ("voice", "rate = 120.5", "whole number"),
        ("voice", "volume = 1.5", "0.0 (silent) to 1.0"),
        ("voice", "volume = nan", "0.0 (silent) to 1.0"),
        ("voice", 'mute = "yes"', "true or false"),
        ("audio", "input_device = -1", "device number"),
        ("audio", "output_device = true", "device number"),
        ("recognition", 'engine = "sphinx2"', '"whisper"'),
        ("recognition", "vosk_model = 5", "folder path"),
        ("wake", 'phrase = "hi"', "2 to 6 words"),
        ("wake", 'phrase = "hey r2d2 wake up"', "letters a-z"),
        ("wake", "enabled = 1", "true or false"),
        ("storage", 'data_dir = ""', "folder path"),
        ("debug", "clock_speed = 0", "greater than 0"),
        ("debug", "clock_speed = -inf", "greater than 0"),
        ("debug", 'log_level = "loud"', '"DEBUG"'),
        ("voice", "name = [1, 2]", "voice name"),
    ],
)
def test_each_bad_value_falls_back_to_its_default(
    tmp_path: Path, section: str, line: str, allowed: str
) -> None:
    text = f"[{section}]\n# a comment\n{line}\n"
    result = parse_settings(text, path=tmp_path / "s.toml")
    message = only_problem(result)
    key = line.split(" =")[0]
    assert "line 3" in message
    assert f"{key} = " in message
    assert allowed in message
    assert result.settings == Settings()


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    text = "[voice]\nrate = 5\nvolum = 1\n[wake]\nenabled = true\n[disk]\nx = 1\n"
    result = parse_settings(text, path=tmp_path / "s.toml")
    assert len(result.problems) == 3
    assert ["line 2" in p for p in result.problems] == [True, False, False]
    assert "line 3" in result.problems[1]
    assert "line 6" in result.problems[2]
    assert result.settings.wake is True


def test_explicit_missing_path_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    result = load_settings(path, explicit=True)
    message = only_problem(result)
    assert str(path) in message and "does not exist" in message and "--config" in message
    assert result.settings == Settings()
    assert result.found is False


def test_implicit_missing_path_is_silent(tmp_path: Path) -> None:
    result = load_settings(tmp_path / "nope.toml", explicit=False)
    assert result.problems == []


def test_folder_instead_of_file(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = load_settings(folder, explicit=True)
    message = only_problem(result)
    assert "is a folder" in message and str(folder) in message
    assert result.settings == Settings()


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[voice]\nrate = 120\nname = "café"\n'.encode("latin-1"))
    result = load_settings(path, explicit=True)
    message = only_problem(result)
    assert "UTF-8" in message and "line 3" in message
    assert result.settings == Settings()


def test_messages_never_contain_tracebacks(tmp_path: Path) -> None:
    bad = ["[voice\n", "rate = \n", "[voice]\nrate = 1\n[voice]\n", "\x00", "a = {b = \n"]
    for text in bad:
        result = parse_settings(text, path=tmp_path / "s.toml")
        assert result.problems, text
        for message in result.problems:
            assert "Traceback" not in message and "Error(" not in message
            assert "Settings file" in message


# --------------------------------------------------------------------------- flags win


def test_flags_override_file(tmp_path: Path) -> None:
    from_file = load_settings(write(tmp_path, FULL), explicit=True).settings
    merged = merge_overrides(
        from_file, {"rate": 200, "voice": None, "engine": "pocketsphinx", "mute": False}
    )
    assert merged.rate == 200
    assert merged.engine == "pocketsphinx"
    assert merged.mute is False
    assert merged.voice == "en-gb"  # None = flag not given: the file's value stays
    assert merged.volume == 0.5


def test_flag_text_is_converted_and_paths_are_from_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    merged = merge_overrides(
        Settings(),
        {"rate": "180", "clock_speed": "2.5", "wake": "yes", "data_dir": "d", "input_device": 2},
    )
    assert (merged.rate, merged.clock_speed, merged.wake) == (180, 2.5, True)
    assert merged.data_dir == tmp_path / "d"
    assert merged.input_device == "2"


def test_bad_flag_raises_config_error_naming_the_option() -> None:
    with pytest.raises(ConfigError, match=r"--clock-speed 0 .*greater than 0"):
        merge_overrides(Settings(), {"clock_speed": 0})
    with pytest.raises(ConfigError, match=r"--speed 9 .*80 to 300"):
        merge_overrides(Settings(), {"rate": "9"}, option_names={"rate": "--speed"})


def test_unknown_override_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="colour"):
        merge_overrides(Settings(), {"colour": "red"})


# --------------------------------------------------------------------------- which file


def test_choose_config_path_order(tmp_path: Path) -> None:
    env = {config_file.CONFIG_ENV: str(tmp_path / "env.toml")}
    assert choose_config_path("cli.toml", env) == (Path("cli.toml"), True)
    assert choose_config_path(None, env) == (tmp_path / "env.toml", True)
    default = tmp_path / "xdg-config" / "heat-or-ice" / "settings.toml"
    assert choose_config_path(None, {}) == (default, False)


def test_env_named_file_is_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config_file.CONFIG_ENV, str(tmp_path / "gone.toml"))
    result = load_settings(None)
    assert "does not exist" in only_problem(result)


def test_xdg_env_moves_config_and_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    assert paths.config_dir() == tmp_path / "c" / "heat-or-ice"
    assert paths.default_config_path() == tmp_path / "c" / "heat-or-ice" / "settings.toml"
    assert paths.data_dir() == tmp_path / "d" / "heat-or-ice"
    assert Settings().data_dir == tmp_path / "d" / "heat-or-ice"


def test_repo_folders_and_their_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(paths.DIALOGS_ENV, raising=False)
    monkeypatch.delenv(paths.MODELS_ENV, raising=False)
    assert (paths.repo_root() / "voice_assistant" / "paths.py").is_file()
    assert paths.dialogs_dir() == paths.repo_root() / "dialogs"
    assert paths.models_dir() == paths.repo_root() / "models"
    monkeypatch.setenv(paths.DIALOGS_ENV, str(tmp_path / "dlg"))
    monkeypatch.setenv(paths.MODELS_ENV, str(tmp_path / "mdl"))
    assert paths.dialogs_dir() == tmp_path / "dlg"
    assert paths.models_dir() == tmp_path / "mdl"


# --------------------------------------------------------------------------- the example file


def _uncommented_example() -> str:
    """The example with every '# key = value' line switched on (prose comments stay)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    return re.sub(r"^# ([a-z_]+ = .+)$", r"\1", text, flags=re.MULTILINE)


def test_example_file_as_shipped_gives_defaults() -> None:
    result = load_settings(EXAMPLE, explicit=True)
    assert result.problems == []
    assert result.settings == Settings()


def test_example_file_values_are_all_valid_and_cover_every_setting(tmp_path: Path) -> None:
    text = _uncommented_example()
    result = parse_settings(text, path=tmp_path / "s.toml")
    assert result.problems == []
    assigned = set(re.findall(r"^([a-z_]+) = ", text, flags=re.MULTILINE))
    names = {f.name for f in dataclasses.fields(Settings)}
    keys = {spec.key for spec in config.FIELDS}
    assert {spec.name for spec in config.FIELDS} == names
    assert assigned == keys
    # the example's shown values are the defaults wherever a default exists
    defaults = Settings()
    for spec in config.FIELDS:
        if getattr(defaults, spec.name) is not None and spec.name != "data_dir":
            assert getattr(result.settings, spec.name) == getattr(defaults, spec.name), spec


def test_settings_to_toml_round_trips(tmp_path: Path) -> None:
    original = load_settings(write(tmp_path, FULL), explicit=True).settings
    again = parse_settings(settings_to_toml(original), path=tmp_path / "other" / "s.toml")
    assert again.problems == []
    assert again.settings == original
    assert parse_settings(settings_to_toml(Settings())).settings == Settings()


def test_bad_flag_with_spaces_is_quoted() -> None:
    with pytest.raises(ConfigError, match='--wake-phrase "hello there r2d2"'):
        merge_overrides(Settings(), {"wake_phrase": "hello there r2d2"})


def test_common_other_words_get_a_suggestion(tmp_path: Path) -> None:
    result = parse_settings('[voice]\nvoice = "en"\n', path=tmp_path / "s.toml")
    assert 'Did you mean "name"?' in only_problem(result)


def test_an_endless_or_special_settings_file_is_refused_in_words(tmp_path: Path) -> None:
    """F29: HEAT_OR_ICE_CONFIG=/dev/zero (or a FIFO) was read whole until MemoryError."""
    import os

    for special in (Path("/dev/zero"), tmp_path / "fifo"):
        if special.name == "fifo":
            os.mkfifo(special)
        result = load_settings(special, explicit=True)
        assert result.settings == Settings()
        assert len(result.problems) == 1
        assert "not a settings file" in result.problems[0], result.problems
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * config_file.MAX_BYTES + "\n")
    result = load_settings(big, explicit=True)
    assert "far too large for settings" in result.problems[0]


def test_thousands_of_unknown_keys_are_located_in_linear_time(tmp_path: Path) -> None:
    """F28: each problem line was found by scanning the whole file again (10,000: 132 s)."""
    import time

    count = 10_000
    text = "[voice]\n" + "".join(f"k{i} = {i}\n" for i in range(count))
    started = time.monotonic()
    result = parse_settings(text, path=tmp_path / "settings.toml")
    assert time.monotonic() - started < 10
    assert len(result.problems) == count
    assert result.problems[-1].startswith(
        f"Settings file {tmp_path / 'settings.toml'}, line {count + 1}:"
    )
    dotted = parse_settings('voice.nme = "x"\n[audio]\n"mic" = 1\n', path=tmp_path / "s.toml")
    assert [p.split(":")[0].rsplit(" ", 1)[-1] for p in dotted.problems] == ["1", "3"]
