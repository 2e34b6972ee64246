"""Command line: parse arguments, build settings, hand over to app.py.

Every expected failure reaches the user as words on stderr (and speech where
possible) with exit code 1 or 2 — never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from voice_assistant import __version__
from voice_assistant.engines import ENGINE_CHOICES, SPEAKER_NAMES, engines_help, speakers_help

DESCRIPTION = """\
heat-or-ice: an offline, hands-free helper for back pain.

It asks a few short questions (danger signs first, then when the pain started,
swelling, stiffness and cause), says whether to use heat or ice with the safety
warnings that go with it, and then times each session out loud.

Answer by voice (the default: microphone, offline speech recognition), or type
with --text, in your own words ("no, my legs are fine"); a danger sign
mentioned at any point gets its advice at once. Say or type "repeat", "help",
"start over" or "stop" at any time, as the whole reply.
During a timed session: "how long left", "pause" (take the pack off), "resume"
(put it back on), "stop"; when time is up, say "done" or "it's off" once the
pack is off.
"""

EPILOG = """\
commands:
  (none)              run the assistant (the conversation, then the timer)
  devices             list microphones and speakers
  recognize FILE...   print FILE<TAB>TEXT<TAB>CONFIDENCE for each WAV file
  models download     fetch the small English vosk model into models/
  models list         show installed vosk models
  history             list past heat and ice sessions
  doctor              check microphone, speaker, speech engine, journal, settings

text and JSON modes:
  --text reads one answer per line from standard input (also for screen
  readers); a line may start with @SECONDS ("@90 how long left") to be used
  only when the assistant's clock reaches that time (scripted demos; 0 to
  86400 s). A line with a bad time, or that is not UTF-8 text, is skipped
  (said once) and the rest is read.
  --json prints one JSON object per assistant turn:
    t       seconds since the start, on the assistant's clock
    state   the dialog state name
    say     the exact text spoken
    expects the answer names awaited, e.g. ["yes","no","unsure"]; [] if none
    heard   what was heard (on turns that follow an answer)
    recommendation (on the advice turn) {"kind": "ice"|"heat"|"ice_then_heat"|
            "seek_care", "urgency": "emergency"|"today"|"ask_first"|null,
            "plan": [{"phase": "ice"|"heat"|"rest", "minutes": N}, ...]}

settings: flags override the settings file (see --config); the README lists
every key. Exit codes: 0 done (also after stop or end of input), 1 something
essential is missing or another heat-or-ice is using the data folder, 2 bad
command line or unusable dialog files.

This is not medical care. If you have new numbness between your legs, bladder
or bowel trouble, or weak legs, call emergency services.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heat-or-ice",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"heat-or-ice {__version__}")
    _add_run_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Accepted after the command too ("heat-or-ice history --data-dir X").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="journal folder")
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="settings file")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)

    sub.add_parser("devices", help="list microphones and speakers")

    recognize = sub.add_parser(
        "recognize",
        help="recognise WAV files and print FILE<TAB>TEXT<TAB>CONFIDENCE",
        description="Recognise each WAV file against a small vocabulary. TEXT is empty when "
        "the audio was rejected as silence or as words outside the vocabulary.",
    )
    recognize.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    recognize.add_argument(
        "--choices",
        help='phrases to listen for, separated by "|" (default: yes|no|stop and the '
        "answers and commands of a yes/no question)",
    )
    _add_engine_options(recognize)

    models = sub.add_parser(
        "models",
        help="install or list vosk speech models",
        description="heat-or-ice models download [--url URL] [--sha256 HEX] [--dest DIR] | "
        "heat-or-ice models list",
        add_help=False,
    )
    models.add_argument("models_args", nargs=argparse.REMAINDER, help="download | list")

    history = sub.add_parser("history", help="list past heat and ice sessions", parents=[common])
    history.add_argument(
        "--limit", type=_positive_int, default=20, help="how many, newest first (default 20)"
    )

    doctor = sub.add_parser(
        "doctor",
        help="check microphone, speaker, speech engine, journal, settings",
        parents=[common],
    )
    doctor.add_argument("--device", default=argparse.SUPPRESS, help="microphone to check")
    doctor.add_argument("--output-device", default=argparse.SUPPRESS, help="speaker to check")
    doctor.add_argument(
        "--tts",
        default=argparse.SUPPRESS,
        choices=SPEAKER_NAMES,
        help="text-to-speech engine to check (default: the one in the settings)",
    )
    _add_engine_options(doctor, suppress=True)
    return parser


