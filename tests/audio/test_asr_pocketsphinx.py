"""The embedded recogniser: listed phrases are heard, everything else comes back as "".

Accuracy and speed are measured in bench/recognition.py; here we check behaviour,
with aggregate rates where single clips would be fragile.
"""

from __future__ import annotations

import io
import logging
import math
import re
from pathlib import Path

import numpy as np
import pytest
from audio_synth import requires_espeak, synth_pcm, synth_wav
from support import DIALOGS

from voice_assistant.adapters.audio.wav import is_silence, read_wav
from voice_assistant.adapters.pocketsphinx.asr_pocketsphinx import (
    Decision,
    PocketsphinxRecognizer,
    normalise,
)
from voice_assistant.adapters.pocketsphinx.pocketsphinx_lm import arpa_text, background_words
from voice_assistant.commands.recognize import DEFAULT_CHOICES, run_recognize
from voice_assistant.dialog.conversation import Conversation
from voice_assistant.dialog.script import load_script
from voice_assistant.dialog.states import CONFIRMING
from voice_assistant.events import Transcript, Vocabulary

SPEECH = Path(__file__).resolve().parents[3] / "shared" / "data" / "speech-commands-sample"
YES_NO = Vocabulary(DEFAULT_CHOICES)  # what `heat-or-ice recognize` listens for


# -- pure parts (no audio) ----------------------------------------------------------------


def test_normalise_keeps_words_and_apostrophes() -> None:
    assert normalise("  I Don\u2019t know!! ") == "i don't know"
    assert normalise("Start-over, please") == "start over please"
    assert normalise("...") == ""


def test_language_model_lists_phrases_and_background_with_valid_probabilities() -> None:
    text = arpa_text([["yes"], ["not", "sure"], ["no"]], ["the", "cat"], phrase_prior=0.5)
    one_grams = text.split("\\1-grams:")[1].split("\\2-grams:")[0].split("\n")
    unigrams = {f[1]: float(f[0]) for f in (line.split() for line in one_grams) if len(f) == 3}
    assert set(unigrams) >= {"yes", "not", "sure", "no", "the", "cat", "</s>"}
    total = sum(10**p for w, p in unigrams.items() if w != "<s>")
    assert total == pytest.approx(1.0, abs=1e-3)
    bigrams = re.findall(r"^(-?[\d.]+) (\S+) (\S+)$", text.split("\\2-grams:")[1], re.MULTILINE)
    starts = {b: 10 ** float(p) for p, a, b in bigrams if a == "<s>"}
    assert starts == pytest.approx({"yes": 0.5 / 3, "not": 0.5 / 3, "no": 0.5 / 3}, rel=1e-3)
    assert ("not", "sure") in {(a, b) for _, a, b in bigrams}
    assert ("sure", "</s>") in {(a, b) for _, a, b in bigrams}


def test_background_is_generic_english() -> None:
    words = background_words()
    assert len(words) >= 1000
    assert words[:3] == ["the", "to", "i"]
    assert len(set(words)) == len(words)


def test_silence_check() -> None:
    rng = np.random.default_rng(0)
    assert is_silence(bytes(32000), -60.0, 6.0)
    hiss = rng.normal(0, 1000, 16000).astype(np.int16).tobytes()
    assert is_silence(hiss, -60.0, 6.0)  # loud but steady
    burst = np.concatenate([rng.normal(0, 30, 8000), rng.normal(0, 3000, 4000)])
    burst = np.concatenate([burst, rng.normal(0, 30, 4000)])
    assert not is_silence(burst.astype(np.int16).tobytes(), -60.0, 6.0)


# -- the real engine -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def recognizer() -> PocketsphinxRecognizer:
    recognizer = PocketsphinxRecognizer()
    recognizer.warm_up()
    return recognizer


