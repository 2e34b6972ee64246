"""Utterance segmentation: synthetic bursts (pure logic), espeak-ng, real recordings."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.hearing.endpointing import (
    NoSpeech,
    PauseLook,
    Segmenter,
    SegmentEvent,
    SpeechPaused,
    SpeechStarted,
    Utterance,
    frame_energy_db,
)

SR = 16000
BLOCK_SIZES = [160, 512, 1000, 4000]
SAMPLE_DIR = Path(
    os.environ.get(
        "SPEECH_COMMANDS_SAMPLE",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "speech-commands-sample",
    )
)


# -- helpers ----------------------------------------------------------------


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SR), dtype=np.int16)


def noise(seconds: float, rms: float, seed: int = 0, colour: str = "white") -> np.ndarray:
    """Gaussian noise; ``pink`` and ``brown`` tilt it towards low frequencies."""
    n = round(seconds * SR)
    white = np.random.default_rng(seed).normal(size=n)
    if colour != "white":
        spectrum = np.fft.rfft(white)
        k = np.arange(len(spectrum), dtype=np.float64)
        k[0] = 1.0
        spectrum /= np.sqrt(k) if colour == "pink" else k
        white = np.fft.irfft(spectrum, n)
    samples: np.ndarray = np.clip(white / white.std() * rms, -32768, 32767).astype(np.int16)
    return samples


def burst(seconds: float, level: float = 6000.0, freq: float = 220.0) -> np.ndarray:
    """A voice stand-in for the pure tests: a harmonic tone with syllable-like wobble."""
    t = np.arange(round(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * freq * h * t) / h for h in (1, 2, 3, 4))
    wobble = 0.75 + 0.25 * np.sin(2 * np.pi * 4.0 * t)
    return (level * tone * wobble / 2).astype(np.int16)


def run(
    signal: np.ndarray,
    block: int,
    segmenter: Segmenter | None = None,
    flush: bool = True,
    paused: bool = False,
) -> list[SegmentEvent]:
    """Feed ``signal`` in ``block``-byte pieces; ``SpeechPaused`` only when ``paused``."""
    seg = segmenter or Segmenter()
    data = signal.astype("<i2").tobytes()
    events: list[SegmentEvent] = []
    for offset in range(0, len(data), block):
        events.extend(seg.feed(data[offset : offset + block]))
    if flush:
        events.extend(seg.flush())
    return [e for e in events if paused or not isinstance(e, SpeechPaused)]


def utterances(events: list[SegmentEvent]) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance)]


def always_voice() -> tuple[object, int]:
    """Pure tests: every frame 'sounds like a voice'; only the energy gate decides."""
    return (lambda frame: True), 960


def pure_segmenter(**kwargs: float | None) -> Segmenter:
    return Segmenter(classifier=always_voice(), **kwargs)  # type: ignore[arg-type]  # each test passes the Segmenter settings it varies


def resample(x: np.ndarray, src: int, dst: int = SR) -> np.ndarray:
    """Band-limited resampling through the FFT (enough for test audio)."""
    n_out = round(len(x) * dst / src)
    spectrum = np.fft.rfft(x.astype(np.float64))
    keep = n_out // 2 + 1
    out_spec = np.zeros(keep, dtype=complex)
    m = min(keep, len(spectrum))
    out_spec[:m] = spectrum[:m]
    y = np.fft.irfft(out_spec, n_out) * (n_out / len(x))
    return np.clip(y, -32768, 32767).astype(np.int16)


def read_wav(data: bytes | Path) -> tuple[np.ndarray, int]:
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with wave.open(source) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def espeak(text: str) -> np.ndarray:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed")
    wav = subprocess.run(
        [exe, "-v", "en-us", "-s", "150", "--stdout", text], check=True, capture_output=True
    ).stdout
    samples, rate = read_wav(wav)
    return resample(samples, rate)


def speech_bounds(x: np.ndarray, drop_db: float = 30.0) -> tuple[float, float]:
    """Where clean (synthetic) speech is: first/last 10 ms above peak - drop_db."""
    frames = x[: len(x) // 160 * 160].reshape(-1, 160).astype(np.float64)
    level = 10 * np.log10((frames**2).mean(axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - drop_db)
    return loud[0] * 160 / SR, (loud[-1] + 1) * 160 / SR


# -- pure logic (energy gate only) -------------------------------------------


def test_each_look_of_a_pause_is_reported_once_before_the_end_with_the_same_audio() -> None:
    signal = np.concatenate([noise(1.0, 30), burst(0.5), noise(1.5, 30, seed=1)])
    seg = pure_segmenter()
    data = signal.astype("<i2").tobytes()
    seen: list[tuple[SegmentEvent, float]] = []
    for offset in range(0, len(data), 480):
        seen.extend((event, seg.quiet_s) for event in seg.feed(data[offset : offset + 480]))
    events = [event for event, _ in seen]
    assert [type(e) for e in events] == [SpeechStarted, *[SpeechPaused] * 3, Utterance]
    looks = [(e.look, quiet) for e, quiet in seen if isinstance(e, SpeechPaused)]
    assert [look for look, _ in looks] == [PauseLook.SETTLED, PauseLook.COMPLETE, PauseLook.OPEN]
    # Settled once the quiet covers the 0.15 s tail; then 0.25 s and 0.45 s (30 ms frames).
    assert [quiet for _, quiet in looks] == pytest.approx([0.15, 0.24, 0.45])
    final = events[-1]
    assert isinstance(final, Utterance)
    for event in events[1:4]:
        assert isinstance(event, SpeechPaused)
        assert event.utterance == final  # nothing new was said: the same answer at every look


def test_the_settled_look_needs_the_whole_tail() -> None:
    # A longer tail than the early look: no decode-ahead look (the audio is not settled yet).
    signal = np.concatenate([noise(1.0, 30), burst(0.5), noise(1.5, 30, seed=1)])
    events = run(signal, 512, pure_segmenter(tail_s=0.3), paused=True)
    looks = [e.look for e in events if isinstance(e, SpeechPaused)]
    assert looks == [PauseLook.COMPLETE, PauseLook.OPEN]
    off = run(signal, 512, pure_segmenter(settled_look=False, open_silence_s=None), paused=True)
    assert [e.look for e in off if isinstance(e, SpeechPaused)] == [PauseLook.COMPLETE]


def test_speech_after_the_pause_continues_the_same_utterance() -> None:
    # "not ... sure": 0.4 s of quiet inside the answer is a pause, not the end.
    signal = np.concatenate(
        [noise(1.0, 30), burst(0.4), noise(0.4, 30, seed=2), burst(0.4), noise(1.5, 30, seed=1)]
    )
    events = run(signal, 160, pure_segmenter(), paused=True)
    kinds = [type(e) for e in events]
    # Two looks (settled, complete) in the inner pause, three in the final one.
    assert kinds == [SpeechStarted, *[SpeechPaused] * 2, *[SpeechPaused] * 3, Utterance]
    assert [e.look for e in events if isinstance(e, SpeechPaused)][:2] == [
        PauseLook.SETTLED,
        PauseLook.COMPLETE,
    ]
    (utt,) = utterances(events)
    assert utt.start_s == pytest.approx(1.0, abs=0.05)
    assert utt.end_s == pytest.approx(2.2, abs=0.05)


def test_end_now_ends_the_utterance_at_the_pause() -> None:
    seg = pure_segmenter()
    signal = np.concatenate([noise(1.0, 30), burst(0.5), noise(1.5, 30, seed=1)])
    data = signal.astype("<i2").tobytes()
    got: list[SegmentEvent] = []
    ended = None
    for offset in range(0, len(data), 320):
        for event in seg.feed(data[offset : offset + 320]):
            got.append(event)
            if isinstance(event, SpeechPaused) and event.look is PauseLook.COMPLETE:
                ended = seg.end_now()
                assert seg.position_s < 1.5 + 0.3  # well before the 0.7 s trailing silence
    assert ended is not None and ended.end_s == pytest.approx(1.5, abs=0.05)
    assert not any(isinstance(e, Utterance) for e in got)  # no second copy later
    assert seg.end_now() is None  # nothing is being collected any more


def test_no_pause_events_when_early_look_is_off() -> None:
    signal = np.concatenate([noise(1.0, 30), burst(0.5), noise(1.5, 30, seed=1)])
    events = run(signal, 512, pure_segmenter(early_silence_s=None), paused=True)
    assert [type(e) for e in events] == [SpeechStarted, Utterance]


@pytest.mark.parametrize("block", [*BLOCK_SIZES, 333, 7])
def test_one_burst_is_one_utterance_whatever_the_block_size(block: int) -> None:
    signal = np.concatenate([noise(2.0, 30), burst(0.6), noise(2.0, 30, seed=1)])
    events = run(signal, block, pure_segmenter())
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, Utterance]
    (utt,) = utterances(events)
    assert utt.start_s == pytest.approx(2.0, abs=0.05)
    assert utt.end_s == pytest.approx(2.6, abs=0.05)
    assert not utt.truncated
    assert events[0] == SpeechStarted(utt.start_s)
    # ~0.3 s of pre-roll before the speech, a short tail after it.
    assert utt.audio_start_s == pytest.approx(1.7, abs=0.05)
    assert utt.audio_end_s == pytest.approx(2.75, abs=0.05)
    assert len(utt.audio) == round((utt.audio_end_s - utt.audio_start_s) * SR) * 2


def test_utterance_audio_is_the_stream_audio_at_its_position() -> None:
    signal = np.concatenate([noise(1.0, 30), burst(0.5), noise(1.5, 30, seed=2)])
    (utt,) = utterances(run(signal, 1000, pure_segmenter()))
    first = round(utt.audio_start_s * SR)
    expected = signal[first : first + len(utt.audio) // 2].astype("<i2").tobytes()
    assert utt.audio == expected


def test_same_events_for_every_block_size() -> None:
    signal = np.concatenate(
        [noise(1.0, 30), burst(0.4), noise(1.5, 30, 3), burst(0.8, 3000), noise(1.2, 30, 4)]
    )
    results = [run(signal, block, pure_segmenter()) for block in [*BLOCK_SIZES, 333, 7]]
    assert all(r == results[0] for r in results)
    assert len(utterances(results[0])) == 2


def test_answers_separated_by_1_5_s_are_two_utterances() -> None:
    signal = np.concatenate([noise(1.0, 30), burst(0.5), silence(1.5), burst(0.5), silence(1.5)])
    utts = utterances(run(signal, 512, pure_segmenter()))
    assert [round(u.start_s, 1) for u in utts] == [1.0, 3.0]


def test_a_short_pause_inside_an_answer_does_not_split_it() -> None:
    signal = np.concatenate([silence(1.0), burst(0.4), silence(0.3), burst(0.4), silence(1.5)])
    (utt,) = utterances(run(signal, 512, pure_segmenter()))
    assert utt.start_s == pytest.approx(1.0, abs=0.05)
    assert utt.end_s == pytest.approx(2.1, abs=0.05)


def test_silence_only_gives_no_speech_after_the_limit_and_again_later() -> None:
    seg = pure_segmenter(max_leading_silence_s=3.0)
    events = run(noise(7.0, 30), 1000, seg)
    assert events == [
        NoSpeech(pytest.approx(3.0, abs=0.03)),  # type: ignore[arg-type]  # approx compares as a float
        NoSpeech(pytest.approx(3.0, abs=0.03)),  # type: ignore[arg-type]  # approx compares as a float
    ]
    seg2 = pure_segmenter(max_leading_silence_s=3.0)
    assert run(noise(2.9, 30), 1000, seg2) == []


def test_long_speech_is_truncated_at_the_maximum_and_listening_resumes() -> None:
    seg = pure_segmenter(max_utterance_s=2.0)
    signal = np.concatenate([silence(1.0), burst(5.0), silence(1.0), burst(0.5), silence(1.5)])
    utts = utterances(run(signal, 4000, seg))
    assert len(utts) == 2
    first, second = utts
    assert first.truncated
    assert first.start_s == pytest.approx(1.0, abs=0.05)
    assert first.end_s - first.start_s == pytest.approx(2.0, abs=0.05)
    # The rest of the long talk is dropped; the next answer starts fresh.
    assert not second.truncated
    assert second.start_s == pytest.approx(7.0, abs=0.05)


def test_flush_hands_over_an_utterance_cut_by_the_end_of_the_stream() -> None:
    seg = pure_segmenter()
    signal = np.concatenate([silence(1.0), burst(0.6)])
    events = run(signal, 1000, seg, flush=False)
    assert [type(e) for e in events] == [SpeechStarted]
    (utt,) = utterances(seg.flush())
    assert not utt.truncated
    assert utt.audio_end_s == pytest.approx(1.6, abs=0.001)
    assert seg.flush() == []


def test_reset_drops_buffered_speech_and_restarts_the_silence_count() -> None:
    seg = pure_segmenter(max_leading_silence_s=2.0)
    events = run(np.concatenate([silence(1.5), burst(0.4)]), 1000, seg, flush=False)
    assert [type(e) for e in events] == [SpeechStarted]
    seg.reset()
    assert not seg.in_speech
    # The talk stopped while we were resetting; nothing must come out of it.
    events = run(silence(1.9), 1000, seg, flush=False)
    assert events == []
    events = run(silence(0.2), 1000, seg, flush=False)
    assert [type(e) for e in events] == [NoSpeech]
    # Time kept running through the reset.
    assert seg.position_s == pytest.approx(1.5 + 0.4 + 2.1, abs=0.03)


def test_steady_noise_of_any_colour_never_starts_speech_with_the_energy_gate() -> None:
    for colour in ("white", "pink", "brown"):
        for rms in (100.0, 1000.0, 5000.0):
            events = run(noise(10.0, rms, colour=colour), 1000, pure_segmenter())
            assert all(isinstance(e, NoSpeech) for e in events), (colour, rms, events)


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        pure_segmenter(max_utterance_s=0)
    with pytest.raises(ValueError):
        pure_segmenter(start_ratio=1.5)


def test_frame_energy_db() -> None:
    assert frame_energy_db(b"") == -120.0
    assert frame_energy_db(bytes(960)) == -120.0
    full = np.full(480, 32767, dtype="<i2").tobytes()
    assert frame_energy_db(full) == pytest.approx(0.0, abs=0.01)
    # Pre-emphasis removes a constant (DC) signal almost entirely.
    assert frame_energy_db(full, previous=32767.0, pre_emphasis=0.97) < -25


# -- pocketsphinx VAD with espeak-ng speech ----------------------------------


@pytest.mark.audio
@pytest.mark.parametrize("block", BLOCK_SIZES)
@pytest.mark.parametrize("background", ["silence", "noise"])
def test_espeak_yes_is_one_utterance(block: int, background: str) -> None:
    yes = espeak("yes")
    s0, s1 = speech_bounds(yes)
    signal = np.concatenate([silence(2.0), yes, silence(2.0)])
    if background == "noise":  # a quiet room under everything (espeak's own tail is zeros)
        signal = signal + noise(len(signal) / SR, 60)
    events = run(signal, block)
    (utt,) = utterances(events)
    assert [type(e) for e in events] == [SpeechStarted, Utterance]
    assert utt.start_s == pytest.approx(2.0 + s0, abs=0.3)
    assert utt.end_s == pytest.approx(2.0 + s1, abs=0.3)
    assert utt.audio_start_s <= 2.0 + s0 and utt.audio_end_s >= 2.0 + s1


@pytest.mark.audio
def test_espeak_two_answers_1_5_s_apart_are_two_utterances() -> None:
    first, second = espeak("not sure"), espeak("two days ago")
    signal = np.concatenate([silence(1.0), first, silence(1.5), second, silence(1.5)])
    utts = utterances(run(signal, 1000))
    assert len(utts) == 2
    a0, a1 = speech_bounds(first)
    b0, b1 = speech_bounds(second)
    offset = 1.0 + len(first) / SR + 1.5
    assert utts[0].start_s == pytest.approx(1.0 + a0, abs=0.3)
    assert utts[0].end_s == pytest.approx(1.0 + a1, abs=0.3)
    assert utts[1].start_s == pytest.approx(offset + b0, abs=0.3)
    assert utts[1].end_s == pytest.approx(offset + b1, abs=0.3)


@pytest.mark.audio
def test_espeak_long_talk_is_truncated_at_the_maximum() -> None:
    talk = espeak("the quick brown fox jumps over the lazy dog " * 4)
    assert len(talk) / SR > 10
    signal = np.concatenate([silence(1.0), talk, silence(1.0)])
    utts = utterances(run(signal, 4000, Segmenter(max_utterance_s=8.0)))
    assert utts[0].truncated
    assert utts[0].end_s - utts[0].start_s == pytest.approx(8.0, abs=0.05)
    assert not any(u.start_s < 1.0 + 8.0 for u in utts[1:])


@pytest.mark.audio
def test_only_silence_gives_no_speech_with_the_real_vad() -> None:
    events = run(silence(8.5), 1000, Segmenter(max_leading_silence_s=8.0))
    assert events == [NoSpeech(pytest.approx(8.0, abs=0.03))]  # type: ignore[arg-type]  # approx compares as a float


@pytest.mark.audio
@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
@pytest.mark.parametrize("rms", [300.0, 1000.0, 3000.0])
def test_moderate_steady_noise_does_not_trigger(colour: str, rms: float) -> None:
    # rms 1000 is about -30 dBFS: a loud fan close to the microphone. pocketsphinx's
    # own Endpointer enters speech on white noise at this level and stays there.
    events = run(noise(12.0, rms, seed=7, colour=colour), 512, Segmenter())
    assert events == [NoSpeech(pytest.approx(8.0, abs=0.03))]  # type: ignore[arg-type]  # approx compares as a float


# -- real human recordings -----------------------------------------------------

# Clips in the sample with no usable word in them: nearly silent (peak -62 dBFS),
# and a clip where the word is cut off after 60 ms at its very end.
UNUSABLE_CLIPS = {"two/51055bda_nohash_4.wav", "up/1eddce1d_nohash_3.wav"}


def matching_background(clip: np.ndarray, seconds: float, seed: int) -> np.ndarray:
    """Noise with the level and spectrum of the clip's quietest frames.

    Padding with digital silence would make the clip's own background look
    like a sudden sound; a real microphone hears that background all along.
    """
    dc = float(clip.mean())  # some clips carry a DC offset: keep it, don't turn it into rumble
    frames = clip[: len(clip) // 480 * 480].reshape(-1, 480).astype(np.float64) - dc
    level = (frames**2).mean(axis=1)
    quiet = frames[np.argsort(level)[: max(2, len(frames) // 5)]]
    power = (np.abs(np.fft.rfft(quiet, axis=1)) ** 2).mean(axis=0)
    n = round(seconds * SR)
    spectrum = np.fft.rfft(np.random.default_rng(seed).normal(size=n))
    shape = np.interp(np.linspace(0, 1, len(spectrum)), np.linspace(0, 1, len(power)), power)
    y = np.fft.irfft(spectrum * np.sqrt(shape), n)
    y = y / (y.std() + 1e-9) * np.sqrt((quiet**2).mean()) + dc
    samples: np.ndarray = np.clip(y, -32768, 32767).astype(np.int16)
    return samples


def word_core(clip: np.ndarray, drop_db: float = 10.0) -> tuple[float, float]:
    """First and last 10 ms of the clip within ``drop_db`` of its loudest point.

    Levels are taken on the first difference of the signal, which weights
    the voice band over the rumble some of these clips carry, and smoothed
    over 50 ms so a lone click is not taken for the word.
    """
    diff = np.diff(clip.astype(np.float64), prepend=float(clip[0]))
    frames = diff[: len(diff) // 160 * 160].reshape(-1, 160)
    power = np.convolve((frames**2).mean(axis=1), np.ones(5) / 5, mode="same")  # 50 ms
    level = 10 * np.log10(power + 1e-9)
    loud = np.flatnonzero(level > level.max() - drop_db)
    return loud[0] * 160 / SR, (loud[-1] + 1) * 160 / SR


def words() -> list[str]:
    if not SAMPLE_DIR.is_dir():
        return []
    return sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_dir())


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"no speech sample at {SAMPLE_DIR}")
@pytest.mark.parametrize("word", words() or ["(none)"])
def test_real_recordings_padded_with_their_background_are_one_utterance(word: str) -> None:
    pad = 1.5
    for seed, path in enumerate(sorted((SAMPLE_DIR / word).glob("*.wav"))):
        if f"{word}/{path.name}" in UNUSABLE_CLIPS:
            continue
        clip, rate = read_wav(path)
        assert rate == SR
        signal = np.concatenate(
            [matching_background(clip, pad, seed), clip, matching_background(clip, pad, seed + 99)]
        )
        utts = utterances(run(signal, 1000))
        assert len(utts) == 1, (path.name, utts)
        (utt,) = utts
        # The loud part of the word is inside the audio handed to the recogniser.
        core0, core1 = word_core(clip)
        assert utt.audio_start_s <= pad + core0, path.name
        assert utt.audio_end_s >= pad + core1, path.name
        # ...and the speech found lies within the clip (plus the usual 0.3 s slack).
        assert utt.start_s >= pad - 0.3, path.name
        assert utt.end_s <= pad + len(clip) / SR + 0.3, path.name
