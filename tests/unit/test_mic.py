"""The microphone with fake streams: flow, half-duplex muting, stalls, dead and busy devices."""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from voice_assistant.adapters.audio.devices import query_devices
from voice_assistant.adapters.audio.mic import MicrophoneSource, PcmInputStream
from voice_assistant.clock import FakeClock
from voice_assistant.errors import AudioDeviceError

SAMPLES = Path("/work/shared/data/speech-commands-sample")
BLOCK = 960  # 30 ms at 16 kHz, 16-bit


def portaudio_error(*args: str | int) -> Exception:
    sd = pytest.importorskip("sounddevice")
    error: Exception = sd.PortAudioError(*args)
    return error


def load_word(word: str = "yes") -> bytes:
    files = sorted((SAMPLES / word).glob("*.wav"))
    if not files:
        pytest.skip(f"no sample recordings in {SAMPLES}")
    with wave.open(str(files[0])) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        frames: bytes = w.readframes(w.getnframes())
        return frames


class ManualStream:
    """A stream whose callback the test calls itself, on the test's thread."""

    def __init__(self, *, callback: Callable[..., None], blocksize: int, **kwargs: Any) -> None:
        self.callback = callback
        self.blocksize = blocksize
        self.kwargs = kwargs
        self.active = False
        self.closed = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        self.active = False

    abort = stop

    def close(self) -> None:
        self.active = False
        self.closed = True

    def push(self, block: bytes, overflow: bool = False) -> None:
        status = type("Status", (), {"input_overflow": overflow, "__bool__": lambda s: overflow})()
        self.callback(memoryview(block), len(block) // 2, None, status)


class Factory:
    """Returns the next planned stream (or raises the next planned error) on each open."""

    def __init__(self, *plan: Callable[..., Any] | BaseException) -> None:
        self.plan = list(plan)
        self.opened: list[Any] = []
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        step = self.plan.pop(0) if len(self.plan) > 1 else self.plan[0]
        if isinstance(step, BaseException):
            raise step
        stream = step(**kwargs)
        self.opened.append(stream)
        return stream


def block(tag: int) -> bytes:
    return bytes([tag]) * BLOCK


def manual_mic(clock: FakeClock, **kwargs: Any) -> tuple[MicrophoneSource, ManualStream]:
    factory = Factory(ManualStream)
    options: dict[str, Any] = {"clock": clock.now, "stall_timeout_s": 1e9, "poll_s": 0.01} | kwargs
    mic = MicrophoneSource(stream_factory=factory, **options)
    mic.open()
    return mic, factory.opened[0]


def test_blocks_flow_from_a_wav_backed_stream() -> None:
    pcm = load_word("yes")
    mic = MicrophoneSource(stream_factory=PcmInputStream.factory(pcm), poll_s=0.02)
    got = bytearray()
    for data in mic.blocks():
        assert len(data) == BLOCK
        got += data
        if len(got) >= len(pcm):
            break
    mic.close()
    assert bytes(got[: len(pcm)]) == pcm
    assert mic.overflows == 0


def test_stream_is_opened_at_16k_mono_int16_with_the_device_asked_for() -> None:
    factory = Factory(ManualStream)
    mic = MicrophoneSource("usb", stream_factory=factory, block_ms=20)
    mic.open()
    stream = factory.opened[0]
    assert stream.kwargs == {"samplerate": 16000, "device": "usb", "channels": 1, "dtype": "int16"}
    assert stream.blocksize == 320
    mic.close()
    assert stream.closed


def test_mute_drops_audio_and_unmute_waits_for_the_hold_off() -> None:
    clock = FakeClock()
    mic, stream = manual_mic(clock, holdoff_s=0.4)
    blocks = mic.blocks()
    stream.push(block(1))
    assert next(blocks) == block(1)

    stream.push(block(2))  # captured, not yet consumed, when the assistant starts talking
    mic.mute(True)
    assert mic.muted
    stream.push(block(3))  # our own voice
    mic.mute(False)  # playback ended
    clock.advance(0.2)
    stream.push(block(4))  # echo / tail within the hold-off
    clock.advance(0.25)
    stream.push(block(5))  # the user's answer

    assert next(blocks) == block(5)  # 2 was flushed, 3 and 4 dropped
    assert mic.dropped_muted == 2
    mic.close()


def test_unmute_empties_what_was_queued_during_the_hold_off_race() -> None:
    clock = FakeClock()
    mic, stream = manual_mic(clock, holdoff_s=0.0)
    blocks = mic.blocks()
    stream.push(block(1))
    mic.mute(True)
    mic.mute(False)
    stream.push(block(2))
    assert next(blocks) == block(2)  # block 1 (queued before muting) was never heard
    mic.close()


def test_full_queue_drops_the_oldest_and_counts_it() -> None:
    clock = FakeClock()
    mic, stream = manual_mic(clock, max_queue_blocks=3)
    for tag in range(1, 6):
        stream.push(block(tag))
    stream.push(block(6), overflow=True)
    assert mic.overflows == 3
    assert mic.driver_overflows == 1
    blocks = mic.blocks()
    assert [next(blocks) for _ in range(3)] == [block(4), block(5), block(6)]
    mic.close()


def test_stall_reopens_the_stream_and_audio_flows_again() -> None:
    first, second = load_word("yes"), load_word("no")
    factory = Factory(
        PcmInputStream.factory(first[: BLOCK * 5], after_end="stall"),
        PcmInputStream.factory(second, after_end="silence"),
    )
    problems: list[str] = []
    recovered: list[str] = []
    pauses: list[float] = []
    mic = MicrophoneSource(
        stream_factory=factory,
        on_problem=problems.append,
        on_recovered=recovered.append,
        stall_timeout_s=0.2,
        poll_s=0.02,
        sleep=pauses.append,
    )
    got = bytearray()
    for data in mic.blocks():
        got += data
        if len(got) >= BLOCK * 5 + len(second):
            break
    mic.close()
    assert bytes(got[: BLOCK * 5]) == first[: BLOCK * 5]
    assert bytes(got[BLOCK * 5 : BLOCK * 5 + len(second)]) == second
    assert factory.calls == 2
    assert mic.reopens == 1
    assert pauses == [0.5]
    assert len(problems) == 1
    assert "microphone stopped working" in problems[0]
    assert "no sound arrived" in problems[0]
    assert recovered == ["The microphone is working again."]


def test_stream_that_dies_mid_way_is_reopened() -> None:
    pcm = load_word("stop")
    factory = Factory(
        PcmInputStream.factory(pcm[: BLOCK * 3], after_end="finish"),
        PcmInputStream.factory(pcm, after_end="silence"),
    )
    problems: list[str] = []
    mic = MicrophoneSource(
        stream_factory=factory,
        on_problem=problems.append,
        stall_timeout_s=60.0,
        poll_s=0.02,
        sleep=lambda s: None,
    )
    got = bytearray()
    for data in mic.blocks():
        got += data
        if len(got) >= BLOCK * 3 + len(pcm):
            break
    mic.close()
    assert bytes(got[BLOCK * 3 : BLOCK * 3 + len(pcm)]) == pcm
    assert "stream stopped" in problems[0]
    assert mic.reopens == 1


def test_reopen_backs_off_and_refreshes_until_the_device_is_back() -> None:
    busy = portaudio_error("Error opening RawInputStream: Device unavailable", -9985)
    pcm = load_word("go")
    factory = Factory(
        PcmInputStream.factory(pcm[:BLOCK], after_end="stall"),
        busy,
        busy,
        PcmInputStream.factory(pcm, after_end="silence"),
    )
    pauses: list[float] = []
    refreshes: list[bool] = []
    mic = MicrophoneSource(
        stream_factory=factory,
        refresh=lambda: refreshes.append(True),
        stall_timeout_s=0.1,
        poll_s=0.02,
        sleep=pauses.append,
    )
    got = bytearray()
    for data in mic.blocks():
        got += data
        if len(got) >= BLOCK + len(pcm):
            break
    mic.close()
    assert pauses == [0.5, 1.0, 2.0]
    assert len(refreshes) == 2  # not before the first, quick retry
    assert mic.reopens == 1


def test_gives_up_after_k_failed_reopens_with_words() -> None:
    gone = portaudio_error("Error querying device -1")
    factory = Factory(PcmInputStream.factory(bytes(BLOCK), after_end="stall"), gone)
    problems: list[str] = []
    mic = MicrophoneSource(
        stream_factory=factory,
        on_problem=problems.append,
        stall_timeout_s=0.1,
        poll_s=0.02,
        max_reopens=3,
        sleep=lambda s: None,
    )
    with pytest.raises(AudioDeviceError) as info:
        for _ in mic.blocks():
            pass
    message = str(info.value)
    assert "could not be reopened after 3 tries" in message
    assert "No microphone found" in message
    assert "--device" in message
    assert "--text" in message
    assert len(problems) == 1
    assert factory.calls == 4
    mic.close()


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (("Error querying device -1",), ["No microphone found", "--device", "--text"]),
        (("Error opening RawInputStream: Device unavailable", -9985), ["busy", "--device"]),
        (("Error opening RawInputStream: Invalid sample rate", -9997), ["sample rate"]),
    ],
)
def test_open_failure_says_what_is_wrong_and_what_to_do(
    error: tuple[str | int, ...], words: list[str]
) -> None:
    mic = MicrophoneSource(stream_factory=Factory(portaudio_error(*error)))
    with pytest.raises(AudioDeviceError) as info:
        mic.open()
    for word in words:
        assert word in str(info.value)


