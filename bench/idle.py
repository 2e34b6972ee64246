"""CPU and memory of the always-on ``--wake`` mode while it waits for the wake phrase.

Each scene runs ``heat-or-ice --wake`` itself (``voice_assistant.cli.main``) in its own
process, so the numbers are those of the whole idle assistant process: settings, journal,
speaker, recogniser, ``MicrophoneSource``, ``Segmenter``, ``VoiceListener`` and ``WakeLoop``
exactly as the app builds them. Only two things are swapped in that process:

* the sounddevice stream: a ``PcmInputStream`` (from ``adapters/audio/mic.py``) that loops the
  scene's 16 kHz mono int16 audio into ``MicrophoneSource``'s callback in 30 ms blocks on
  a fixed real-time schedule (no drift, like a sound card's clock);
* the conversation after a wake detection: it returns at once, so the assistant goes
  straight back to idle (the detection, its chime and "I'm listening" are real).

The recogniser is wrapped to count utterances and their decoding CPU time. This process
measures the child from outside (``/proc/PID/stat`` CPU time of all its threads, and
``VmRSS``/``VmHWM``) after a warm-up, so start-up costs are excluded from CPU.

Scenes: digital silence; quiet room noise (-60 dBFS); fan-like steady noise (-40 dBFS);
background speech (espeak-ng sentences at a conversational level, never the wake phrase)
with 1-3 s pauses, and the same with 0.8 s pauses (radio, TV: ~85 % speech); and the
wake phrase now and then between such sentences (detections are counted).

    python bench/idle.py                 # 6 scenes x 30 s (~3.5 min)
    python bench/idle.py --quick         # 6 scenes x 8 s (~1.5 min)
    python bench/idle.py --seconds 60 --scenes silence speech

Target: idle listening below 10 % of one core.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from voice_assistant.adapters.audio.mic import PcmInputStream  # noqa: E402
from voice_assistant.adapters.audio.wav import read_wav  # noqa: E402

RATE = 16000
TARGET_PERCENT = 10.0
WAKE_PHRASE = "okay heat or ice"  # the default [wake] phrase
SPEECH_DBFS = -30.0  # active speech level of someone talking across the room
WAKE_DBFS = -26.0  # the user speaking to the assistant
SENTENCES = (
    ("en-us", "Did you remember to buy milk on the way home?"),
    ("en-gb", "The weather is supposed to be lovely this weekend, so we could go to the park."),
    ("en-us+f3", "I think the meeting moved to Thursday afternoon at three."),
    ("en-gb-x-rp", "Could you pass me the newspaper, please?"),
    ("en-us", "They scored twice in the second half and won the match."),
    ("en-gb-scotland", "We should call your mother before dinner tonight."),
    ("en-us+m3", "The train was late again this morning, twenty minutes at least."),
    ("en-gb", "Put the kettle on, I will be down in a minute."),
)
SCENES = ("silence", "room", "fan", "speech", "dense", "wake")
WAKE_VOICES = (("en-us", 150), ("en-gb", 140), ("en-us", 170))


# --- scene audio ------------------------------------------------------------------------


@dataclass
class Scene:
    name: str
    title: str
    pcm: bytes
    wake_ends_s: list[float] = field(default_factory=list)
    """Where each spoken wake phrase ends in one loop of ``pcm``."""

    @property
    def loop_s(self) -> float:
        return len(self.pcm) / (2 * RATE)


def _shaped_noise(seconds: float, exponent: float, seed: int) -> np.ndarray:
    """Noise with power ~ 1/f**exponent (0 white, 1 pink, 2 brown); loops seamlessly."""
    n = int(seconds * RATE)
    rng = np.random.default_rng(seed)
    spectrum = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    shape = np.zeros_like(freqs)
    shape[1:] = freqs[1:] ** (-exponent / 2)
    shape[freqs < 20] = 0.0
    return np.fft.irfft(spectrum * shape, n)


def _at_level(samples: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(samples * samples))) or 1.0
    return samples * (32768.0 * 10 ** (dbfs / 20) / rms)


def _to_pcm(samples: np.ndarray) -> bytes:
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def room_noise(seconds: float, seed: int = 1) -> np.ndarray:
    """A quiet room: pink noise at -60 dBFS."""
    return _at_level(_shaped_noise(seconds, 1.0, seed), -60.0)


def fan_noise(seconds: float, seed: int = 2) -> np.ndarray:
    """A fan: broadband rumble and hiss, a motor hum and blade tones; -40 dBFS."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    rumble = _at_level(_shaped_noise(seconds, 1.5, seed), -42.0)
    hiss = _at_level(_shaped_noise(seconds, 0.5, seed + 1), -50.0)
    tones = sum(
        amp * np.sin(2 * np.pi * freq * t + phase)
        for freq, amp, phase in ((100.0, 1.0, 0.0), (200.0, 0.5, 1.0), (340.0, 0.3, 2.0))
    )
    tones = _at_level(np.asarray(tones, dtype=np.float64), -48.0)
    return _at_level(rumble + hiss + tones, -40.0)


