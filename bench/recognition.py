"""Recognition benchmark: accuracy, rejection and speed of the embedded recogniser.

    python bench/recognition.py            # full run (~3 minutes)
    python bench/recognition.py --quick    # a short run (~40 s)

Sets:
* real speech: ../shared/data/speech-commands-sample (30 words x 10 clips, many
  speakers). The yes/no vocabulary below is used; "yes", "no" and "stop" clips
  must come back as that word, every other word (bed, marvin, go, up, ...) must be
  rejected. Speakers are split in two halves by id: thresholds were tuned on the
  "tune" half; "held-out" is the other half.
* silence: generated with numpy (digital zero, white/pink/brown noise, mains hum,
  fan-like band noise, clicks) at several levels; all must be rejected.
* synthetic: espeak-ng voices x rates saying the dialog's answers, each decoded
  against the real vocabulary of its question (from dialogs/).

Systems: "baseline" = a plain pocketsphinx JSGF grammar of the phrases (no
rejection at all); "ours" = PocketsphinxRecognizer. Also shown: ours with the
30 test words removed from its background word list (does the rejection rely
on knowing the test words? it should not).
"""

from __future__ import annotations

import argparse
import hashlib
import queue
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.adapters.audio.wav import SAMPLE_RATE, read_wav  # noqa: E402
from voice_assistant.adapters.pocketsphinx.asr_pocketsphinx import (  # noqa: E402
    PocketsphinxRecognizer,
    normalise,
)
from voice_assistant.adapters.pocketsphinx.pocketsphinx_lm import background_words  # noqa: E402
from voice_assistant.commands.recognize import DEFAULT_CHOICES  # noqa: E402
from voice_assistant.events import Transcript, Vocabulary  # noqa: E402
from voice_assistant.ports import Recognizer  # noqa: E402
from voice_assistant.testing import SCENARIOS, spoken_conversation, synth_pcm  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "speech-commands-sample"
YES_NO = DEFAULT_CHOICES  # the yes/no question's answers plus the global commands
TARGET_WORDS = ("yes", "no", "stop")
VOICES = ("en-us", "en-gb", "en-gb-x-rp", "en-us+f3", "en-us+m3")
RATES = (130, 175)
SYNTH_SAYINGS = {
    "yes/no question": [
        "yes",
        "yeah",
        "no",
        "nope",
        "not sure",
        "maybe",
        "i do not know",
        "not really",
        "stop",
        "repeat",
        "help",
    ],
    "onset question": [
        "two days ago",
        "this morning",
        "three weeks",
        "yesterday",
        "last week",
        "years",
        "an hour ago",
    ],
    "cause question": ["lifting", "exercise", "injury"],
    "timer running": ["stop", "repeat", "how long left", "pause", "resume", "start"],
}


@dataclass(frozen=True)
class Clip:
    word: str
    speaker: str
    pcm: bytes


