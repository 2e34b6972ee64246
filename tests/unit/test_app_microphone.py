"""The app's microphone wiring (``heat-or-ice`` and ``heat-or-ice --wake``), with a fake stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import voice_assistant.adapters.audio.mic as mic
import voice_assistant.runtime.wake as wake
from voice_assistant import app, cli
from voice_assistant.events import Transcript, Vocabulary
from voice_assistant.hearing.listener import VoiceListener
from voice_assistant.speech.recognizer_loader import prepare_vocabulary


class PreparingRecognizer:
    name = "fake"

    def __init__(self) -> None:
        self.prepared: list[Vocabulary] = []

    def prepare(self, vocabulary: Vocabulary) -> None:
        self.prepared.append(vocabulary)

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        return Transcript("", 0.0, "audio")


@pytest.fixture
def fake_microphone(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[mic.MicrophoneSource]]:
    """MicrophoneSource as the app builds it, on a stream of silence; closed afterwards."""
    opened: list[mic.MicrophoneSource] = []

    class FakeMicrophone(mic.MicrophoneSource):
        def __init__(self, device: str | int | None = None, **kwargs: Any) -> None:
            super().__init__(device, stream_factory=mic.PcmInputStream.factory(b""), **kwargs)
            opened.append(self)

    monkeypatch.setattr(mic, "MicrophoneSource", FakeMicrophone)
    yield opened
    for source in opened:
        source.close()


def test_wake_mode_listens_on_the_microphone_and_prepares_the_wake_phrase(
    fake_microphone: list[mic.MicrophoneSource], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    recognizer = PreparingRecognizer()
    seen: dict[str, object] = {}

    def run(self: wake.WakeLoop, inbox: object) -> int:
        seen["prepared_before_idle"] = list(recognizer.prepared)
        return 0

    monkeypatch.setattr(app, "build_recognizer", lambda settings, notice: recognizer)
    monkeypatch.setattr(app, "_install_signal_handlers", lambda *args: None)
    monkeypatch.setattr(wake.WakeLoop, "run", run)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("HEAT_OR_ICE_CONFIG", raising=False)
    args = cli.build_parser().parse_args(["--wake", "--mute", "--data-dir", str(tmp_path)])
    listeners: list[VoiceListener] = []
    real_start = app._start_microphone
    monkeypatch.setattr(
        app,
        "_start_microphone",
        lambda *a: listeners.append(real_start(*a)) or listeners[-1],  # type: ignore[func-returns-value, arg-type]  # records what the real one returned, then returns it
    )

    assert app.run_assistant(cli.run_options(args), cli.build_settings(args)) == 0

    assert len(fake_microphone) == 1
    assert isinstance(listeners[0], VoiceListener)
    # The wake phrase was compiled before waiting, not on the first utterance.
    assert seen["prepared_before_idle"] == [Vocabulary(("okay heat or ice",))]
    listeners[0].stop()


def test_prepare_is_optional_and_never_fatal() -> None:
    class Plain:
        name = "plain"

    class Failing(PreparingRecognizer):
        def prepare(self, vocabulary: Vocabulary) -> None:
            from voice_assistant.errors import RecognizerError

            raise RecognizerError("no temporary folder")

    prepare_vocabulary(Plain(), Vocabulary(("hi there",)))  # type: ignore[arg-type]  # on purpose: a recogniser without prepare
    prepare_vocabulary(Failing(), Vocabulary(("hi there",)))
