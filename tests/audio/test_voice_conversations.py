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
from support import json_turns, run_cli, spoken_names, whisper_or_skip

from voice_assistant.dialog.script import DialogScript
from voice_assistant.ports import Recognizer
from voice_assistant.testing import SCENARIOS, Scenario, spoken_conversation

pytestmark = pytest.mark.audio

# Voices the en-us pocketsphinx model hears well at conversational rates; Whisper,
# the default engine, is asserted on British and Scottish voices too. Every voice
# and rate is measured (not asserted) in bench/recognition.py.
POCKETSPHINX_VOICES = ["en-us", "en-us+m3", "en-us+f3", "en-us+f2"]
POCKETSPHINX_RATES = [175, 200]
# Answering once, at 150 and 175 wpm. (en-gb-x-rp is measured in the bench, not
# asserted: Whisper tiny hears its short "years" as "Yes." and rightly asks again;
# at 200 wpm en-gb and en-gb-scotland lose one scenario of six, also measured.)
WHISPER_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-us+f3"]
# Nine screening questions: five emergency, three same-day, sensation.
SCREENS = ["no", "nope", "no", "not really", "no", "no", "nope", "no", "no"]


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    from voice_assistant.adapters.pocketsphinx.asr_pocketsphinx import PocketsphinxRecognizer

    return PocketsphinxRecognizer()


@pytest.fixture(scope="module")
def whisper() -> Recognizer:
    return whisper_or_skip()


def check_scenarios(
    script: DialogScript, recognizer: Recognizer, voice: str, rate: int, retry: bool
) -> None:
    failures = []
    for name, scenario in SCENARIOS.items():
        result = spoken_conversation(script, recognizer, scenario, voice, rate, retry=retry)
        if result.recommendation != scenario.expected:
            failures.append((name, result.recommendation, result.heard))
    assert not failures, failures


@pytest.mark.parametrize("voice", POCKETSPHINX_VOICES)
@pytest.mark.parametrize("rate", POCKETSPHINX_RATES)
def test_spoken_conversations_reach_the_right_advice(
    script: DialogScript, recognizer: Recognizer, voice: str, rate: int
) -> None:
    check_scenarios(script, recognizer, voice, rate, retry=True)


@pytest.mark.parametrize("voice", WHISPER_VOICES)
@pytest.mark.parametrize("rate", [150, 175])
def test_whisper_hears_every_accent_answering_once(
    script: DialogScript, whisper: Recognizer, voice: str, rate: int
) -> None:
    check_scenarios(script, whisper, voice, rate, retry=False)


def test_cli_audio_in_json_has_heard(tmp_path: Path) -> None:
    files = []
    for index, answer in enumerate([*SCREENS, "years", "no", "no"]):
        pcm = synth_pcm(answer, "en-us", 150)
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


@pytest.mark.parametrize("engine", ["recognizer", "whisper"])
def test_silence_and_nonsense_are_not_answers(
    script: DialogScript, engine: str, request: pytest.FixtureRequest
) -> None:
    recognizer = request.getfixturevalue(engine)
    answers = {question.id: "banana" for question in script.questions}
    scenario = Scenario(answers, ("none", None), screens=("elephant",))
    result = spoken_conversation(script, recognizer, scenario, "en-us", 150, retry=True)
    if engine == "whisper":
        # Never taken as an answer: asked again, or (heard as a faint "no") read back
        # and asked again, so the first danger question is never left with a no; after
        # four misses it is resolved as not sure, said so (repair: never a loop).
        # (The pocketsphinx fallback hears espeak's "banana" as "none"; measured in
        # bench/recognition.py.)
        second_question = " ".join(script.questions[1].ask.split())
        assert not any(second_question in said for said in result.said)
        assert any("didn't catch" in said or "Is that right" in said for said in result.said)
        assert result.recommendation in (None, ("seek_care", "emergency"))
        if result.recommendation is not None:
            assert any("to be safe" in said for said in result.said), result.said
    else:
        assert result.recommendation is None


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
def test_assistant_speech_rendered_to_wav_says_the_advice(
    tmp_path: Path, answers: list[str], opening: str
) -> None:
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
    names = spoken_names(speech)
    advice = speech / next(n for n in names if n.split("-", 1)[1].startswith("use-"))[:3]
    advice = advice.with_suffix(".wav")
    with wave.open(str(advice)) as wav:
        assert wav.getnframes() / wav.getframerate() > 20  # advice plus every safety line
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(int(rate * 1.2)), dtype=np.int16)
    times = np.arange(0, len(samples) / rate, 1 / 16000)
    pcm = np.interp(times, np.arange(len(samples)) / rate, samples).astype(np.int16).tobytes()
    assert first_words(pcm, ["use heat", "use ice", "call emergency services"]) == opening