def _add_engine_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    extra = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--engine",
        **extra,  # type: ignore[arg-type]
        choices=ENGINE_CHOICES,
        help=engines_help(),
    )
    parser.add_argument(
        "--vosk-model",
        type=Path,
        metavar="PATH",
        help="folder of an unpacked vosk model (also VOSK_MODEL_PATH, or a folder in models/)",
        **extra,  # type: ignore[arg-type]
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_argument_group("how you talk to it")
    mode.add_argument("--text", action="store_true", help="type answers instead of speaking")
    mode.add_argument("--mute", action="store_true", help="print replies without speaking them")
    mode.add_argument("--json", action="store_true", help="print one JSON object per turn")
    mode.add_argument(
        "--audio-in",
        nargs="+",
        type=_clip_argument,
        metavar="WAV",
        help="answer each question with the next WAV file, as if spoken (FILE@SECONDS: "
        "use it when the assistant's clock reaches SECONDS); with --wake the first file "
        "is the wake phrase",
    )
    mode.add_argument(
        "--wake",
        action="store_true",
        default=None,
        help="always-on: wait quietly for the wake phrase, then talk, then wait again",
    )
    mode.add_argument("--wake-phrase", metavar="WORDS", help="the wake phrase (2-6 words)")

    audio = parser.add_argument_group("sound")
    audio.add_argument("--device", metavar="NAME|INDEX", help="microphone to use")
    audio.add_argument("--output-device", metavar="NAME|INDEX", help="speaker to use")
    audio.add_argument("--rate", type=int, help="speaking rate in words per minute (default 150)")
    audio.add_argument("--volume", type=float, help="speaking volume, 0.0 to 1.0 (default 1.0)")
    audio.add_argument(
        "--tts",
        choices=SPEAKER_NAMES,
        help=speakers_help(),
    )
    audio.add_argument(
        "--voice",
        help="text-to-speech voice name (e.g. en-us, en-gb); with --tts piper, a .onnx voice file",
    )
    audio.add_argument(
        "--save-speech", type=Path, metavar="DIR", help="also save every reply as a WAV in DIR"
    )
    _add_engine_options(parser)

    other = parser.add_argument_group("other")
    other.add_argument(
        "--clock-speed",
        type=float,
        metavar="N",
        help="run the session clock N times faster, up to 1000 (demos and tests)",
    )
    other.add_argument("--data-dir", help="folder for the session journal and log")
    other.add_argument("--config", type=Path, help="settings file (TOML) to read")
    other.add_argument("--dialogs", type=Path, help=argparse.SUPPRESS)
    other.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")


def _positive_int(text: str) -> int:
    """A whole number of 1 or more ("history --limit 0" would show nothing and say so wrongly)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is too small: give 1 or more")
    return number


def _clip_argument(text: str) -> str:
    """``--audio-in`` FILE or FILE@SECONDS; a bad time stops here (exit 2), not mid-session."""
    from voice_assistant.listener import parse_clip_argument
    from voice_assistant.timing_marks import BadTimeMark

    try:
        parse_clip_argument(text)
    except BadTimeMark as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def main(argv: Sequence[str] | None = None) -> int:
    from voice_assistant.streams import guard_standard_streams

    guard_standard_streams()  # a closed or broken stdout/stderr stops printing only
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["models"]:  # its own sub-parser, including its --help
        from voice_assistant import paths
        from voice_assistant.models_download import main_models

        return main_models(argv[1:] or ["--help"], models_dir=paths.models_dir())
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None and args.text and args.audio_in:
        parser.error("--text and --audio-in both give the answers: use one of them")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from voice_assistant import app

    try:
        return app.dispatch(args)
    except KeyboardInterrupt:
        print("Stopped. Goodbye.", file=sys.stderr)
        return 0