class Baseline:
    """A plain JSGF grammar of the phrases: what pocketsphinx gives with no rejection."""

    name = "baseline"

    def __init__(self) -> None:
        import pocketsphinx

        self._decoder = pocketsphinx.Decoder(lm=None, loglevel="FATAL")
        self._names: dict[tuple[str, ...], str] = {}

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        key = vocabulary.phrases
        if key not in self._names:
            usable = [
                normalise(p)
                for p in key
                if all(self._decoder.lookup_word(w) for w in normalise(p).split())
            ]
            name = f"g{len(self._names)}"
            rules = " | ".join(sorted(set(usable)))
            grammar = f"#JSGF V1.0;\ngrammar g;\npublic <s> = {rules};\n"
            self._decoder.add_jsgf_string(name, grammar)
            self._names[key] = name
        self._decoder.activate_search(self._names[key])
        self._decoder.start_utt()
        self._decoder.process_raw(audio, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        text = hyp.hypstr if hyp else ""
        # Partial paths ("i don't") are not phrases: even the baseline drops those.
        return Transcript(text if text in key else "", 1.0, "audio")


# -- data ------------------------------------------------------------------------------


def speech_commands(folder: Path, quick: bool) -> list[Clip]:
    clips = []
    for word_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        files = sorted(word_dir.glob("*.wav"))
        for path in files[::2] if quick else files:
            clips.append(Clip(word_dir.name, path.name.split("_")[0], read_wav(path)))
    return clips


def speaker_half(speaker: str) -> str:
    """A fixed split of speakers: "tune" or "held-out" (by a hash of the id)."""
    return "tune" if hashlib.sha1(speaker.encode()).digest()[0] % 2 == 0 else "held-out"


def noise_clips(quick: bool, seconds: float = 1.5) -> list[tuple[str, bytes]]:
    """Silence and non-speech noise of many kinds and levels (numpy only)."""
    rng = np.random.default_rng(7)
    n = int(SAMPLE_RATE * seconds)
    t = np.arange(n) / SAMPLE_RATE

    def at(signal: np.ndarray, dbfs: float) -> np.ndarray:
        rms = float(np.sqrt(np.mean(signal**2))) or 1.0
        return signal / rms * 32768 * 10 ** (dbfs / 20)

    def coloured(exponent: float) -> np.ndarray:
        spectrum = np.fft.rfft(rng.normal(size=n))
        freqs = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 1.0)
        return np.fft.irfft(spectrum / freqs ** (exponent / 2), n)

    def band(lo: float, hi: float) -> np.ndarray:
        spectrum = np.fft.rfft(rng.normal(size=n))
        freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
        spectrum[(freqs < lo) | (freqs > hi)] = 0
        return np.fft.irfft(spectrum, n)

    def hum(base: float) -> np.ndarray:
        return sum(np.sin(2 * np.pi * base * k * t) / k for k in (1, 2, 3, 5)) + 0.05 * rng.normal(
            size=n
        )

    def clicks() -> np.ndarray:
        signal = 0.02 * rng.normal(size=n)
        for start in rng.integers(0, n - 200, 4):
            signal[start : start + 80] += rng.normal(size=80) * np.exp(-np.arange(80) / 15)
        return signal

    kinds: list[tuple[str, Callable[[], np.ndarray], Sequence[float]]] = [
        ("white", lambda: rng.normal(size=n), (-70, -55, -45, -35, -25)),
        ("pink", lambda: coloured(1.0), (-60, -45, -30)),
        ("brown/rumble", lambda: coloured(2.0), (-50, -35, -25)),
        ("hum 50 Hz", lambda: hum(50), (-45, -30)),
        ("hum 60 Hz", lambda: hum(60), (-45, -30)),
        ("fan band 100-1500 Hz", lambda: band(100, 1500), (-50, -35, -25)),
        ("hiss band 2-7 kHz", lambda: band(2000, 7000), (-50, -35)),
        ("clicks", clicks, (-45, -30)),
    ]
    repeats = 1 if quick else 3
    out = [("digital zero", bytes(2 * n))]
    for label, make, levels in kinds:
        for level in levels:
            for _ in range(repeats):
                samples = np.clip(at(make(), level), -32768, 32767).astype(np.int16)
                out.append((f"{label} {level} dBFS", samples.tobytes()))
    return out


def dialog_vocabularies() -> dict[str, Vocabulary]:
    """The vocabularies the dialog uses in four states, with meanings (from dialogs/)."""
    from voice_assistant.dialog.onset import onset_phrases, parse_onset_hours
    from voice_assistant.dialog.script import load_script

    script = load_script(ROOT / "dialogs")

    def vocabulary(*names: str, onset: bool = False) -> Vocabulary:
        meanings = {p: f"command:{n}" for n, c in script.commands.items() for p in c.phrases}
        if onset:
            for phrase in onset_phrases(script.onset):
                meanings.setdefault(phrase, f"onset:{parse_onset_hours(phrase, script.onset)}")
        for name in names:
            for phrase in script.answers[name].phrases:
                meanings.setdefault(phrase, name)
        return Vocabulary(tuple(sorted(meanings)), meanings=meanings)

    return {
        "yes/no question": vocabulary("yes", "no", "unsure"),
        "onset question": vocabulary("unsure", onset=True),
        "cause question": vocabulary(
            "lifting", "injury", "exercise", "other_cause", "no", "unsure"
        ),
        "timer running": vocabulary("done", "start", "time_left", "pause", "resume"),
    }


