"""Timer lateness in real time while a recogniser keeps another thread busy.

Runs short ice-then-heat plans (five-minute phases on a sped-up clock, so dozens of
announcements happen in a minute) through a loop shaped like the assistant's: wait
on a queue until ``next_due()``, collect ``due_events(now)``, journal each one. A
simulated user answers some confirmations, lets others run out, and pauses,
resumes and asks "how long left". Meanwhile a thread decodes real speech from the
speech-commands sample with pocketsphinx, in frame-sized chunks as the mic path does.

Prints lateness (emitted - scheduled, real milliseconds) per announcement kind.
Target: every announcement within 100 ms.

    python bench/timer.py [--seconds 60] [--speed 60] [--search jsgf|lm|whisper|none] [--isolate]
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import statistics
import sys
import tempfile
import threading
import time
import wave
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voice_assistant.clock import SystemClock  # noqa: E402
from voice_assistant.session.journal.journal import open_journal  # noqa: E402
from voice_assistant.session.plans import Phase, Plan, load_session_config  # noqa: E402
from voice_assistant.session.timer.timer import SessionTimer  # noqa: E402

SAMPLES = REPO.parent / "shared" / "data" / "speech-commands-sample"
if not SAMPLES.is_dir():
    SAMPLES = Path("/work/shared/data/speech-commands-sample")
GRAMMAR = """#JSGF V1.0;
grammar commands;
public <command> = yes | no | stop | start | done | pause | resume | repeat | help
                 | how long left | go | off | on | up | down | left | right;
"""
TARGET_MS = 100.0


def _speech_clips() -> list[bytes]:
    """The first 60 real recordings of the sample, as raw PCM."""
    clips = []
    for path in sorted(SAMPLES.glob("*/*.wav"))[:60]:
        with wave.open(str(path)) as w:
            clips.append(w.readframes(w.getnframes()))
    if not clips:
        raise FileNotFoundError(f"no WAV files under {SAMPLES}")
    return clips


@dataclass
class DecoderLoad:
    """Keeps pocketsphinx decoding real speech until stopped."""

    search: str
    chunk_bytes: int
    stop: threading.Event = field(default_factory=threading.Event)
    utterances: int = 0
    audio_seconds: float = 0.0
    busy_seconds: float = 0.0
    longest_call_ms: float = 0.0
    error: str = ""

    def run(self) -> None:
        if self.search == "whisper":
            self.run_whisper()
            return
        try:
            from pocketsphinx import Decoder

            decoder = Decoder()
            if self.search == "jsgf":
                decoder.add_jsgf_string("commands", GRAMMAR)
                decoder.activate_search("commands")
            clips = _speech_clips()
        except Exception as exc:  # report, don't crash the timing run
            self.error = f"{type(exc).__name__}: {exc}"
            return
        while not self.stop.is_set():
            for clip in clips:
                if self.stop.is_set():
                    break
                started = time.perf_counter()
                decoder.start_utt()
                for i in range(0, len(clip), self.chunk_bytes):
                    t = time.perf_counter()
                    decoder.process_raw(clip[i : i + self.chunk_bytes])
                    self.longest_call_ms = max(
                        self.longest_call_ms, (time.perf_counter() - t) * 1000
                    )
                t = time.perf_counter()
                decoder.end_utt()
                self.longest_call_ms = max(self.longest_call_ms, (time.perf_counter() - t) * 1000)
                self.busy_seconds += time.perf_counter() - started
                self.audio_seconds += len(clip) / 32000
                self.utterances += 1

    def run_whisper(self) -> None:
        """The product's Whisper recogniser, one whole utterance per call, as the listener does."""
        try:
            from voice_assistant.commands.recognize import DEFAULT_CHOICES
            from voice_assistant.events import Vocabulary
            from voice_assistant.speech import engines

            context = engines.engine_context("whisper", None, {}, REPO / "models")
            choice = engines.choose_recognizer(context)
            if choice.probe.engine != "whisper":
                raise RuntimeError(" ".join(choice.notes))
            recognizer = engines.open_engine("whisper", choice.probe.model)
            vocabulary = Vocabulary(DEFAULT_CHOICES)
            clips = _speech_clips()
        except Exception as exc:  # report, don't crash the timing run
            self.error = f"{type(exc).__name__}: {exc}"
            return
        while not self.stop.is_set():
            for clip in clips:
                if self.stop.is_set():
                    break
                started = time.perf_counter()
                recognizer.recognize(clip, vocabulary)
                took = time.perf_counter() - started
                self.longest_call_ms = max(self.longest_call_ms, took * 1000)
                self.busy_seconds += took
                self.audio_seconds += len(clip) / 32000
                self.utterances += 1


