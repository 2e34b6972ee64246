"""`heat-or-ice doctor`: each check with fakes, the report, and the real command here."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from support import DIALOGS, FakeRecognizer, run_cli

from voice_assistant.adapters.audio.mic import PcmInputStream
from voice_assistant.adapters.audio.playback import NullPlayer
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer
from voice_assistant.doctor.check import Check, guarded
from voice_assistant.doctor.checks_devices import (
    check_microphone,
    check_speaker,
    check_tts,
    measure_level,
)
from voice_assistant.doctor.checks_engine import check_recognition, resample_16k
from voice_assistant.doctor.checks_storage import check_disk, check_journal, check_settings
from voice_assistant.doctor.deps import DoctorDeps
from voice_assistant.doctor.report import (
    EXIT_MISSING,
    EXIT_OK,
    run_doctor,
    spoken_report,
    summary,
)
from voice_assistant.errors import AudioDeviceError, RecognizerError
from voice_assistant.session.journal.journal import open_journal
from voice_assistant.session.plans import load_session_config
from voice_assistant.settings.config import Settings
from voice_assistant.speech import engines
from voice_assistant.speech.engines import EngineContext
from voice_assistant.speech.speakers import RecordingSpeaker

SAMPLES = Path("/work/shared/data/speech-commands-sample")
CHECK_NAMES = (
    "Settings",
    "Dialog files",
    "Text-to-speech",
    "Speaker",
    "Microphone",
    "Speech recognition",
    "Journal",
    "Disk space",
)


def spoken_yes() -> bytes:
    files = sorted((SAMPLES / "yes").glob("*.wav"))
    if not files:
        pytest.skip(f"no sample recordings in {SAMPLES}")
    with wave.open(str(files[1])) as w:
        frames: bytes = w.readframes(w.getnframes())
        return frames


def no_name(kind: str, spec: str | None) -> str:
    return ""


def failing_stream(**kwargs: Any) -> NoReturn:
    sd = pytest.importorskip("sounddevice")
    raise sd.PortAudioError("Error querying device -1")


class FailingPlayer:
    def __init__(self, device: str | None = None) -> None:
        pass

    def check(self) -> None:
        raise AudioDeviceError("No speaker or headphones found. Choose one with --output-device.")

    def play(self, pcm: bytes, rate: int) -> float:
        raise AssertionError("not reached")


def broken_renderer() -> EspeakRenderer:
    def engine() -> NoReturn:
        raise RuntimeError("libespeak-ng.so.1: cannot open shared object file")

    return EspeakRenderer(engine_factory=engine)


# --- the level meter --------------------------------------------------------------------


def tone(amplitude: float, seconds: float = 0.5) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    return (amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def test_level_of_silence_quiet_speech_and_clipping() -> None:
    assert measure_level(bytes(16000)).verdict == "silent"
    assert measure_level(bytes(16000)).peak_dbfs == -120.0
    quiet = measure_level(tone(0.01))
    assert quiet.verdict == "quiet"
    assert quiet.peak_dbfs == pytest.approx(-40, abs=0.5)
    fine = measure_level(tone(0.5))
    assert fine.verdict == "fine"
    assert fine.rms_dbfs == pytest.approx(-9.0, abs=0.2)  # sine RMS = peak - 3 dB
    assert fine.seconds == pytest.approx(0.5)
    square = np.where(np.arange(8000) % 40 < 20, 32767, -32768).astype("<i2").tobytes()
    assert measure_level(square).verdict == "clipping"


def test_resample_keeps_duration_and_pads() -> None:
    pcm = tone(0.5, seconds=1.0)  # 16 kHz in, treated as 22 050 Hz below
    out = resample_16k(pcm, 22050, pad_s=0.25)
    assert len(out) // 2 == round(16000 * 16000 / 22050) + 2 * 4000
    assert out[:8000] == bytes(8000)


# --- microphone ---------------------------------------------------------------------------


def test_working_microphone_reports_its_level() -> None:
    notices: list[str] = []
    check = check_microphone(
        Settings(),
        PcmInputStream.factory(spoken_yes()),
        0.5,
        no_name,
        notices.append,
    )
    assert check.status == "ok", check.message
    assert check.essential
    assert "dBFS" in check.message
    assert "(fine)" in check.message
    assert notices and "say something" in notices[0]


def test_microphone_that_cannot_open_says_what_to_do() -> None:
    check = check_microphone(Settings(), failing_stream, 0.5, no_name)
    assert check.status == "problem"
    assert check.blocking
    assert "No microphone found" in check.message
    assert "heat-or-ice devices" in check.message
    assert "--text" in check.message
    line = check.lines()[0]
    assert line.startswith("PROBLEM  Microphone: No microphone found.")


def test_muted_microphone_is_a_problem() -> None:
    check = check_microphone(Settings(), PcmInputStream.factory(bytes(32000)), 0.5, no_name)
    assert check.status == "problem"
    assert "heard nothing" in check.message
    assert "muted" in check.message
    assert "-120 dBFS" in check.message


def test_stalled_microphone_is_a_problem_and_does_not_hang() -> None:
    factory = PcmInputStream.factory(bytes(960), after_end="stall")
    check = check_microphone(Settings(), factory, 0.5, no_name)
    assert check.status == "problem"
    assert "sent only 0.0 of 0.5 seconds" in check.message
    assert "--device" in check.message


def test_loud_microphone_warns_about_clipping() -> None:
    square = np.where(np.arange(16000) % 40 < 20, 32767, -32768).astype("<i2").tobytes()
    check = check_microphone(Settings(), PcmInputStream.factory(square), 0.5, no_name)
    assert check.status == "warning"
    assert "clipped" in check.message
    assert "Lower the input level" in check.message


# --- settings -------------------------------------------------------------------------------


def test_a_lasting_clock_speed_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[debug]\nclock_speed = 60\n")
    check = check_settings(path, {})
    assert check.status == "warning"
    assert "clock_speed = 60" in check.message and "every run is a trial" in check.message
    path.write_text("[debug]\nclock_speed = 1\n")
    assert check_settings(path, {}).status == "ok"


def test_bad_settings_file_names_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[voice]\nrate = 1000\nloudness = 0.5\n\n[recognition]\nengine = "kaldi"\n')
    check = check_settings(path, {})
    assert check.status == "warning"
    assert not check.essential
    assert str(path) in check.message
    assert "3 problems" in check.message
    assert len(check.details) == 3
    assert any("line 2" in d and "rate = 1000" in d for d in check.details)
    assert any("line 3" in d and "loudness" in d and '"volume"' in d for d in check.details)
    assert any("line 6" in d and "engine" in d for d in check.details)
    lines = check.lines()
    assert lines[0].startswith("WARNING  Settings:")
    assert all(line.startswith("         - ") for line in lines[1:])


def test_settings_missing_default_file_is_fine_but_missing_named_file_warns(tmp_path: Path) -> None:
    default = check_settings(None, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert default.status == "ok"
    assert "defaults are used" in default.message
    named = check_settings(tmp_path / "nope.toml", {})
    assert named.status == "warning"
    assert "does not exist" in named.details[0]


def test_good_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[voice]\nrate = 140\n")
    check = check_settings(None, {"HEAT_OR_ICE_CONFIG": str(path)})
    assert check.status == "ok"
    assert "without problems" in check.message


# --- speech out ---------------------------------------------------------------------------


def test_tts_renders_a_sentence() -> None:
    check = check_tts(Settings(), EspeakRenderer)
    assert check.status == "ok", check.message
    assert "espeak-ng spoke a test sentence" in check.message
    assert check.essential


def test_tts_missing_becomes_a_problem_with_advice() -> None:
    check = guarded("Text-to-speech", True, lambda: check_tts(Settings(), broken_renderer))
    assert check.status == "problem"
    assert "apt-get install espeak-ng" in check.message
    assert "--mute" in check.message


def test_speaker_problem_is_not_essential() -> None:
    check = check_speaker(Settings(), FailingPlayer, no_name)
    assert check.status == "problem"
    assert not check.blocking
    assert "--output-device" in check.message
    ok = check_speaker(Settings(), lambda device: NullPlayer(), lambda kind, spec: "'Fake' (1)")
    assert ok.status == "ok"
    assert ok.message.startswith("'Fake' (1) is ready")


# --- recognition ----------------------------------------------------------------------------


def no_whisper(tmp_path: Path, engine: str = "auto") -> EngineContext:
    """The choice on a machine without the Whisper weights (so pocketsphinx is the default)."""
    return EngineContext(engine=engine, models_dir=tmp_path, whisper_package_dir=None)


def test_recognizer_hears_the_synthetic_yes(tmp_path: Path) -> None:
    fake = FakeRecognizer("yes")
    check = check_recognition(no_whisper(tmp_path), lambda engine, model: fake, EspeakRenderer)
    assert check.status == "ok", check.message
    assert "In use: pocketsphinx" in check.message
    assert "often misses accents" in check.message  # the fallback is named as such
    ((size, vocabulary),) = fake.heard
    assert size > 16000  # at least half a second of 16 kHz audio
    assert vocabulary.phrases == ("yes", "no")


def test_pocketsphinx_chosen_by_hand_never_says_to_reinstall_for_whisper(tmp_path: Path) -> None:
    from voice_assistant.adapters.whisper import whisper_model

    package = whisper_model.packaged_model_dir()
    if package is None:
        pytest.skip("the Whisper model package is not installed")
    chosen = EngineContext(engine="pocketsphinx", models_dir=tmp_path, whisper_package_dir=package)
    check = check_recognition(chosen, lambda e, m: FakeRecognizer("yes"), EspeakRenderer)
    assert "In use: pocketsphinx" in check.message
    assert "Whisper, the default, is installed and working" in check.message
    assert "reinstall" not in check.message
    without = check_recognition(
        no_whisper(tmp_path, engine="pocketsphinx"),
        lambda e, m: FakeRecognizer("yes"),
        EspeakRenderer,
    )
    assert "reinstall heat-or-ice to get Whisper back" in without.message


def test_recognizer_mishearing_is_a_warning(tmp_path: Path) -> None:
    check = check_recognition(no_whisper(tmp_path), lambda e, m: FakeRecognizer(""), EspeakRenderer)
    assert check.status == "warning"
    assert "as nothing it knew" in check.message


def test_recognizer_that_cannot_load_is_an_essential_problem(tmp_path: Path) -> None:
    def opener(engine: str, model: Path | None) -> NoReturn:
        raise RecognizerError("The pocketsphinx speech engine cannot be loaded. Reinstall it.")

    check = guarded(
        "Speech recognition",
        True,
        lambda: check_recognition(no_whisper(tmp_path), opener, EspeakRenderer),
    )
    assert check.blocking
    assert "Reinstall it" in check.message


def test_vosk_engine_without_model_says_how_to_get_one_and_falls_back(tmp_path: Path) -> None:
    check = check_recognition(
        no_whisper(tmp_path, engine="vosk"), lambda e, m: FakeRecognizer("yes"), EspeakRenderer
    )
    assert check.status == "warning"
    assert "heat-or-ice models download" in check.message
    assert "Using pocketsphinx" in check.message


def test_incomplete_vosk_model_falls_back_to_pocketsphinx_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "vosk-model-small-en-us-0.15" / "am").mkdir(parents=True)
    opened: list[str] = []

    def opener(engine: str, model: Path | None) -> FakeRecognizer:
        opened.append(engine)
        return FakeRecognizer("yes")

    check = check_recognition(no_whisper(tmp_path), opener, EspeakRenderer)
    assert opened == ["pocketsphinx"]
    assert check.status == "warning"
    assert "incomplete" in check.message
    assert "Using pocketsphinx" in check.message


def test_real_pocketsphinx_hears_synthetic_yes(tmp_path: Path) -> None:
    pytest.importorskip("voice_assistant.adapters.pocketsphinx.asr_pocketsphinx")
    check = check_recognition(no_whisper(tmp_path), engines.open_engine, EspeakRenderer)
    assert check.status == "ok", check.message


# --- journal and disk -----------------------------------------------------------------------


def test_unwritable_data_dir_is_a_problem(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    check = check_journal(blocker / "data", DIALOGS, 0.0)
    assert check.status == "problem"
    assert not check.essential
    assert "--data-dir" in check.message
    assert "still works" in check.message


def test_journal_counts_sessions_and_reports_an_interrupted_one(tmp_path: Path) -> None:
    config = load_session_config(DIALOGS / "session.yaml")
    journal = open_journal(tmp_path, config)
    plan = config.plan_for("ice")
    assert plan is not None
    journal.begin_session("ice", plan, wall=1000.0)
    journal.close()
    check = check_journal(tmp_path, DIALOGS, 1000.0 + 600)
    assert check.status == "ok"
    assert "1 session recorded" in check.message
    assert "interrupted 10 minutes ago" in check.message


def test_fresh_journal_folder_is_created(tmp_path: Path) -> None:
    check = check_journal(tmp_path / "new" / "dir", DIALOGS, 0.0)
    assert check.status == "ok"
    assert "0 sessions recorded" in check.message
    assert (tmp_path / "new" / "dir" / "journal.sqlite3").exists()


def test_low_disk_space_warns(tmp_path: Path) -> None:
    assert check_disk(tmp_path, min_free_bytes=1).status == "ok"
    low = check_disk(tmp_path / "not" / "yet", min_free_bytes=10**18)
    assert low.status == "warning"
    assert str(tmp_path) in low.message
    assert "--data-dir" in low.message


# --- guard, summary, the whole report --------------------------------------------------------


def test_unexpected_exception_becomes_a_problem_line() -> None:
    def boom() -> Check:
        raise ZeroDivisionError("division by zero")

    check = guarded("Journal", False, boom)
    assert check.status == "problem"
    assert "ZeroDivisionError: division by zero" in check.message
    assert "doctor -v" in check.message


def test_summary_wording() -> None:
    ok = Check("Speaker", "ok", False, "fine.")
    warn = Check("Microphone", "warning", True, "quiet.")
    soft = Check("Journal", "problem", False, "cannot write.")
    hard = Check("Microphone", "problem", True, "none.")
    assert summary([ok]) == "All 1 checks passed: heat-or-ice is ready to use."
    assert summary([ok, warn]).startswith("Ready to use, with 1 warning (microphone)")
    assert "works without these" in summary([ok, soft])
    text = summary([soft, hard])
    assert text.startswith("2 problems (journal, microphone).")
    assert "Something essential is missing (microphone)" in text
    assert "--text" in text
    said = spoken_report([ok, hard])
    assert said == [summary([ok, hard]).replace("`", ""), "Microphone: none."]
    assert "run heat-or-ice doctor again" in said[0]


def deps(tmp_path: Path, **changes: Any) -> DoctorDeps:
    values: dict[str, Any] = {
        "mic_stream_factory": PcmInputStream.factory(spoken_yes()),
        "make_player": lambda device: NullPlayer(),
        "renderer": EspeakRenderer,
        "open_recognizer": lambda engine, model: FakeRecognizer("yes"),
        "whisper_package_dir": None,
        "make_speaker": lambda settings: speaker,
        "describe_device": no_name,
        "environ": {"XDG_CONFIG_HOME": str(tmp_path / "config")},
        "models_dir": tmp_path / "models",
        "listen_seconds": 0.5,
    }
    values.update(changes)
    return DoctorDeps(**values)


speaker = RecordingSpeaker()


def test_everything_working_exits_zero_and_speaks_the_summary(tmp_path: Path) -> None:
    speaker.spoken.clear()
    lines: list[str] = []
    code = run_doctor(
        Settings(data_dir=tmp_path / "data"),
        dialogs_dir=DIALOGS,
        deps=deps(tmp_path),
        out=lines.append,
    )
    assert code == EXIT_OK
    report = [line for line in lines if line.startswith(("OK ", "WARNING ", "PROBLEM "))]
    assert [line.split(":")[0].split(maxsplit=1)[1] for line in report] == list(CHECK_NAMES)
    assert all(line.startswith("OK ") for line in report), lines
    assert lines[-1] == "All 8 checks passed: heat-or-ice is ready to use."
    assert speaker.spoken == [lines[-1]]


def test_missing_microphone_exits_non_zero_and_speaks_the_problem(tmp_path: Path) -> None:
    speaker.spoken.clear()
    lines: list[str] = []
    code = run_doctor(
        Settings(data_dir=tmp_path / "data"),
        dialogs_dir=DIALOGS,
        deps=deps(tmp_path, mic_stream_factory=failing_stream),
        out=lines.append,
    )
    assert code == EXIT_MISSING
    assert any(line.startswith("PROBLEM  Microphone: No microphone found") for line in lines)
    assert lines[-1].startswith("1 problem (microphone).")
    assert len(speaker.spoken) == 2
    assert speaker.spoken[1].startswith("Microphone: No microphone found")
    assert "`" not in " ".join(speaker.spoken)


def test_no_speech_when_the_speaker_is_missing(tmp_path: Path) -> None:
    speaker.spoken.clear()
    lines: list[str] = []
    code = run_doctor(
        Settings(data_dir=tmp_path / "data"),
        dialogs_dir=DIALOGS,
        deps=deps(tmp_path, make_player=FailingPlayer),
        out=lines.append,
    )
    assert code == EXIT_OK  # printing replies still works
    assert any(line.startswith("PROBLEM  Speaker:") for line in lines)
    assert speaker.spoken == []


def test_doctor_command_on_this_machine(tmp_path: Path) -> None:
    """No sound card here (like CI): a clear report, exit 1, never a traceback."""
    result = run_cli("doctor", env={"HEAT_OR_ICE_MODELS": str(tmp_path / "models")})
    assert result.returncode == EXIT_MISSING, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for name in CHECK_NAMES:
        assert any(
            line.split(maxsplit=1)[0] in ("OK", "WARNING", "PROBLEM")
            and line.split(maxsplit=1)[1].startswith(name + ":")
            for line in result.stdout.splitlines()
        ), (name, result.stdout)
    assert "PROBLEM  Microphone:" in result.stdout
    assert "Something essential is missing" in result.stdout.splitlines()[-1]