def meaning_of() -> Callable[[str], set[str]]:
    """Phrase -> what it means to the dialog (answer/command names, onset hours)."""
    from voice_assistant.dialog.onset import parse_onset_hours
    from voice_assistant.dialog.script import load_script

    script = load_script(ROOT / "dialogs")
    groups: dict[str, set[str]] = {}
    for name, command in script.commands.items():
        for phrase in command.phrases:
            groups.setdefault(phrase, set()).add(f"command:{name}")
    for name, answer in script.answers.items():
        for phrase in answer.phrases:
            groups.setdefault(phrase, set()).add(name)

    def meaning(phrase: str) -> set[str]:
        found = set(groups.get(phrase, set()))
        hours = parse_onset_hours(phrase, script.onset)
        if hours is not None:
            found.add(f"onset:{hours:g}h")
        return found or {phrase}

    return meaning


# -- measuring -------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} % ({part}/{whole})" if whole else "    - "


def real_speech(
    recognizer: Callable[[bytes, Vocabulary], Transcript],
    clips: Sequence[Clip],
    vocabulary: Vocabulary,
    targets: Iterable[str],
) -> dict[str, tuple[int, int, int, int]]:
    """Per speaker half: (correct, target clips, rejected, other-word clips)."""
    targets = set(targets)
    counts: dict[str, list[int]] = {h: [0, 0, 0, 0] for h in ("all", "tune", "held-out")}
    for clip in clips:
        text = recognizer(clip.pcm, vocabulary).text
        for half in ("all", speaker_half(clip.speaker)):
            row = counts[half]
            if clip.word in targets:
                row[0] += text == clip.word
                row[1] += 1
            else:
                row[2] += text == ""
                row[3] += 1
    return {h: (r[0], r[1], r[2], r[3]) for h, r in counts.items()}


class _StreamSource:
    """A clip streamed in 30 ms blocks, noting the stream time of each block."""

    sample_rate = SAMPLE_RATE

    def __init__(self, pcm: bytes) -> None:
        self.pcm = pcm
        self.position_s = 0.0

    def blocks(self) -> Iterator[bytes]:
        block = 960
        for offset in range(0, len(self.pcm), block):
            self.position_s = (offset + block) / 2 / SAMPLE_RATE
            yield self.pcm[offset : offset + block]

    def mute(self, muted: bool) -> None:
        pass

    def close(self) -> None:
        pass


class _TimedInbox(queue.Queue[object]):
    """Notes the stream time at which the listener posts each transcript.

    ``decodes_before`` holds, for each post, how many decodes had been made
    by then (``count``), so the decode that produced it can be found.
    """

    def __init__(self, source: _StreamSource, count: Callable[[], int] = lambda: 0) -> None:
        super().__init__()
        self.source = source
        self.count = count
        self.posted_at: list[float] = []
        self.decodes_before: list[int] = []

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        self.posted_at.append(self.source.position_s)
        self.decodes_before.append(self.count())
        super().put(item, block, timeout)


class _TimedRecognizer:
    """Notes when (stream time) each decode started and how long it took."""

    name = "timed"

    def __init__(self, recognizer: Recognizer, source: _StreamSource) -> None:
        self.recognizer = recognizer
        self.source = source
        self.decodes: list[tuple[float, float]] = []

    def count(self) -> int:
        return len(self.decodes)

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        at = self.source.position_s
        started = time.perf_counter()
        transcript = self.recognizer.recognize(audio, vocabulary)
        self.decodes.append((at, time.perf_counter() - started))
        return transcript


@dataclass
class Latency:
    decode_s: list[float]  # each decode, after the last sample it was given
    reply_s: list[float]  # end of speech -> first sample of the reply is ready
    early: int  # answers ended at a look, before the full 0.7 s of quiet
    heard: int  # answers delivered at all