def _decode_in_process(search: str, chunk_bytes: int, stop: Any, results: Any) -> None:
    """Child-process entry for --isolate: same load, its own interpreter and GIL."""
    load = DecoderLoad(search, chunk_bytes)
    watcher = threading.Thread(target=lambda: (stop.wait(), load.stop.set()), daemon=True)  # type: ignore[func-returns-value]  # a tuple runs both calls in one lambda
    watcher.start()
    load.run()
    results.put((load.utterances, load.audio_seconds, load.busy_seconds, load.longest_call_ms,
                 load.error))  # fmt: skip


def short_plan() -> Plan:
    return Plan("ice_then_heat", (Phase("ice", 300), Phase("rest", 300), Phase("heat", 300)))


def run(seconds: float, speed: float, search: str, chunk_bytes: int, isolate: bool) -> int:
    config = load_session_config()
    clock = SystemClock(speed)
    inbox: queue.Queue[str] = queue.Queue()
    load = DecoderLoad(search, chunk_bytes)
    worker = threading.Thread(target=load.run, daemon=True)
    ctx = multiprocessing.get_context("spawn")
    child_stop, child_results = ctx.Event(), ctx.Queue()
    child = ctx.Process(
        target=_decode_in_process, args=(search, chunk_bytes, child_stop, child_results)
    )
    if search != "none":
        if isolate:
            child.start()
        else:
            worker.start()
        time.sleep(1.5)  # let the decoder load its model before timing starts

    lateness: dict[str, list[float]] = defaultdict(list)
    replies: list[float] = []
    sent_at: dict[str, float] = {}
    timers: list[threading.Timer] = []
    cycle = 0

    def later(real_seconds: float, command: str) -> None:
        def send() -> None:
            sent_at[command] = time.perf_counter()
            inbox.put(command)

        timer = threading.Timer(real_seconds, send)
        timer.daemon = True
        timer.start()
        timers.append(timer)

    with tempfile.TemporaryDirectory() as tmp:
        journal = open_journal(Path(tmp), config)
        heartbeat = config.heartbeat_seconds
        real_end = time.perf_counter() + seconds
        while time.perf_counter() < real_end:
            plan = short_plan()
            timer = SessionTimer(plan, config)
            sid = journal.begin_session(plan.kind, plan, clock.wall_time())
            first = timer.start(clock.now(), clock.wall_time())
            for event in first:
                journal.record_event(sid, timer.to_snapshot(clock.now()), clock.wall_time(), event)
            later(2.0 / speed * 60, "how_long_left")  # two clock minutes in
            last_beat = clock.now()
            while not timer.finished and time.perf_counter() < real_end:
                due = timer.next_due()
                wake = last_beat + heartbeat if due is None else min(due, last_beat + heartbeat)
                try:
                    command = inbox.get(timeout=clock.real_seconds(wake - clock.now()))
                except queue.Empty:
                    command = None
                now = clock.now()
                events = timer.due_events(now)
                for event in events:
                    lateness[event.kind].append((now - event.due) / speed * 1000)
                if command is not None:
                    reply = getattr(timer, command)(now)
                    replies.append((time.perf_counter() - sent_at.pop(command)) * 1000)
                    events += reply
                for event in events:
                    journal.record_event(sid, timer.to_snapshot(now), clock.wall_time(), event)
                    # the simulated user: answer some confirmations, ignore others
                    if event.kind == "times_up" and event.phase == "ice" and cycle % 2 == 0:
                        later(3.0 * 60 / speed, "confirm")
                    elif event.kind == "phase_next":
                        later(20.0 / speed, "confirm")
                    elif event.kind == "start" and event.phase == "heat":
                        later(60.0 / speed, "pause")
                        later(90.0 / speed, "resume")
                if clock.now() - last_beat >= heartbeat:
                    journal.heartbeat(sid, timer.to_snapshot(clock.now()), clock.wall_time())
                    last_beat = clock.now()
            if timer.finished:
                journal.end_session(sid, timer.to_snapshot(clock.now()), clock.wall_time())
            cycle += 1
        for pending in timers:
            pending.cancel()
        journal.close()
    load.stop.set()
    if worker.is_alive():
        worker.join(timeout=5)
    if child.pid is not None:
        child_stop.set()
        (load.utterances, load.audio_seconds, load.busy_seconds, load.longest_call_ms,
         load.error) = child_results.get(timeout=30)  # fmt: skip
        child.join(timeout=10)
    where = "separate process" if isolate else "thread"
    return report(lateness, replies, load, seconds, speed, f"{search} ({where})", chunk_bytes)