@pytest.mark.audio
def test_silence_and_noise_are_rejected(recognizer: PocketsphinxRecognizer) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(24000) / 16000
    clips = {
        "digital zero": np.zeros(24000),
        "faint hiss": rng.normal(0, 10, 24000),
        "loud hiss": rng.normal(0, 3000, 24000),
        "mains hum": 2000 * np.sin(2 * np.pi * 50 * t) + rng.normal(0, 20, 24000),
        "rumble": np.cumsum(rng.normal(0, 40, 24000)),
    }
    for name, samples in clips.items():
        pcm = np.clip(samples, -32768, 32767).astype(np.int16).tobytes()
        heard = recognizer.recognize(pcm, YES_NO)
        assert heard.text == "", name
        assert heard.source == "audio"
    assert recognizer.recognize(b"", YES_NO).text == ""
    assert recognizer.recognize(b"\x01", YES_NO).text == ""


@pytest.mark.audio
@requires_espeak
def test_synthesized_answers_are_heard(recognizer: PocketsphinxRecognizer) -> None:
    sayings = ["yes", "no", "stop", "not sure", "i don't know", "how long left", "start over"]
    for text in sayings:
        heard = recognizer.recognize(synth_pcm(text, "en-us", 150), YES_NO)
        assert heard.text == text
        assert 0.0 < heard.confidence <= 1.0


@pytest.mark.audio
@requires_espeak
def test_synthesized_onset_answers_are_heard(recognizer: PocketsphinxRecognizer) -> None:
    numbers = ["one", "two", "three", "four", "five", "six", "ten"]
    units = ["hours", "days", "weeks", "months"]
    phrases = [f"{n} {u}{a}" for n in numbers for u in units for a in ("", " ago")]
    onset = Vocabulary((*phrases, "this morning", "yesterday", "last week", "stop", "repeat"))
    for text in ["two days ago", "this morning", "three weeks", "yesterday"]:
        assert recognizer.recognize(synth_pcm(text, "en-us", 150), onset).text == text


@pytest.mark.audio
@requires_espeak
def test_words_outside_the_vocabulary_are_rejected(recognizer: PocketsphinxRecognizer) -> None:
    others = ["banana", "elephant", "seven", "purple", "window", "telephone", "good morning"]
    heard = [
        recognizer.recognize(synth_pcm(w, voice, 150), YES_NO).text
        for w in others
        for voice in ("en-us", "en-gb")
    ]
    assert sum(text == "" for text in heard) >= len(heard) - 1, heard


@pytest.mark.audio
@requires_espeak
def test_returns_the_callers_phrase_exactly(recognizer: PocketsphinxRecognizer) -> None:
    vocabulary = Vocabulary(("Yes!", "No.", "Not sure"))
    assert recognizer.recognize(synth_pcm("yes"), vocabulary).text == "Yes!"
    assert recognizer.recognize(synth_pcm("not sure"), vocabulary).text == "Not sure"


@pytest.mark.audio
@requires_espeak
def test_unknown_words_are_skipped_with_a_warning(
    recognizer: PocketsphinxRecognizer, caplog: pytest.LogCaptureFixture
) -> None:
    vocabulary = Vocabulary(("yes", "no", "unpause xyzzy"))
    with caplog.at_level(logging.WARNING):
        assert recognizer.recognize(synth_pcm("yes"), vocabulary).text == "yes"
    assert "xyzzy" in caplog.text
    nothing = Vocabulary(("xyzzy", "qwrtz"))
    assert recognizer.recognize(synth_pcm("yes"), nothing).text == ""


@pytest.mark.audio
def test_vocabularies_are_compiled_once() -> None:
    recognizer = PocketsphinxRecognizer()
    rng = np.random.default_rng(2)
    burst = np.concatenate([rng.normal(0, 30, 6000), rng.normal(0, 3000, 4000), np.zeros(6000)])
    noise = burst.astype(np.int16).tobytes()  # loud enough to be decoded, not silence
    for _ in range(3):
        recognizer.recognize(noise, YES_NO)
        recognizer.recognize(noise, Vocabulary(tuple(reversed(YES_NO.phrases))))
    recognizer.prepare(Vocabulary(("pause", "resume")))
    assert recognizer.compiled_vocabularies == 2