def espeak(text: str, voice: str, rate: int, cache: Path) -> np.ndarray:
    """``text`` spoken by espeak-ng, 16 kHz, trimmed of its leading and trailing silence."""
    cache.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha1(f"{voice}|{rate}|{text}".encode()).hexdigest()[:16]
    raw = cache / f"{key}.wav"
    if not raw.exists():
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text],
            check=True,
            capture_output=True,
            timeout=60,
        )
    samples = np.frombuffer(read_wav(raw), dtype="<i2").astype(np.float64)
    loud = np.flatnonzero(np.abs(samples) > 200)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples


def at_speech_level(samples: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale so the *active* speech level (10 ms frames within 30 dB of the loudest) is dbfs."""
    frames = samples[: samples.size - samples.size % 160].reshape(-1, 160)
    energy = np.mean(frames * frames, axis=1) + 1e-9
    active = frames[energy > energy.max() / 1000]
    rms = float(np.sqrt(np.mean(active * active)))
    return samples * (32768.0 * 10 ** (dbfs / 20) / rms)


def _concat(parts: Sequence[np.ndarray], noise: np.ndarray) -> np.ndarray:
    """Parts one after another over a looped noise bed."""
    speech = np.concatenate(parts)
    bed = np.resize(noise, speech.size)
    return speech + bed


def _gap(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE))


def make_scenes(names: Sequence[str], cache: Path) -> list[Scene]:
    scenes: list[Scene] = []
    have_espeak = shutil.which("espeak-ng") is not None
    for name in names:
        if name == "silence":
            scenes.append(Scene(name, "digital silence", bytes(10 * 2 * RATE)))
        elif name == "room":
            scenes.append(Scene(name, "quiet room noise, -60 dBFS", _to_pcm(room_noise(10.0))))
        elif name == "fan":
            scenes.append(Scene(name, "fan-like noise, -40 dBFS", _to_pcm(fan_noise(10.0))))
        elif not have_espeak:
            print(f"skipping scene {name!r}: espeak-ng is not installed", file=sys.stderr)
        elif name in ("speech", "dense"):
            rng = np.random.default_rng(3)
            parts: list[np.ndarray] = []
            for voice, text in SENTENCES:
                pause = float(rng.uniform(1.0, 3.0)) if name == "speech" else 0.8
                parts.append(_gap(pause))
                parts.append(at_speech_level(espeak(text, voice, 160, cache), SPEECH_DBFS))
            title = (
                f"background speech, {SPEECH_DBFS:.0f} dBFS, 1-3 s pauses"
                if name == "speech"
                else "dense speech (radio, TV), 0.8 s pauses"
            )
            scenes.append(Scene(name, title, _to_pcm(_concat(parts, room_noise(10.0)))))
        elif name == "wake":
            parts = []
            ends: list[float] = []
            position = 0
            for index, (voice, rate) in enumerate(WAKE_VOICES):
                other_voice, other_text = SENTENCES[index * 2 % len(SENTENCES)]
                phrase = at_speech_level(espeak(WAKE_PHRASE, voice, rate, cache), WAKE_DBFS)
                other = at_speech_level(espeak(other_text, other_voice, 160, cache), SPEECH_DBFS)
                for part in (_gap(2.0), other, _gap(2.5), phrase):
                    parts.append(part)
                    position += part.size
                ends.append(position / RATE)
                parts.append(_gap(2.5))
                position += parts[-1].size
            title = "wake phrase between sentences"
            pcm = _to_pcm(_concat(parts, room_noise(10.0)))
            scenes.append(Scene(name, title, pcm, ends))
    return scenes


# --- the child: heat-or-ice --wake with a fake sound card -------------------------------


class RealTimeLoopStream(PcmInputStream):
    """``PcmInputStream`` looping its PCM, each block on a fixed schedule from the start.

    (``PcmInputStream``'s own pacing waits ``pace_s`` *after* each callback, so it runs a
    little slower than real time, and it plays the PCM once.)
    """

    def __init__(self, pcm: bytes, *, on_start: Callable[[float], None], **kwargs: Any) -> None:
        super().__init__(pcm, **kwargs)
        self.on_start = on_start
        self.late_blocks = 0

    def _run(self) -> None:
        size = self.blocksize * 2
        period = self.blocksize / self.samplerate
        looped = self.pcm + self.pcm[:size]
        offset = 0
        start = time.monotonic()
        self.on_start(start)
        while True:
            delay = start + (self.blocks_sent + 1) * period - time.monotonic()
            if delay > 0:
                if self._stop.wait(delay):
                    return
            elif self._stop.is_set():
                return
            else:
                self.late_blocks += 1
            self._send(looped[offset : offset + size])
            offset = (offset + size) % len(self.pcm)


class _Record:
    """What the child writes for the parent: stream start and every decoded utterance."""

    def __init__(self) -> None:
        self.stream_starts: list[float] = []
        self.utterances: list[dict[str, Any]] = []
        self.wakes: list[float] = []
        self.streams: list[RealTimeLoopStream] = []
        self.lock = threading.Lock()

    def as_json(self) -> dict[str, Any]:
        return {
            "stream_starts": self.stream_starts,
            "utterances": self.utterances,
            "wakes": self.wakes,
            "blocks": sum(s.blocks_sent for s in self.streams),
            "late_blocks": sum(s.late_blocks for s in self.streams),
        }


class CountingRecognizer:
    """Delegates to the real recogniser; notes when, what and how much CPU each decode took."""

    def __init__(self, inner: Any, record: _Record) -> None:
        self.inner = inner
        self.name = inner.name
        self.record = record

    def recognize(self, audio: bytes, vocabulary: Any) -> Any:
        cpu = time.thread_time()
        transcript = self.inner.recognize(audio, vocabulary)
        with self.record.lock:
            self.record.utterances.append(
                {
                    "t": time.monotonic(),
                    "cpu_s": time.thread_time() - cpu,
                    "audio_s": len(audio) / (2 * RATE),
                    "text": transcript.text,
                }
            )
        return transcript

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _BackToIdle:
    """Stands in for the conversation after a wake detection: it ends at once."""

    input_ended = False
    shutdown = False
    transcribe: Any = None
    gate: Any = None

    def __init__(self, record: _Record) -> None:
        from voice_assistant.events import Vocabulary

        self.record = record
        self._vocabulary = Vocabulary(())

    def vocabulary(self) -> Any:
        return self._vocabulary

    def run(self, inbox: Any) -> None:
        self.record.wakes.append(time.monotonic())


def child_main(pcm_path: Path, work: Path, extra: Sequence[str]) -> int:
    """Run ``heat-or-ice --wake`` on the scene audio until SIGTERM, then write the record."""
    import voice_assistant.adapters.audio.mic as mic
    import voice_assistant.app as app
    from voice_assistant import cli

    pcm = pcm_path.read_bytes()
    record = _Record()

    def started(at: float) -> None:
        record.stream_starts.append(at)
        (work / "ready").touch()

    def stream(**kwargs: Any) -> RealTimeLoopStream:
        made = RealTimeLoopStream(pcm, on_start=started, **kwargs)
        record.streams.append(made)
        return made

    class BenchMicrophone(mic.MicrophoneSource):
        def __init__(self, device: str | int | None = None, **kwargs: Any) -> None:
            super().__init__(device, stream_factory=stream, **kwargs)

    real_build_recognizer = app.build_recognizer
    mic.MicrophoneSource = BenchMicrophone  # type: ignore[misc]  # the bench swaps in its looping microphone
    app.build_recognizer = lambda settings, notice: CountingRecognizer(  # type: ignore[assignment, return-value]  # counts decodes
        real_build_recognizer(settings, notice), record
    )
    app.build_assistant = lambda *args, **kwargs: _BackToIdle(record)  # type: ignore[assignment]  # idle only
    argv = ["--wake", "--json", "--data-dir", str(work / "data"), *extra]
    code = cli.main(argv)
    (work / "record.json").write_text(json.dumps(record.as_json()))
    return code


# --- the parent: run and measure each scene ---------------------------------------------


@dataclass
class Result:
    scene: Scene
    cpu_percent: float = float("nan")
    decode_percent: float = float("nan")
    rss_steady_mb: float = float("nan")
    rss_peak_mb: float = float("nan")
    rss_growth_mb: float = float("nan")
    utterances: int = 0
    accepted: list[str] = field(default_factory=list)
    wakes: int = 0
    wakes_spoken: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)
    late_blocks: int = 0
    error: str = ""
    note: str = ""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of ``pid``."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def measure(
    scene: Scene, seconds: float, warmup: float, extra: Sequence[str], keep: Path | None
) -> Result:
    result = Result(scene)
    with tempfile.TemporaryDirectory(prefix=f"idle-{scene.name}-") as tmp:
        work = Path(tmp)
        (work / "scene.pcm").write_bytes(scene.pcm)
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = str(work / "config")  # no user settings file
        env["XDG_DATA_HOME"] = str(work / "share")
        env.pop("HEAT_OR_ICE_CONFIG", None)
        command = [sys.executable, str(Path(__file__).resolve()), "--child"]
        command += [str(work / "scene.pcm"), str(work), "--", *extra]
        with (work / "out.txt").open("w") as out, (work / "err.txt").open("w") as err:
            child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=REPO
            )
            try:
                _run_window(child, work, seconds, warmup, result)
            finally:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        record_path = work / "record.json"
        if record_path.exists():
            _read_record(json.loads(record_path.read_text()), result)
            if child.returncode != 0:  # measured, but the shutdown went wrong
                tail = (work / "err.txt").read_text().strip().splitlines()[-1:]
                result.note = f"exit code {child.returncode} after SIGTERM: {' '.join(tail)}"
        elif not result.error:
            result.error = f"the assistant did not write its record (exit {child.returncode})"
        if result.error:
            err_tail = (work / "err.txt").read_text()[-1500:]
            result.error += f"\n{err_tail}"
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name in ("out.txt", "err.txt", "record.json"):
                if (work / name).exists():
                    shutil.copy(work / name, keep / f"{scene.name}-{name}")
    return result


def _run_window(
    child: subprocess.Popen[bytes], work: Path, seconds: float, warmup: float, result: Result
) -> None:
    deadline = time.monotonic() + 120
    while not (work / "ready").exists():
        if child.poll() is not None or time.monotonic() > deadline:
            result.error = "the assistant did not start listening"
            return
        time.sleep(0.05)
    time.sleep(warmup)
    rss: list[float] = []
    t0 = time.monotonic()
    cpu0 = _cpu_seconds(child.pid)
    rss0, _ = _memory_mb(child.pid)
    end = t0 + seconds
    while (now := time.monotonic()) < end:
        if child.poll() is not None:
            result.error = "the assistant stopped during the measurement"
            return
        rss.append(_memory_mb(child.pid)[0])
        time.sleep(min(0.5, max(0.0, end - now)))
    cpu1 = _cpu_seconds(child.pid)
    t1 = time.monotonic()
    rss1, peak = _memory_mb(child.pid)
    result.wall_s = t1 - t0
    result.cpu_percent = 100.0 * (cpu1 - cpu0) / (t1 - t0)
    result.rss_steady_mb = statistics.median(rss or [rss1])
    result.rss_peak_mb = peak
    result.rss_growth_mb = rss1 - rss0
    result.window = (t0, t1)


def _read_record(record: dict[str, Any], result: Result) -> None:
    scene = result.scene
    utterances = record["utterances"]
    result.utterances = len(utterances)
    result.accepted = [u["text"] for u in utterances if u["text"]]
    result.wakes = len(record["wakes"])
    result.late_blocks = int(record["late_blocks"])
    result.audio_s = record["blocks"] * 480 / RATE
    if result.wall_s:
        # Decoding CPU of the utterances finished inside the window, as a share of one core.
        t0, t1 = result.window
        busy = sum(u["cpu_s"] for u in utterances if t0 <= u["t"] <= t1)
        result.decode_percent = 100.0 * busy / (t1 - t0)
    if scene.wake_ends_s:
        # Wake phrases that ended at least 1 s before the stop (time to be decoded).
        loops, rest = divmod(max(0.0, result.audio_s - 1.0), scene.loop_s)
        result.wakes_spoken = int(loops) * len(scene.wake_ends_s)
        result.wakes_spoken += sum(1 for end in scene.wake_ends_s if end <= rest)


# --- report -----------------------------------------------------------------------------


def _fmt(value: float, digits: int = 1) -> str:
    return "?" if value != value else f"{value:.{digits}f}"


def table(results: Sequence[Result], seconds: float) -> str:
    lines = [
        f"| idle scene ({seconds:g} s each) | CPU, % of one core | of which decoding "
        "| RSS steady / peak (MB) | utterances decoded | wake phrase heard |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error and r.cpu_percent != r.cpu_percent:
            lines.append(f"| {r.scene.title} | failed | | | | |")
            continue
        wake = f"{r.wakes} of {r.wakes_spoken}" if r.scene.wake_ends_s else f"{r.wakes} (false)"
        lines.append(
            f"| {r.scene.title} | **{_fmt(r.cpu_percent)}** | {_fmt(r.decode_percent)} "
            f"| {_fmt(r.rss_steady_mb, 0)} / {_fmt(r.rss_peak_mb, 0)} | {r.utterances} | {wake} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        split = argv.index("--") if "--" in argv else len(argv)
        return child_main(Path(argv[1]), Path(argv[2]), argv[split + 1 :])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured per scene (30)")
    parser.add_argument("--warmup", type=float, default=3.0, help="not measured (3 s)")
    parser.add_argument("--quick", action="store_true", help="8 s per scene, 2 s warm-up")
    parser.add_argument(
        "--scenes",
        nargs="+",
        default=list(SCENES),
        choices=list(SCENES),
    )
    parser.add_argument(
        "--engine", choices=["auto", "pocketsphinx", "vosk"], help="recogniser (auto)"
    )
    parser.add_argument("--mute", action="store_true", help="run heat-or-ice with --mute")
    parser.add_argument("--keep-logs", type=Path, help="copy each scene's output here")
    args = parser.parse_args(argv)
    seconds, warmup = (8.0, 2.0) if args.quick else (args.seconds, args.warmup)
    extra = (["--engine", args.engine] if args.engine else []) + (["--mute"] if args.mute else [])
    cache = Path(tempfile.gettempdir()) / "heat-or-ice-idle-bench"
    scenes = make_scenes(args.scenes, cache)
    print(f"heat-or-ice --wake, idle; {os.cpu_count()} cores; {seconds:g} s per scene", flush=True)
    results = []
    for scene in scenes:
        print(f"  {scene.name}: {scene.title} ...", end=" ", flush=True)
        result = measure(scene, seconds, warmup, extra, args.keep_logs)
        print("failed" if result.error else f"{result.cpu_percent:.1f} %", flush=True)
        results.append(result)
    print()
    print(table(results, seconds))
    print()
    for r in results:
        if r.error or r.note:
            print(f"{r.scene.name}: {r.error or r.note}")
        heard = ", ".join(repr(text) for text in r.accepted) or "nothing"
        print(
            f"{r.scene.name}: {r.audio_s:.1f} s of audio ({r.late_blocks} blocks late); "
            f"RSS growth in the window {r.rss_growth_mb:+.1f} MB; accepted: {heard}"
        )
    worst = max((r.cpu_percent for r in results if r.cpu_percent == r.cpu_percent), default=None)
    print()
    if worst is None:
        print(f"target: < {TARGET_PERCENT:g} % of one core: not measured")
        return 1
    met = "met" if worst < TARGET_PERCENT else "NOT met"
    print(f"target: < {TARGET_PERCENT:g} % of one core while idle: {met} (worst {worst:.1f} %)")
    return 0 if all(not r.error for r in results) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