def _row(name: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (
        f"{name:<18}{len(values):>6}{statistics.median(values):>10.1f}"
        f"{p95:>10.1f}{values[-1]:>10.1f}"
    )


def report(
    lateness: dict[str, list[float]],
    replies: list[float],
    load: DecoderLoad,
    seconds: float,
    speed: float,
    search: str,
    chunk_bytes: int,
) -> int:
    print(f"Timer lateness over {seconds:.0f} s real, clock x{speed:g}, pocketsphinx: {search}")
    print(f"{'kind':<18}{'count':>6}{'median':>10}{'p95':>10}{'max':>10}   (real ms)")
    everything: list[float] = []
    for kind in sorted(lateness):
        print(_row(kind, lateness[kind]))
        everything += lateness[kind]
    if not everything:
        print("no announcements were due: run longer")
        return 1
    print(_row("ALL announcements", everything))
    if replies:
        print(_row("command replies", replies))
    if load.error:
        print(f"decoder thread failed: {load.error}")
    elif not search.startswith("none"):
        rtf = load.busy_seconds / load.audio_seconds if load.audio_seconds else float("nan")
        print(
            f"decoder: {load.utterances} utterances, {load.audio_seconds:.1f} s of speech, "
            f"real-time factor {rtf:.2f}, {chunk_bytes}-byte chunks, "
            f"longest single call {load.longest_call_ms:.0f} ms (holds the GIL)"
        )
    worst = max(everything)
    verdict = "PASS" if worst <= TARGET_MS else "FAIL"
    print(f"target: every announcement within {TARGET_MS:.0f} ms -> {verdict} (max {worst:.1f})")
    return 0 if verdict == "PASS" else 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="real seconds to run")
    parser.add_argument("--speed", type=float, default=60.0, help="clock speed-up")
    parser.add_argument(
        "--search",
        choices=("jsgf", "lm", "whisper", "none"),
        default="jsgf",
        help="decoding load: pocketsphinx command grammar, pocketsphinx full LM, the "
        "Whisper recogniser (as the app listens by default), or none",
    )
    parser.add_argument(
        "--chunk-bytes",
        type=int,
        default=960,
        help="bytes per process_raw call (960 = one 30 ms endpointer frame)",
    )
    parser.add_argument(
        "--isolate", action="store_true", help="decode in a separate process instead of a thread"
    )
    args = parser.parse_args()  # fmt: skip
    return run(args.seconds, args.speed, args.search, args.chunk_bytes, args.isolate)


if __name__ == "__main__":
    raise SystemExit(main())
