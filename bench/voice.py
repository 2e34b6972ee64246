"""Voice benchmark: espeak-ng vs Piper on every sentence in dialogs/.

    .venv/bin/python bench/voice.py            # all sentences (~5 min with Whisper)
    .venv/bin/python bench/voice.py --quick    # every fourth sentence
    .venv/bin/python bench/voice.py --no-asr   # timings only, no Whisper

For each engine, each sentence (questions, advice, messages, session texts; every
{placeholder} filled with a typical value) is spoken through the product's speaker with a
player that plays nothing and notes when the first sound would start:

* first audio: from ``say()`` to the first sound (p50/p95). espeak-ng renders a whole
  reply before playing; Piper plays its first sentence while making the next. Piper is
  measured with an empty phrase cache ("cold"), then again with every sentence cached
  ("warm"). The worker's start-up is measured separately.
* RTF: time to make the audio / length of the audio (no playback).
* memory: resident memory of the Piper worker process; for espeak-ng, the growth of this
  process when it starts espeak-ng and speaks.
* intelligibility: each rendered WAV transcribed by Whisper tiny.en (``intelligibility.py``);
  word error rate over all sentences.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.adapters.espeak.tts_pyttsx3 import Pyttsx3Speaker  # noqa: E402
from voice_assistant.adapters.piper.phrase_cache import PhraseCache  # noqa: E402
from voice_assistant.adapters.piper.tts_piper import PiperSpeaker  # noqa: E402
from voice_assistant.ports import Speaker  # noqa: E402

FILL = {
    "phase": "ice",
    "pack": "the ice",
    "remaining": "seven minutes",
    "ago": "two hours",
    "session": "ice session",
    "duration": "fifteen minutes",
    "detail": "The speaker is unplugged.",
    "next_pack": "the heat",
    "time": "half past three",
    "max": "twenty minutes",
    "gap": "two hours",
    "min": "five minutes",
    "minutes": "fifteen",
    "left": "eight minutes",
    "wait": "forty minutes",
    "overdue": "ten minutes",
    "answers": "yes, no, or not sure",
    "phrase": "okay heat or ice",
    "next_phase": "heat",
    "answer": "no",
}


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "ice"


def dialog_sentences() -> list[str]:
    """Every spoken sentence in dialogs/*.yaml (strings ending in . ? !), placeholders filled."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            text = " ".join(node.split())
            if re.search(r"[.?!]$", text) and len(text.split()) >= 2:
                filled = text.format_map(_Fill(FILL))
                found.append(filled[0].upper() + filled[1:])
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted((ROOT / "dialogs").glob("*.yaml")):
        walk(yaml.safe_load(path.read_text()))
    return list(dict.fromkeys(found))


class TimingPlayer:
    """Plays nothing; remembers when the first clip of an utterance arrived."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.seconds = 0.0

    def reset(self) -> None:
        self.first = None
        self.seconds = 0.0

    def check(self) -> None:
        return None

    def play(self, pcm: bytes, rate: int) -> float:
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.seconds += len(pcm) / 2 / rate
        return now


def rss_self() -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def speak_all(speaker: Speaker, player: TimingPlayer, texts: list[str]) -> dict[str, Any]:
    first, make, audio = [], 0.0, 0.0
    for text in texts:
        player.reset()
        start = time.monotonic()
        speaker.say(text)
        took = time.monotonic() - start
        first.append((player.first or time.monotonic()) - start)
        make += took
        audio += player.seconds
    return {"first": first, "rtf": make / audio if audio else 0.0, "audio_s": audio}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every fourth sentence")
    parser.add_argument("--no-asr", action="store_true", help="skip the Whisper check")
    parser.add_argument("--rate", type=int, default=150, help="words per minute (150)")
    args = parser.parse_args()

    texts = dialog_sentences()
    if args.quick:
        texts = texts[::4]
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} sentences, {words} words, rate {args.rate} wpm")
    rows: dict[str, dict[str, Any]] = {}
    recorded: dict[str, list[tuple[str, Path]]] = {}

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        before = rss_self()
        player = TimingPlayer()
        espeak = Pyttsx3Speaker(rate=args.rate, player=player, save_dir=folder / "espeak")
        result = speak_all(espeak, player, texts)
        result["memory"] = rss_self() - before
        result["start"] = None
        rows["espeak-ng"] = result
        recorded["espeak-ng"] = espeak.recorded

        player = TimingPlayer()
        start = time.monotonic()
        piper = PiperSpeaker(
            rate=args.rate,
            player=player,
            save_dir=folder / "piper",
            cache=PhraseCache(folder / "cache"),
            fixed=texts,  # stored on first use, so the second pass is the warm cache
        )
        started = time.monotonic() - start
        cold = speak_all(piper, player, texts)
        recorded["piper"] = list(piper.recorded)
        requests = piper.worker.requests
        warm = speak_all(piper, player, texts)
        assert piper.worker.requests == requests, "the warm pass asked the worker"
        cold["memory"] = piper.worker.rss_bytes() or 0
        cold["start"] = started
        rows["piper (cache cold)"] = cold
        warm["memory"] = cold["memory"]
        warm["start"] = None
        warm["rtf"] = None
        rows["piper (cache warm)"] = warm
        piper.close()

        wer: dict[str, float] = {}
        worst: dict[str, list[tuple[float, str, str]]] = {}
        if not args.no_asr:
            from bench.intelligibility import transcribe, word_error_rate, word_errors
            from voice_assistant.adapters.audio.wav import read_wav

            for engine, files in recorded.items():
                pairs = []
                for text, path in files:
                    pairs.append((text, transcribe(read_wav(path), 16000)))
                wer[engine] = word_error_rate(pairs)
                scored = []
                for ref, hyp in pairs:
                    errors, n = word_errors(ref, hyp)
                    scored.append((errors / max(n, 1), ref, hyp))
                worst[engine] = sorted(scored, reverse=True)[:3]

    print()
    print("| engine | first audio p50 | p95 | max | RTF | speech wpm | memory | Whisper WER |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        first = row["first"]
        engine = "piper" if name.startswith("piper") else "espeak-ng"
        rtf = "—" if row["rtf"] is None else f"{row['rtf']:.3f}"
        wpm = words / row["audio_s"] * 60 if row["audio_s"] else 0.0
        error = f"{wer[engine]:.1%}" if engine in wer else "—"
        print(
            f"| {name} | {statistics.median(first) * 1000:.0f} ms | "
            f"{percentile(first, 0.95) * 1000:.0f} ms | {max(first) * 1000:.0f} ms | {rtf} | "
            f"{wpm:.0f} | {row['memory'] / 2**20:.0f} MB | {error} |"
        )
    print()
    piper_start = rows["piper (cache cold)"]["start"]
    print(f"Piper worker start (load the voice, first READY): {piper_start:.2f} s")
    for engine, items in worst.items():
        print(f"\nWorst sentences for {engine} (WER, said, heard):")
        for rate, ref, hyp in items:
            print(f"  {rate:.0%}  {ref!r}\n        {hyp!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