@pytest.mark.audio
def test_low_confidence_threshold() -> None:
    recognizer = PocketsphinxRecognizer(low_confidence=0.8)
    assert recognizer.confidence(0.0) == 0.0
    assert 0.5 < recognizer.confidence(0.1) < recognizer.confidence(0.3) < 1.0
    assert not recognizer.transcript(decided("yes", 0.6)).sure
    assert not recognizer.transcript(decided("yes", 0.79)).sure
    assert recognizer.transcript(decided("yes", 0.8)).sure


def decided(text: str, confidence: float) -> Decision:
    return Decision(text, confidence, text, 0.05, "accepted", 0.01)


@pytest.mark.audio
def test_a_pocketsphinx_no_at_0_6_is_read_back_at_a_danger_screen() -> None:
    """pocketsphinx's own rule (0.75: about 1 in 2 wrong below it), not one for every engine."""
    heard = PocketsphinxRecognizer().transcript(decided("no", 0.6))
    assert (heard.text, heard.confidence, heard.sure) == ("no", 0.6, False)
    conversation = Conversation(load_script(DIALOGS))
    conversation.start()
    danger = conversation.state
    turn = conversation.hear(heard)[0]
    assert conversation.state == CONFIRMING and "I heard no" in turn.say
    conversation.hear(Transcript("yes", 0.9, "audio"))
    assert conversation.state != danger and conversation.facts  # the no was recorded
    sure = Conversation(load_script(DIALOGS))
    sure.start()
    sure.hear(PocketsphinxRecognizer().transcript(decided("no", 0.9)))
    assert sure.state not in (CONFIRMING, danger)  # sure enough: taken at once


def sample(word: str, count: int) -> list[bytes]:
    files = sorted((SPEECH / word).glob("*.wav"))[:count]
    return [read_wav(path) for path in files]


@pytest.mark.audio
@pytest.mark.skipif(not SPEECH.is_dir(), reason="speech-commands sample not found")
def test_real_recordings(recognizer: PocketsphinxRecognizer) -> None:
    hits = [
        recognizer.recognize(pcm, YES_NO).text == w for w in ("yes", "no") for pcm in sample(w, 8)
    ]
    others = ["marvin", "sheila", "bed", "cat", "happy", "house"]
    rejected = [
        recognizer.recognize(pcm, YES_NO).text == "" for w in others for pcm in sample(w, 5)
    ]
    assert sum(hits) / len(hits) >= 0.8, hits
    assert sum(rejected) / len(rejected) >= 0.85, rejected


# -- the recognize command ----------------------------------------------------------------


@pytest.mark.audio
@requires_espeak
def test_recognize_command_with_the_real_engine(
    recognizer: PocketsphinxRecognizer, tmp_path: Path
) -> None:
    yes = synth_wav("yes", tmp_path / "yes.wav")
    quiet = tmp_path / "quiet.wav"
    quiet.write_bytes(yes.read_bytes()[:44] + bytes(len(yes.read_bytes()) - 44))
    broken = tmp_path / "broken.wav"
    broken.write_text("not audio")
    out, err = io.StringIO(), io.StringIO()
    code = run_recognize([yes, broken, quiet], None, recognizer, out, err)
    assert code != 0
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    assert [fields[:2] for fields in lines] == [[str(yes), "yes"], [str(quiet), ""]]
    assert all(re.fullmatch(r"\d\.\d\d", fields[2]) for fields in lines)
    assert math.isclose(float(lines[1][2]), 0.0)
    assert "broken.wav" in err.getvalue() and "not a usable WAV" in err.getvalue()
    assert "yes" in DEFAULT_CHOICES and "stop" in DEFAULT_CHOICES
