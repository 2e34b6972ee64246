"""Full conversations by voice: espeak-ng speaks the user's answers, the real recogniser
hears them, and the assistant's own speech is rendered to WAV and checked.

No sound card needed: audio goes through WAV data, never a device.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from audio_synth import synth_pcm
from support import DIALOGS, json_turns, run_cli

from voice_assistant.app import build_assistant
from voice_assistant.clock import FakeClock
from voice_assistant.events import AudioClip, InputClosed
from voice_assistant.listener import transcribe_clip
from voice_assistant.output import MemorySink
from voice_assistant.session.journal import Journal
from voice_assistant.session.plans import load_session_config
from voice_assistant.session.safe_journal import SafeJournal
from voice_assistant.speakers import RecordingSpeaker

pytestmark = pytest.mark.audio

# Voices the en-us acoustic model hears well at conversational rates. British,
# Scottish and slow voices are measured (not asserted) in bench/recognition.py.
VOICES = ["en-us", "en-us+m3", "en-us+f3", "en-us+f2"]
RATES = [175, 200]
REPEAT_SLOWER_BY = 25  # words/minute: a person asked again repeats a little slower
# Nine screening questions: five emergency, three same-day, sensation.
SCREENS = ["no", "nope", "no", "not really", "no", "no", "nope", "no", "no"]
SCENARIOS = {
    "heat": ([*SCREENS, "years", "no", "yes"], ("heat", None)),
    "ice_then_heat": ([*SCREENS, "yesterday", "no", "yes"], ("ice_then_heat", None)),
    "ice_swollen": ([*SCREENS, "two days ago", "yes"], ("ice", None)),
    "emergency": (["no", "yes"], ("seek_care", "emergency")),
    "unsure_screen": (["not sure"], ("seek_care", "emergency")),
    "exercise": ([*SCREENS, "this morning", "no", "no", "exercise"], ("ice", None)),
}


def speak(text: str, voice: str, rate: int, folder: Path) -> bytes:
    """espeak-ng says ``text``, read as the product reads any WAV: 16 kHz mono int16."""
    return synth_pcm(text, voice, rate)


@pytest.fixture(scope="module")
def recognizer():
    from voice_assistant.adapters.asr_pocketsphinx import PocketsphinxRecognizer

    return PocketsphinxRecognizer()


@pytest.fixture(scope="module")
def voice_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("voices")


def converse(script, recognizer, answers, voice, rate, folder):
    config = load_session_config(DIALOGS / "session.yaml")
    sink = MemorySink()
    journal = SafeJournal(Journal.in_memory(config), sink.notice, "{detail}")
    assistant = build_assistant(script, config, journal, RecordingSpeaker(), FakeClock(), sink)
    assistant.transcribe = lambda pcm, vocabulary: transcribe_clip(pcm, recognizer, vocabulary)
    assistant.begin()
    for answer in answers:
        if assistant.done:
            break
        before = len(sink.records)
        assistant.handle(AudioClip(speak(answer, voice, rate, folder), answer))
        if any("didn't catch" in r.say for r in sink.records[before:]):
            # Like a person would, say it once more, a little slower.
            slower = rate - REPEAT_SLOWER_BY
            assistant.handle(AudioClip(speak(answer, voice, slower, folder), answer))
    assistant.handle(InputClosed())
    return sink


@pytest.mark.parametrize("voice", VOICES)
@pytest.mark.parametrize("rate", RATES)
def test_spoken_conversations_reach_the_right_advice(
    script, recognizer, voice_dir, voice, rate
) -> None:
    failures = []
    for name, (answers, expected) in SCENARIOS.items():
        sink = converse(script, recognizer, answers, voice, rate, voice_dir)
        recs = [r.recommendation for r in sink.records if r.recommendation]
        got = (recs[0]["kind"], recs[0]["urgency"]) if recs else None
        if got != expected:
            heard = [r.heard for r in sink.records if r.heard is not None]
            failures.append((name, got, heard))
    assert not failures, failures


def test_cli_audio_in_json_has_heard(tmp_path, voice_dir) -> None:
    files = []
    for index, answer in enumerate([*SCREENS, "years", "no", "no"]):
        pcm = speak(answer, "en-us", 150, voice_dir)
        path = tmp_path / f"{index:02d}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16000)
            wav.writeframes(pcm)
        files.append(str(path))
    result = run_cli("--mute", "--json", "--data-dir", str(tmp_path), "--audio-in", *files)
    assert result.returncode == 0, result.stderr
    turns = json_turns(result.stdout)
    heard = [t["heard"] for t in turns if "heard" in t]
    assert len(heard) >= 3
    assert all(h in ("no", "nope") for h in heard[:3]), heard  # the phrase heard, same meaning
    rec = next(t for t in turns if "recommendation" in t)
    assert rec["recommendation"]["kind"] == "heat"
    assert "Traceback" not in result.stderr


def test_silence_and_nonsense_are_not_answers(script, recognizer, voice_dir) -> None:
    sink = converse(script, recognizer, ["banana", "elephant"], "en-us", 150, voice_dir)
    states = [r.state for r in sink.records]
    assert "recommendation" not in states
    assert sum("didn't catch" in r.say for r in sink.records) == 2


def first_words(pcm: bytes, choices: list[str]) -> str:
    """Which of ``choices`` does this speech start with? (pocketsphinx, forced choice)"""
    from pocketsphinx import Decoder

    decoder = Decoder(lm=None)
    alternatives = " | ".join(choices)
    decoder.add_jsgf_string("advice", f"#JSGF V1.0;\ngrammar a;\npublic <a> = {alternatives};\n")
    decoder.activate_search("advice")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    return decoder.hyp().hypstr if decoder.hyp() else ""


@pytest.mark.parametrize(
    ("answers", "opening"),
    [([*SCREENS, "years", "no", "no"], "use heat"), ([*SCREENS, "yesterday", "yes"], "use ice")],
)
def test_assistant_speech_rendered_to_wav_says_the_advice(tmp_path, answers, opening) -> None:
    speech = tmp_path / "speech"
    result = run_cli(
        "--text",
        "--mute",
        "--save-speech",
        str(speech),
        "--data-dir",
        str(tmp_path),
        stdin="\n".join([*answers, "no thanks"]) + "\n",
    )
    assert result.returncode == 0, result.stderr
    wavs = sorted(speech.glob("*.wav"))
    advice = next(p for p in wavs if p.name.split("-", 1)[1].startswith("use-"))
    with wave.open(str(advice)) as wav:
        assert wav.getnframes() / wav.getframerate() > 20  # advice plus every safety line
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(int(rate * 1.2)), dtype=np.int16)
    times = np.arange(0, len(samples) / rate, 1 / 16000)
    pcm = np.interp(times, np.arange(len(samples)) / rate, samples).astype(np.int16).tobytes()
    assert first_words(pcm, ["use heat", "use ice", "call emergency services"]) == opening
