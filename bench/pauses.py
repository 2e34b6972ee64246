"""Pauses inside answers, as the segmenter sees them, and decodes per answer.

    python bench/pauses.py            # espeak-ng voices x rates, and the real clips
    python bench/pauses.py --quick    # 2 voices, no real clips

Why: the listener ends an answer that could still go on to mean something
else ("no" -> "no idea", "i do" -> "i do not") after ``open_silence_s`` of
quiet instead of the full trailing silence. That is only safe when the quiet
*inside* such phrases is shorter. This measures, with the real segmenter
(pocketsphinx VAD + energy gate, 20 ms frames), the longest quiet run inside
each phrase (quiet that speech resumed after), for espeak-ng voices at
130-200 words a minute and for the real speech-commands clips (stop
closures, soft endings). It also counts the decodes the listener makes per
answer on espeak sentences, with and without the decode at the settled look.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recognition import DATA, speech_commands  # noqa: E402
from bench.whisper_recognition import VOICES  # noqa: E402
from voice_assistant.events import Transcript, Vocabulary  # noqa: E402
from voice_assistant.hearing.endpointing import Segmenter, Utterance  # noqa: E402
from voice_assistant.hearing.listener import VoiceListener  # noqa: E402
from voice_assistant.testing import synth_pcm  # noqa: E402

SR = 16000
RATES = (130, 150, 175, 200)
# Phrases whose start is a complete answer of another meaning, and phrases with pauses.
PHRASES = (
    "no idea",
    "i do not",
    "i do not know",
    "i am not sure",
    "it is not",
    "not sure",
    "two days ago",
    "never mind",
)
# Sentences, some with a comma (espeak's comma pause stands in for a spoken one).
SENTENCES = (
    "no, but i have wet the bed",
    "no, my legs are fine",
    "no idea, maybe",
    "i can't feel anything down there",
    "yes, it started two days ago",
    "it hurts when i bend over to pick something up",
)


def padded(pcm: bytes, seed: int) -> bytes:
    """0.8 s before, 1.2 s after, and a steady room noise (-70 dBFS) under it all.

    The noise matters: espeak-ng writes digital silence between words, which
    a microphone never hears.
    """
    speech = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    signal = np.concatenate([np.zeros(round(0.8 * SR)), speech, np.zeros(round(1.2 * SR))])
    signal += np.random.default_rng(seed).normal(0, 10, signal.size)
    return bytes(np.clip(signal, -32768, 32767).astype("<i2").tobytes())


def inner_pauses(pcm: bytes, seed: int = 0) -> tuple[list[float], int]:
    """Quiet runs inside the speech (speech resumed after them), and the utterance count."""
    segmenter = Segmenter(SR, trailing_silence_s=0.7)
    frame = segmenter.frame_bytes
    data = padded(pcm, seed)
    pauses: list[float] = []
    utterances = 0
    last_quiet = 0.0
    for offset in range(0, len(data) - frame + 1, frame):
        events = segmenter.feed(data[offset : offset + frame])
        utterances += sum(isinstance(e, Utterance) for e in events)
        now = segmenter.quiet_s
        if segmenter.in_speech and now == 0.0 and last_quiet > 0.0:
            pauses.append(last_quiet)
        last_quiet = now if segmenter.in_speech else 0.0
    return pauses, utterances


class _Source:
    sample_rate = SR

    def __init__(self, pcm: bytes) -> None:
        self.pcm = pcm

    def blocks(self) -> Iterator[bytes]:
        for offset in range(0, len(self.pcm), 960):
            yield self.pcm[offset : offset + 960]

    def mute(self, muted: bool) -> None:
        pass

    def close(self) -> None:
        pass


class _Counting:
    """Never understands anything (so no answer ends early); counts decodes."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def recognize(self, audio: bytes, vocabulary: Vocabulary) -> Transcript:
        self.calls += 1
        return Transcript("", 0.0, "audio")


def decodes_per_answer(pcm: bytes, settled_look: bool) -> tuple[int, int]:
    """(decodes, answers) when the listener hears ``pcm`` once."""
    counting = _Counting()
    inbox: queue.Queue[object] = queue.Queue()
    source = _Source(padded(pcm, 1))
    segmenter = Segmenter(SR, settled_look=settled_look)
    VoiceListener(source, counting, lambda: Vocabulary(()), inbox, segmenter)._run()
    return counting.calls, inbox.qsize()


def table(label: str, rows: dict[str, list[float]]) -> None:
    print(f"\n{label}")
    print(f"  {'phrase':46s} {'n':>4s} {'longest':>8s} {'p95':>6s}  split")
    for name, values in rows.items():
        if name.startswith("#"):
            continue
        longest = max(values, default=0.0)
        p95 = float(np.percentile(values, 95)) if values else 0.0
        split = rows.get("#split " + name, [0.0])[0]
        print(f"  {name:46s} {len(values):4d} {longest:8.2f} {p95:6.2f}  {int(split)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 voices, no real clips")
    parser.add_argument("--data", type=Path, default=DATA, help="speech-commands folder")
    args = parser.parse_args(argv)
    voices = VOICES[:2] if args.quick else VOICES

    print(f"espeak-ng voices {', '.join(voices)} x rates {RATES}")
    print("Quiet runs inside the speech, seconds (speech resumed after them)")
    rows: dict[str, list[float]] = {}
    settled = [0, 0, 0]  # decodes with the settled look, without, answers
    for text in (*PHRASES, *SENTENCES):
        longest: list[float] = []
        split = 0
        for voice in voices:
            for rate in RATES:
                pcm = synth_pcm(text, voice, rate)
                pauses, count = inner_pauses(pcm)
                longest.append(max(pauses, default=0.0))
                split += count != 1
                if text in SENTENCES:
                    with_look, answers = decodes_per_answer(pcm, settled_look=True)
                    without, _ = decodes_per_answer(pcm, settled_look=False)
                    settled[0] += with_look
                    settled[1] += without
                    settled[2] += answers
        rows[text] = longest
        rows["#split " + text] = [float(split)]
    table("espeak-ng: longest inner quiet per rendering (one row per phrase)", rows)
    answers = max(1, settled[2])
    print(
        f"\nDecodes per answer on the {len(SENTENCES)} sentences ({answers} answers): "
        f"{settled[0] / answers:.2f} with the settled look (decode at 0.15 s), "
        f"{settled[1] / answers:.2f} without (decode at 0.25 s)"
    )

    if not args.quick and args.data.is_dir():
        per_word: dict[str, list[float]] = {}
        splits: dict[str, int] = {}
        for seed, clip in enumerate(speech_commands(args.data, False)):
            pauses, count = inner_pauses(clip.pcm, seed)
            per_word.setdefault(clip.word, []).append(max(pauses, default=0.0))
            splits[clip.word] = splits.get(clip.word, 0) + (count != 1)
        rows = {w: v for w, v in per_word.items()}
        rows.update({"#split " + w: [float(n)] for w, n in splits.items()})
        table(f"real clips ({args.data.name}): longest inner quiet per clip", rows)
        every = [max(v) for v in per_word.values()]
        print(f"  longest over all clips: {max(every):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
