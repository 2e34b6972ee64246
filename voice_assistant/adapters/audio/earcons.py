"""Short attention sounds, generated (no sound files to ship or lose).

Pure functions returning 16-bit mono PCM. Each note has a soft attack and an
exponential decay, so nothing clicks and nothing is harsh on a small speaker;
peaks stay around half of full scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

DEFAULT_RATE = 22050
"""Hz; the same rate as the speech, so one output stream setting fits both."""

Note = tuple[float, float]
"""(frequency in Hz, length in seconds); frequency 0 is a pause."""


def _note(freq: float, seconds: float, rate: int, decay: float) -> npt.NDArray[np.float64]:
    n = max(1, round(seconds * rate))
    if freq <= 0:
        return np.zeros(n)
    t = np.arange(n) / rate
    # Fundamental plus a quiet octave: rounder than a pure sine on laptop speakers.
    wave = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(4 * np.pi * freq * t)
    envelope = np.exp(-decay * t)
    attack = min(n, max(1, round(0.008 * rate)))
    envelope[:attack] *= np.linspace(0.0, 1.0, attack)
    release = min(n, max(1, round(0.02 * rate)))
    envelope[-release:] *= np.linspace(1.0, 0.0, release)
    return wave * envelope


def melody(
    notes: Sequence[Note], rate: int = DEFAULT_RATE, peak: float = 0.5, decay: float = 4.0
) -> bytes:
    """Render ``notes`` one after another as int16 PCM peaking at ``peak`` (0..1)."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    signal = np.concatenate([_note(f, s, rate, decay) for f, s in notes])
    top = float(np.max(np.abs(signal))) or 1.0
    scaled = signal / top * peak * 32767.0
    return np.clip(np.round(scaled), -32768, 32767).astype("<i2").tobytes()


def listening_chime(rate: int = DEFAULT_RATE) -> bytes:
    """Two rising notes: "I'm listening now"."""
    return melody([(660.0, 0.11), (0.0, 0.03), (880.0, 0.16)], rate, peak=0.4, decay=6.0)


def times_up_chime(rate: int = DEFAULT_RATE) -> bytes:
    """Three bell-like notes, clearly audible across a room: "time's up"."""
    return melody(
        [(784.0, 0.28), (659.0, 0.28), (784.0, 0.28), (1047.0, 0.5)], rate, peak=0.55, decay=3.0
    )


def error_tone(rate: int = DEFAULT_RATE) -> bytes:
    """Two low falling notes: "that did not work"."""
    return melody([(440.0, 0.16), (0.0, 0.04), (330.0, 0.24)], rate, peak=0.4, decay=5.0)


EARCONS: dict[str, Callable[[int], bytes]] = {
    "listening": listening_chime,
    "times_up": times_up_chime,
    "error": error_tone,
}


def earcon(name: str, rate: int = DEFAULT_RATE) -> bytes:
    """The earcon called ``name`` (one of EARCONS) at ``rate`` Hz."""
    try:
        make = EARCONS[name]
    except KeyError:
        raise ValueError(f"unknown earcon {name!r}; known: {', '.join(EARCONS)}") from None
    return make(rate)
