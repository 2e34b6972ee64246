"""Speech out: espeak-ng rendering, the recording speaker, players and earcons.

Audio tests render real speech with espeak-ng (no sound card needed) and, for
content, run it back through pocketsphinx's full English language model.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from support import spoken_names

from voice_assistant.adapters.audio.devices import query_devices
from voice_assistant.adapters.audio.earcons import (
    EARCONS,
    earcon,
    error_tone,
    listening_chime,
    times_up_chime,
)
from voice_assistant.adapters.audio.playback import NullPlayer, SoundDevicePlayer, pcm_seconds
from voice_assistant.adapters.espeak.tts_pyttsx3 import (
    SAMPLE_RATE,
    EspeakRenderer,
    Pyttsx3Speaker,
    VoiceInfo,
    WavRecordingSpeaker,
    choose_voice,
    default_renderer,
)
from voice_assistant.errors import AudioDeviceError, ConfigError, SpeakerError

HELLO = "Hello, how are you today?"
ICE = "Put an ice pack on your lower back."
ICE_OFF = "Please take the ice pack off now."


# --- helpers ----------------------------------------------------------------------------


def to_16k(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    """Resample 16-bit mono PCM to 16 kHz (sox when present, else numpy interpolation)."""
    if rate == 16000:
        return pcm
    if shutil.which("sox"):
        raw = ["-t", "raw", "-e", "signed", "-b", "16", "-c", "1"]
        command = ["sox", "-q", *raw, "-r", str(rate), "-", *raw, "-r", "16000", "-"]
        return subprocess.run(command, input=pcm, capture_output=True, check=True).stdout
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    positions = np.arange(int(len(x) * 16000 / rate)) * rate / 16000
    return np.interp(positions, np.arange(len(x)), x).astype("<i2").tobytes()


_decoder = None


def transcribe_free(pcm16k: bytes) -> str:
    """Free transcription with pocketsphinx's bundled en-us language model (no grammar)."""
    global _decoder
    from pocketsphinx import Decoder

    if _decoder is None:
        _decoder = Decoder(loglevel="FATAL")
    padded = bytes(16000) + pcm16k + bytes(16000)  # half a second of silence around it
    _decoder.start_utt()
    _decoder.process_raw(padded, full_utt=True)
    _decoder.end_utt()
    hyp = _decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def read_wav(path: Path) -> tuple[int, int, int, bytes]:
    with wave.open(str(path)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2")


@pytest.fixture(scope="module")
def renderer() -> EspeakRenderer:
    r = default_renderer()
    try:
        r.voice_id(None)
    except SpeakerError as exc:
        pytest.skip(str(exc))
    return r


class FakePlayer:
    def __init__(self) -> None:
        self.played: list[tuple[bytes, int]] = []
        self.checked = 0

    def check(self) -> None:
        self.checked += 1

    def play(self, pcm: bytes, rate: int) -> float:
        self.played.append((pcm, rate))
        return 1000.0 + len(self.played)


# --- rendering (real espeak-ng) ---------------------------------------------------------


@pytest.mark.audio
def test_render_to_wav_writes_22050_hz_mono_16_bit(
    renderer: EspeakRenderer, tmp_path: Path
) -> None:
    speaker = Pyttsx3Speaker(player=NullPlayer(), renderer=renderer)
    path = speaker.render_to_wav(ICE, tmp_path / "ice.wav")
    rate, channels, width, pcm = read_wav(path)
    assert (rate, channels, width) == (22050, 1, 2)
    assert 1.0 < pcm_seconds(pcm, rate) < 6.0
    assert np.abs(samples(pcm)).max() > 3000  # real speech, not silence


@pytest.mark.audio
def test_rate_option_changes_the_duration(renderer: EspeakRenderer) -> None:
    slow = Pyttsx3Speaker(rate=100, player=NullPlayer(), renderer=renderer).render(ICE)
    fast = Pyttsx3Speaker(rate=250, player=NullPlayer(), renderer=renderer).render(ICE)
    assert len(slow) > 1.8 * len(fast)


@pytest.mark.audio
def test_back_to_back_renders_keep_their_own_settings(renderer: EspeakRenderer) -> None:
    # pyttsx3's own runAndWait loop drops or delays rate changes here; ours must not.
    lengths: dict[int, set[int]] = {100: set(), 250: set()}
    for rate in (100, 250) * 4:
        pcm = renderer.render(ICE, rate=rate, volume=1.0, voice_id="en")
        lengths[rate].add(len(pcm) // 2205)  # tenths of a second
    assert all(len(seen) == 1 for seen in lengths.values()), lengths
    assert min(lengths[100]) > 1.8 * max(lengths[250])


@pytest.mark.audio
def test_volume_option_scales_the_samples(renderer: EspeakRenderer) -> None:
    peaks = {}
    for volume in (0.0, 0.5, 1.0):
        pcm = Pyttsx3Speaker(volume=volume, player=NullPlayer(), renderer=renderer).render(HELLO)
        peaks[volume] = int(np.abs(samples(pcm)).max())
    assert peaks[0.0] == 0
    assert 0 < peaks[0.5] < 0.7 * peaks[1.0]


@pytest.mark.audio
def test_recording_speaker_keeps_both_utterances_and_the_texts(
    renderer: EspeakRenderer, tmp_path: Path
) -> None:
    speaker = WavRecordingSpeaker(tmp_path, renderer=renderer)
    speaker.say(HELLO)
    speaker.say(ICE)
    speaker.chime()
    speaker.say("   ")  # nothing to say: nothing recorded
    assert speaker.texts == [HELLO, ICE]
    paths = [path for _, path in speaker.recorded]
    assert [p.name for p in paths] == ["001.wav", "002.wav", "003.wav"]  # neutral names
    assert spoken_names(tmp_path)[0] == "001-hello-how-are-you-today.wav"  # said.txt
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o600}
    first, second = (read_wav(p)[3] for p in paths[:2])
    assert first != second
    assert pcm_seconds(first, SAMPLE_RATE) > 0.8
    assert pcm_seconds(second, SAMPLE_RATE) > 0.8
    assert read_wav(paths[2])[3] == times_up_chime(SAMPLE_RATE)

    again = WavRecordingSpeaker(tmp_path, renderer=renderer)  # a second run, same folder
    again.say("Goodbye.")
    assert again.recorded[0][1].name == "004.wav"


@pytest.mark.audio
@pytest.mark.slow
def test_spoken_content_is_what_was_asked(renderer: EspeakRenderer, tmp_path: Path) -> None:
    # en-us+f2 at 150 wpm is the espeak voice pocketsphinx's LM follows best here, and
    # these two sentences came back right in 6 of 6 renders (espeak adds a little noise,
    # so its output is not bit-identical from one render to the next).
    speaker = WavRecordingSpeaker(tmp_path, voice="en-us+f2", renderer=renderer)
    speaker.say(HELLO)
    speaker.say(ICE_OFF)
    hello, ice = (transcribe_free(to_16k(read_wav(p)[3])).split() for _, p in speaker.recorded)
    assert len({"hello", "how", "are", "you", "today"} & set(hello)) >= 3, hello
    assert {"please", "take", "ice"} <= set(ice), ice
    assert "ice" not in hello
    assert "today" not in ice


# --- voices -----------------------------------------------------------------------------

VOICES = [
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb",)),
    VoiceInfo("gmw/en-us", "English (America)", ("en-us",)),
    VoiceInfo("gmw/en-us-nyc", "English (America, New York City)", ("en-us-nyc",)),
    VoiceInfo("roa/es", "Spanish (Spain)", ("es",)),
    VoiceInfo("sit/cmn", "Chinese (Mandarin, latin as English)", ("cmn",)),
]


@pytest.mark.parametrize(
    ("spec", "voice_id"),
    [
        ("en-us", "gmw/en-us"),
        ("EN-US", "gmw/en-us"),
        ("gmw/en-us", "gmw/en-us"),
        ("English (America)", "gmw/en-us"),
        ("america", "gmw/en-us"),  # shorter of the two American voices
        ("en-gb", "gmw/en"),  # by language
        ("en-us+f3", "gmw/en-us+f3"),  # espeak variant kept
        ("spanish", "roa/es"),
        ("english", "gmw/en-us"),  # English voices (shortest name) before "latin as English"
    ],
)
def test_choose_voice(spec: str, voice_id: str) -> None:
    assert choose_voice(spec, VOICES) == voice_id


def test_unknown_voice_lists_english_voices() -> None:
    with pytest.raises(SpeakerError) as info:
        choose_voice("elvish", VOICES)
    message = str(info.value)
    assert "'elvish'" in message
    assert "en-us (English (America))" in message
    assert "Spanish" not in message
    assert "--voice" in message


@pytest.mark.audio
def test_real_voice_lookup(renderer: EspeakRenderer) -> None:
    assert renderer.voice_id("america") == "gmw/en-us"
    with pytest.raises(SpeakerError, match="en-us"):
        Pyttsx3Speaker(voice="elvish", player=NullPlayer(), renderer=renderer)


# --- speaker behaviour with fake players and engines -------------------------------------


@pytest.mark.audio
def test_say_hands_the_rendered_speech_to_the_player_and_returns_its_end(
    renderer: EspeakRenderer,
) -> None:
    player = FakePlayer()
    speaker = Pyttsx3Speaker(player=player, renderer=renderer)
    assert player.checked == 1  # checked at start-up
    speaker.say("  Is the pain   new? ")
    speaker.say("")
    assert len(player.played) == 1
    pcm, rate = player.played[0]
    assert rate == 22050
    again = speaker.render("Is the pain new?")  # espeak adds noise: compare lengths
    assert abs(len(pcm) - len(again)) < 0.05 * len(again)
    assert pcm_seconds(pcm, rate) > 0.5
    assert speaker.last_playback_end == 1001.0


@pytest.mark.audio
def test_chime_plays_an_earcon(renderer: EspeakRenderer) -> None:
    player = FakePlayer()
    speaker = Pyttsx3Speaker(player=player, renderer=renderer)
    speaker.chime()
    speaker.chime("listening")
    assert player.played == [
        (times_up_chime(22050), 22050),
        (listening_chime(22050), 22050),
    ]


def test_missing_espeak_is_explained() -> None:
    calls = []

    def no_espeak() -> None:
        calls.append(1)
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    renderer = EspeakRenderer(engine_factory=no_espeak)
    with pytest.raises(SpeakerError, match=r"apt-get install espeak-ng"):
        Pyttsx3Speaker(player=NullPlayer(), renderer=renderer)
    speaker = Pyttsx3Speaker(player=NullPlayer(), renderer=renderer, check=False)
    with pytest.raises(SpeakerError, match=r"apt-get install espeak-ng"):
        speaker.say("hello")
    assert calls == [1]  # failed once, then the same answer without retrying


@pytest.mark.parametrize(("rate", "volume"), [(50, 1.0), (500, 1.0), (150, -0.1), (150, 1.5)])
def test_bad_rate_or_volume_is_a_config_error(rate: int, volume: float) -> None:
    with pytest.raises(ConfigError, match="out of range"):
        Pyttsx3Speaker(rate=rate, volume=volume, player=NullPlayer(), check=False)


def _has_output_device() -> bool:
    try:
        return bool(query_devices().of_kind("output"))
    except AudioDeviceError:
        return False


@pytest.mark.audio
def test_no_sound_card_fails_once_in_words_and_does_not_hang(renderer: EspeakRenderer) -> None:
    if _has_output_device():
        pytest.skip("this machine has a speaker")
    with pytest.raises(AudioDeviceError, match="No speaker or headphones found"):
        Pyttsx3Speaker(renderer=renderer)  # found at start-up
    speaker = Pyttsx3Speaker(renderer=renderer, check=False)
    with pytest.raises(AudioDeviceError, match="--output-device") as first:
        speaker.say("Hello.")
    with pytest.raises(AudioDeviceError) as second:
        speaker.say("Hello again.")
    assert second.value is first.value  # remembered, not retried on every sentence


# --- players ----------------------------------------------------------------------------


class FakeOutputStream:
    """Consumes the player's callback from its own thread like PortAudio."""

    def __init__(self, *, samplerate: int, channels: int, dtype: str, device: str | int | None,
                 blocksize: int, callback: Callable[..., None],
                 finished_callback: Callable[[], None], consume: bool = True) -> None:  # fmt: skip
        self.kwargs = {"samplerate": samplerate, "channels": channels, "dtype": dtype,
                       "device": device}  # fmt: skip
        self.blocksize = blocksize
        self.callback = callback
        self.finished_callback = finished_callback
        self.consume = consume
        self.out = bytearray()
        self.closed = False
        self.aborted = False

    def start(self) -> None:
        if self.consume:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        import sounddevice as sd

        while True:
            buffer = bytearray(self.blocksize * 2)
            try:
                self.callback(buffer, self.blocksize, None, None)
            except sd.CallbackStop:
                self.out += buffer
                break
            self.out += buffer
        self.finished_callback()

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


def test_sounddevice_player_plays_everything_and_reports_when_it_ended() -> None:
    pytest.importorskip("sounddevice")
    streams: list[FakeOutputStream] = []

    def factory(**kwargs: Any) -> FakeOutputStream:
        streams.append(FakeOutputStream(**kwargs))
        return streams[-1]

    ticks = iter(range(100, 200))
    player = SoundDevicePlayer("usb", stream_factory=factory, clock=lambda: float(next(ticks)))
    pcm = times_up_chime(22050)
    ended = player.play(pcm, 22050)
    stream = streams[0]
    assert stream.kwargs == {"samplerate": 22050, "channels": 1, "dtype": "int16", "device": "usb"}
    assert bytes(stream.out[: len(pcm)]) == pcm
    assert not any(stream.out[len(pcm) :])  # padded with silence, nothing else
    assert ended == 100.0 == player.last_ended  # read in the finished callback
    assert stream.closed


def test_sounddevice_player_gives_up_on_a_stuck_speaker_and_remembers() -> None:
    pytest.importorskip("sounddevice")

    def factory(**kwargs: Any) -> FakeOutputStream:
        return FakeOutputStream(consume=False, **kwargs)

    player = SoundDevicePlayer(stream_factory=factory, margin_s=0.05)
    with pytest.raises(AudioDeviceError, match="stopped playing") as first:
        player.play(bytes(200), 22050)
    with pytest.raises(AudioDeviceError) as second:
        player.play(bytes(200), 22050)
    assert second.value is first.value


def test_sounddevice_player_open_error_in_words() -> None:
    sd = pytest.importorskip("sounddevice")

    def factory(**kwargs: Any) -> NoReturn:
        raise sd.PortAudioError("Error opening RawOutputStream: Device unavailable", -9985)

    player = SoundDevicePlayer("hdmi", stream_factory=factory)
    with pytest.raises(AudioDeviceError, match="speaker 'hdmi' is busy"):
        player.play(bytes(200), 22050)


def test_null_player_sleeps_the_scaled_duration_or_not_at_all() -> None:
    slept: list[float] = []
    pcm = bytes(22050 * 2)  # one second
    assert NullPlayer(time_scale=0.5, sleep=slept.append, clock=lambda: 7.0).play(pcm, 22050) == 7.0
    quick = NullPlayer(sleep=slept.append)  # default: no sleeping at all
    quick.play(pcm, 16000)
    assert slept == [0.5]
    assert quick.played == [(16000, 22050 * 2 / 2 / 16000)]


# --- earcons ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EARCONS))
def test_earcons_are_short_gentle_and_click_free(name: str) -> None:
    for rate in (16000, 22050):
        x = samples(earcon(name, rate)).astype(np.int32)
        assert 0.2 < len(x) / rate < 2.0
        assert 0.3 * 32767 < np.abs(x).max() <= 0.6 * 32767
        assert abs(x[0]) < 200
        assert abs(x[-1]) < 200


def test_earcons_differ_and_scale_with_rate() -> None:
    sounds = {listening_chime(), times_up_chime(), error_tone()}
    assert len(sounds) == 3
    assert len(listening_chime(16000)) / len(listening_chime(22050)) == pytest.approx(
        16000 / 22050, rel=0.01
    )


def test_listening_chime_rises_from_660_to_880_hz() -> None:
    x = samples(listening_chime(16000)).astype(np.float64)
    half = len(x) // 2

    def peak_hz(part: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        return float(np.fft.rfftfreq(len(part), 1 / 16000)[np.argmax(spectrum)])

    assert peak_hz(x[:half]) == pytest.approx(660, abs=25)
    assert peak_hz(x[half:]) == pytest.approx(880, abs=25)


def test_unknown_earcon_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="times_up"):
        earcon("fanfare")
