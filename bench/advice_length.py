"""How long each spoken advice (and the greeting) takes to say.

    .venv/bin/python bench/advice_length.py            # words, 150 wpm estimate, espeak-ng
    .venv/bin/python bench/advice_length.py --no-render  # words and estimate only

For every advice in dialogs/advice.yaml: the words of the whole advice as spoken
(recommendation + the safety lines that apply), the time at 150 words a minute,
and the real duration rendered by the product's TTS (espeak-ng, default voice,
default rate). Rendering is not timing-sensitive: the duration is the length of
the audio, not how long it took to make.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from voice_assistant.dialog.checks import word_count
from voice_assistant.dialog.script import DialogScript, load_script

WPM = 150
REPO = Path(__file__).resolve().parent.parent


def spoken_texts(script: DialogScript) -> dict[str, str]:
    """Advice id -> everything said for it; plus the greeting."""
    texts = {name: script.advice_text(advice) for name, advice in script.advice.items()}
    texts["greeting"] = " ".join(script.greeting.split())
    return texts


def rendered_seconds(text: str) -> float:
    """Length of ``text`` as the assistant would speak it (espeak-ng, default rate)."""
    from voice_assistant.adapters.espeak.tts_pyttsx3 import (
        DEFAULT_RATE,
        SAMPLE_RATE,
        default_renderer,
    )

    renderer = default_renderer()
    pcm = renderer.render(text, rate=DEFAULT_RATE, volume=1.0, voice_id=renderer.voice_id(None))
    return len(pcm) / 2 / SAMPLE_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogs", type=Path, default=REPO / "dialogs")
    parser.add_argument("--no-render", action="store_true", help="skip espeak-ng")
    args = parser.parse_args()
    script = load_script(args.dialogs)
    print(f"| text | words | s at {WPM} wpm | s espeak-ng |")
    print("|---|---|---|---|")
    for name, text in spoken_texts(script).items():
        words = word_count(text)
        rendered = "-" if args.no_render else f"{rendered_seconds(text):.1f}"
        print(f"| {name} | {words} | {words * 60 / WPM:.1f} | {rendered} |")


if __name__ == "__main__":
    main()