def end_to_end_latency(
    recognizer: Recognizer,
    clips: Sequence[Clip],
    vocabulary: Vocabulary,
    render: Callable[[str], bytes],
    early_silence_s: float | None = 0.25,
) -> Latency:
    """End of speech -> the reply is ready to play, through the real listener.

    Each clip is followed by 1.5 s of quiet noise and streamed in 30 ms blocks
    through ``VoiceListener`` with the project's segmenter (so the looks during
    the pause are included: decode at 0.15 s, a complete answer taken at 0.25 s,
    "no" at 0.45 s; ``early_silence_s=None`` turns them all off). "End of
    speech" is the last 10 ms frame within 20 dB of the clip's loudest one
    (for "yes" that leaves out most of the "s": see ``endpointing``). The reply is ready when the
    decode that produced the delivered answer has finished (stream time when
    it started + its compute time, or the stream time of delivery when later)
    plus the time to render the next question with the product's TTS. Only the
    first answer delivered counts: a clip whose background holds a later
    sound (a click, a breath) may give a second utterance, which the product
    would not hear (the microphone is muted while the reply is spoken).
    Playback start-up (device latency) is not included: there is no sound
    card here.
    """
    from voice_assistant.adapters.audio.wav import frame_levels
    from voice_assistant.hearing.endpointing import Segmenter
    from voice_assistant.hearing.listener import VoiceListener

    rng = np.random.default_rng(3)
    result = Latency([], [], 0, 0)
    reply = "Is there any swelling where it hurts? Yes or no."
    for clip in clips:
        levels = frame_levels(clip.pcm)
        speech_end = (np.nonzero(levels > levels.max() - 20)[0][-1] + 1) * 0.01
        tail = rng.normal(0, 3, int(1.5 * SAMPLE_RATE)).astype(np.int16).tobytes()
        source = _StreamSource(clip.pcm + tail)
        timed = _TimedRecognizer(recognizer, source)
        inbox = _TimedInbox(source, timed.count)
        segmenter = Segmenter(SAMPLE_RATE, early_silence_s=early_silence_s)
        listener = VoiceListener(source, timed, lambda: vocabulary, inbox, segmenter)
        listener._run()  # the listening thread's body, run here on the streamed clip
        posts = [i for i, e in enumerate(inbox.queue) if isinstance(e, Transcript)]
        if not posts or not inbox.decodes_before[posts[0]]:
            continue
        result.heard += 1
        delivered_at = inbox.posted_at[posts[0]]
        decode_at, compute = timed.decodes[inbox.decodes_before[posts[0]] - 1]
        result.early += delivered_at < speech_end + 0.6
        ready = max(delivered_at, decode_at + compute)
        started = time.perf_counter()
        render(reply)
        tts = time.perf_counter() - started
        result.decode_s.append(compute)
        result.reply_s.append(max(0.0, ready - speech_end) + tts)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="half the clips, fewer noises")
    parser.add_argument("--data", type=Path, default=DATA, help="speech-commands folder")
    parser.add_argument("--no-synth", action="store_true", help="skip the espeak-ng set")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    ours = PocketsphinxRecognizer()
    build_s = time.perf_counter() - started
    ours.warm_up()
    yes_no = Vocabulary(YES_NO)
    test_words = {p.name for p in args.data.iterdir() if p.is_dir()}
    blind = PocketsphinxRecognizer(
        background=[w for w in background_words() if w not in test_words]
    )
    baseline = Baseline()
    systems: list[tuple[str, Callable[[bytes, Vocabulary], Transcript]]] = [
        ("baseline (plain JSGF)", baseline.recognize),
        ("ours", ours.recognize),
        ("ours, test words not in background", blind.recognize),
    ]

    clips = speech_commands(args.data, args.quick)
    print(f"\nReal speech: {len(clips)} clips of {args.data.name}, yes/no vocabulary")
    print(f"  ({len(YES_NO)} phrases: {', '.join(YES_NO)})")
    header = (
        f"{'system':38s} {'half':9s} {'yes/no/stop correct':>22s} {'other words rejected':>22s}"
    )
    print(header)
    print("-" * len(header))
    for label, recognize in systems:
        for half, (ok, n_in, rej, n_oov) in real_speech(
            recognize, clips, yes_no, TARGET_WORDS
        ).items():
            print(f"{label:38s} {half:9s} {pct(ok, n_in):>22s} {pct(rej, n_oov):>22s}")

    vocabularies = dialog_vocabularies()
    real_vocab = vocabularies["yes/no question"]
    in_vocab = {clip.word for clip in clips} & set(real_vocab.phrases)
    result = real_speech(ours.recognize, clips, real_vocab, in_vocab)["all"]
    print(
        f"{'ours, dialog yes/no vocabulary':38s} {'all':9s} {pct(result[0], result[1]):>22s} "
        f"{pct(result[2], result[3]):>22s}"
    )
    print(
        f"  ({len(real_vocab.phrases)} phrases; in it: {', '.join(sorted(in_vocab))}: "
        "those count as targets)"
    )

    noises = noise_clips(args.quick)
    print(f"\nSilence and noise: {len(noises)} generated clips (1.5 s each)")
    for label, recognize in systems[:2]:
        wrong = [name for name, pcm in noises if recognize(pcm, yes_no).text]
        print(f"  {label:36s} rejected {pct(len(noises) - len(wrong), len(noises))}")
        if wrong:
            print(f"    accepted: {', '.join(sorted(set(wrong)))}")

    if not args.no_synth:
        synth(ours, baseline, vocabularies, args.quick)
        conversations(ours, args.quick)

    decode_times = []
    audio_s = 0.0
    for clip in clips:
        decision = ours.decide(clip.pcm, yes_no, check_silence=False)
        decode_times.append(decision.seconds)
        audio_s += len(clip.pcm) / 2 / SAMPLE_RATE
    every = [c for c in clips[:: 2 if args.quick else 1] if c.word in TARGET_WORDS]
    render = tts_renderer()
    dialog_yes_no = vocabularies["yes/no question"]
    latency = end_to_end_latency(ours, every, dialog_yes_no, render)
    waiting = end_to_end_latency(ours, every, dialog_yes_no, render, early_silence_s=None)
    fresh = PocketsphinxRecognizer()
    onset = vocabularies["onset question"]
    compile_started = time.perf_counter()
    fresh.prepare(onset)
    compile_s = time.perf_counter() - compile_started

    def ms(values: Sequence[float]) -> str:
        if not values:
            return "-"
        p50, p95 = statistics.median(values), float(np.percentile(values, 95))
        return f"p50 {1000 * p50:4.0f} ms   p95 {1000 * p95:4.0f} ms"

    print("\nSpeed (ours, one core of this machine)")
    print(f"  real-time factor (decode time / audio time)        {sum(decode_times) / audio_s:.3f}")
    print(f"  decode latency after the last sample                {ms(latency.decode_s)}")
    print(
        f"  end of speech -> reply ready (yes/no/stop clips)    {ms(latency.reply_s)}"
        f"   ({latency.early}/{latency.heard} answers ended before the full 0.7 s)"
    )
    print(f"  the same without the early look at pauses          {ms(waiting.reply_s)}")
    print(
        "    (listener + segmenter + decode + rendering the next question; 'no' waits for"
        " the open look\n     (0.45 s) because 'no idea' means something else; device start-up"
        " not included)"
    )
    print(f"  recogniser start (decoder load)                     {1000 * build_s:.0f} ms")
    print(
        f"  compiling a new vocabulary ({len(onset.phrases)} onset phrases)    "
        f"{1000 * compile_s:.0f} ms, once (cached)"
    )
    return 0