def test_open_failure_surfaces_from_blocks_too() -> None:
    mic = MicrophoneSource(stream_factory=Factory(portaudio_error("Error querying device -1")))
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        next(mic.blocks())


def test_real_microphone_on_this_machine_fails_in_words() -> None:
    try:
        if query_devices().of_kind("input"):
            pytest.skip("this machine has a microphone")
    except AudioDeviceError:
        pass  # PortAudio missing: opening must fail in words as well
    mic = MicrophoneSource()
    with pytest.raises(AudioDeviceError) as info:
        mic.open()
    assert "microphone" in str(info.value).lower() or "libportaudio2" in str(info.value)
    assert "Traceback" not in str(info.value)


def test_close_ends_blocks_even_while_waiting_to_reopen() -> None:
    problem_seen = threading.Event()
    mic = MicrophoneSource(
        stream_factory=Factory(PcmInputStream.factory(bytes(BLOCK), after_end="stall")),
        on_problem=lambda message: problem_seen.set(),
        stall_timeout_s=0.1,
        poll_s=0.02,
        backoff_s=(3600.0,),  # default sleep: interrupted by close()
    )
    finished = threading.Event()

    def consume() -> None:
        for _ in mic.blocks():
            pass
        finished.set()

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    assert problem_seen.wait(10)
    mic.close()
    reader.join(10)
    assert finished.is_set()


def test_a_failing_problem_callback_does_not_kill_the_microphone() -> None:
    pcm = load_word("yes")

    def bad_callback(message: str) -> None:
        raise RuntimeError("app bug")

    factory = Factory(
        PcmInputStream.factory(pcm[:BLOCK], after_end="stall"),
        PcmInputStream.factory(pcm, after_end="silence"),
    )
    mic = MicrophoneSource(
        stream_factory=factory,
        on_problem=bad_callback,
        stall_timeout_s=0.1,
        poll_s=0.02,
        sleep=lambda s: None,
    )
    got = bytearray()
    for data in mic.blocks():
        got += data
        if len(got) >= BLOCK + len(pcm):
            break
    mic.close()
    assert mic.reopens == 1