def tts_renderer() -> Callable[[str], bytes]:
    """The product's TTS (espeak-ng through pyttsx3) rendering to memory."""
    from voice_assistant.adapters.espeak.tts_pyttsx3 import DEFAULT_RATE, default_renderer

    renderer = default_renderer()
    voice_id = renderer.voice_id(None)

    def render(text: str) -> bytes:
        return renderer.render(text, rate=DEFAULT_RATE, volume=1.0, voice_id=voice_id)

    return render


def synth(
    ours: PocketsphinxRecognizer,
    baseline: Baseline,
    vocabularies: dict[str, Vocabulary],
    quick: bool,
) -> None:
    voices = VOICES[:2] if quick else VOICES
    meaning = meaning_of()
    print(f"\nSynthetic speech: espeak-ng voices {', '.join(voices)} x rates {RATES}")
    print("  exact = the very phrase; meaning = a phrase with the same meaning to the dialog")
    print("  ('yeah' for 'yes', 'a hour ago' for 'an hour ago'); wrong = another meaning")
    header = (
        f"{'question (vocabulary size)':28s} {'baseline exact':>16s} {'ours exact':>16s} "
        f"{'ours meaning':>16s} {'ours wrong':>14s}"
    )
    print(header)
    print("-" * len(header))
    totals = [0, 0, 0, 0, 0]
    misses: list[str] = []
    for state, sayings in SYNTH_SAYINGS.items():
        vocabulary = vocabularies[state]
        counts = [0, 0, 0, 0, 0]
        for text in sayings:
            if text not in vocabulary.phrases:
                print(f"  (skipped {text!r}: not a phrase of the {state})")
                continue
            for voice in voices:
                for rate in RATES:
                    pcm = synth_pcm(text, voice, rate)
                    counts[0] += baseline.recognize(pcm, vocabulary).text == text
                    heard = ours.recognize(pcm, vocabulary).text
                    same = bool(heard) and bool(meaning(heard) & meaning(text))
                    counts[1] += heard == text
                    counts[2] += same
                    counts[3] += bool(heard) and not same
                    counts[4] += 1
                    if not same:
                        misses.append(f"{voice}@{rate} {text!r}->{heard!r}")
        label = f"{state} ({len(vocabulary.phrases)})"
        n = counts[4]
        print(
            f"{label:28s} {pct(counts[0], n):>16s} {pct(counts[1], n):>16s} "
            f"{pct(counts[2], n):>16s} {pct(counts[3], n):>14s}"
        )
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    n = totals[4]
    print(
        f"{'all':28s} {pct(totals[0], n):>16s} {pct(totals[1], n):>16s} "
        f"{pct(totals[2], n):>16s} {pct(totals[3], n):>14s}"
    )
    if misses:
        print("  ours missed: " + "; ".join(misses))


CONVERSATION_VOICES = (
    "en-us",
    "en-us+m3",
    "en-us+f3",
    "en-us+f2",
    "en-us+f1",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
)
CONVERSATION_RATES = (150, 175, 200)


def conversations(recognizer: Recognizer, quick: bool) -> None:
    from voice_assistant.dialog.script import load_script

    script = load_script(ROOT / "dialogs")
    voices = CONVERSATION_VOICES[:4] if quick else CONVERSATION_VOICES
    print(
        f"\nSpoken conversations ({recognizer.name}): {len(SCENARIOS)} triage scenarios per "
        "voice and rate (espeak-ng answers, the real assistant)"
    )
    print("  right advice reached: answering once / repeating once, 25 wpm slower, when asked")
    header = f"{'voice':16s}" + "".join(f"{rate:>14d}" for rate in CONVERSATION_RATES)
    print(header)
    print("-" * len(header))
    totals = {False: [0, 0], True: [0, 0]}
    wrong: list[str] = []
    for voice in voices:
        cells = []
        for rate in CONVERSATION_RATES:
            ok = {False: 0, True: 0}
            for name, scenario in SCENARIOS.items():
                for retry in (False, True):
                    got = spoken_conversation(
                        script, recognizer, scenario, voice, rate, retry=retry
                    ).recommendation
                    ok[retry] += got == scenario.expected
                    if got is not None and got != scenario.expected:
                        wrong.append(f"{voice}@{rate} {name}: {got}")
            for retry in (False, True):
                totals[retry][0] += ok[retry]
                totals[retry][1] += len(SCENARIOS)
            cells.append(f"{ok[False]}/{len(SCENARIOS)} / {ok[True]}/{len(SCENARIOS)}")
        print(f"{voice:16s}" + "".join(f"{c:>14s}" for c in cells))
    print(f"  all, answering once:   {pct(*totals[False])}")
    print(f"  all, repeating once:   {pct(*totals[True])}")
    print(f"  wrong advice reached:  {len(wrong)}" + (f" ({'; '.join(wrong)})" if wrong else ""))


if __name__ == "__main__":
    raise SystemExit(main())
