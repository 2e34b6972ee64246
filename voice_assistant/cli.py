"""Command line: parse arguments into typed values and hand them to the command asked for.

The only module that imports ``argparse``. Each subcommand is chosen by argparse itself
(``set_defaults(run=...)``); the small ``_run_*`` functions below turn the parsed
arguments into a frozen ``Settings`` (settings file, then flags) and, for the assistant,
a frozen ``RunOptions``, so nothing past this module sees an ``argparse.Namespace``.

Every expected failure reaches the user as words on stderr (and speech where
possible) with exit code 1 or 2 — never as a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voice_assistant import __version__, paths
from voice_assistant.commands import EXIT_MISSING, EXIT_USAGE
from voice_assistant.errors import AssistantError, ConfigError
from voice_assistant.runtime.trial import TRIAL_SPEED
from voice_assistant.settings.config import Settings, merge_overrides
from voice_assistant.settings.config_file import choose_config_path, load_settings
from voice_assistant.speech.engines import (
    ENGINE_CHOICES,
    SPEAKER_NAMES,
    engines_help,
    speakers_help,
)

if TYPE_CHECKING:
    from voice_assistant.app import RunOptions

log = logging.getLogger(__name__)

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
    parser.set_defaults(run=_run_assistant)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Accepted after the command too ("heat-or-ice history --data-dir X").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="journal folder")
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="settings file")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)

    sub.add_parser("devices", help="list microphones and speakers").set_defaults(run=_run_devices)

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
    recognize.set_defaults(run=_run_recognize)

    models = sub.add_parser(
        "models",
        help="install or list vosk speech models",
        description="heat-or-ice models download [--url URL] [--sha256 HEX] [--dest DIR] | "
        "heat-or-ice models list",
        add_help=False,
    )
    models.add_argument("models_args", nargs=argparse.REMAINDER, help="download | list")
    models.set_defaults(run=_run_models)

    history = sub.add_parser("history", help="list past heat and ice sessions", parents=[common])
    history.add_argument(
        "--limit", type=_positive_int, default=20, help="how many, newest first (default 20)"
    )
    history.set_defaults(run=_run_history)

    service = sub.add_parser(
        "service",
        help="start always-on mode at boot, without anyone logging in (systemd)",
        description="install: a systemd user unit running `heat-or-ice --wake`, and linger "
        "so it starts at boot; remove: undo it; show: print the unit. As root, --user NAME "
        "does it for that account.",
    )
    service.add_argument("action", choices=("install", "remove", "show"))
    service.add_argument("--user", dest="account", metavar="NAME", help="whose service (root)")
    service.set_defaults(run=_run_service)

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
    doctor.set_defaults(run=_run_doctor)
    return parser


def _add_engine_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    extra: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--engine",
        **extra,
        choices=ENGINE_CHOICES,
        help=engines_help(),
    )
    parser.add_argument(
        "--vosk-model",
        type=Path,
        metavar="PATH",
        help="folder of an unpacked vosk model (also VOSK_MODEL_PATH, or a folder in models/)",
        **extra,
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
    other.add_argument(
        "--try",
        dest="trial",
        action="store_true",
        help=f"try it out: the clock runs {TRIAL_SPEED:g} times faster and nothing is kept in "
        "your history (any --clock-speed other than 1 is a trial too)",
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
    from voice_assistant.hearing.listener import parse_clip_argument
    from voice_assistant.hearing.timing_marks import BadTimeMark

    try:
        parse_clip_argument(text)
    except BadTimeMark as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_models_parser(models_dir: Path) -> argparse.ArgumentParser:
    """``heat-or-ice models``'s own parser (its help and errors name ``heat-or-ice models``)."""
    from voice_assistant.adapters.vosk.asr_vosk import DEFAULT_MODEL_NAME
    from voice_assistant.install.models_download import WHISPER

    parser = argparse.ArgumentParser(
        prog="heat-or-ice models", description="Download and list speech models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser(
        "download",
        help="download and install a model",
        description=f"{WHISPER} is the accurate default recogniser; it normally comes with "
        "heat-or-ice, so downloading it is only needed when that package is missing. "
        f"{DEFAULT_MODEL_NAME} is the small English vosk model.",
    )
    dl.add_argument(
        "model",
        nargs="?",
        choices=(DEFAULT_MODEL_NAME, WHISPER),
        default=DEFAULT_MODEL_NAME,
        help=f"which model (default {DEFAULT_MODEL_NAME})",
    )
    dl.add_argument(
        "--url",
        default=None,
        help="model zip address or local path (vosk); base address of the files (whisper)",
    )
    dl.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    dl.add_argument("--dest", type=Path, default=models_dir, help="models folder")
    dl.add_argument("--force", action="store_true", help="replace an installed model")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    ls = sub.add_parser("list", help="list model folders and whether each is usable")
    ls.add_argument("--dest", type=Path, default=models_dir, help="models folder")
    return parser


def main_models(
    argv: Sequence[str],
    *,
    models_dir: Path = Path("models"),
    env: Mapping[str, str] | None = None,
) -> int:
    """Run ``heat-or-ice models ...``; return the process exit code."""
    from voice_assistant.commands import models

    try:
        args = build_models_parser(models_dir).parse_args(list(argv))
    except SystemExit as exc:  # --help or a usage error (argparse printed it)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    if args.command == "list":
        return models.list_models(args.dest, os.environ if env is None else env)
    request = models.DownloadRequest(
        model=args.model,
        url=args.url,
        sha256=args.sha256,
        dest=args.dest,
        force=args.force,
        quiet=args.quiet,
    )
    return models.download(request)


def build_settings(args: argparse.Namespace, *, report: bool = True) -> Settings:
    """Settings file first, then the flags the user typed (``report``: print file problems)."""
    path, explicit = choose_config_path(getattr(args, "config", None))
    result = load_settings(path, explicit=explicit)
    if report:
        for problem in result.problems:
            print(problem, file=sys.stderr)
    overrides: dict[str, Any] = {
        "tts": getattr(args, "tts", None),
        "voice": getattr(args, "voice", None),
        "rate": getattr(args, "rate", None),
        "volume": getattr(args, "volume", None),
        "input_device": getattr(args, "device", None),
        "output_device": getattr(args, "output_device", None),
        "engine": getattr(args, "engine", None),
        "vosk_model": getattr(args, "vosk_model", None),
        "wake": getattr(args, "wake", None),
        "wake_phrase": getattr(args, "wake_phrase", None),
        "data_dir": getattr(args, "data_dir", None),
        "clock_speed": getattr(args, "clock_speed", None),
        "mute": True if getattr(args, "mute", False) else None,
        "log_level": "DEBUG" if getattr(args, "verbose", False) else None,
    }
    return merge_overrides(result.settings, overrides, option_names={"input_device": "--device"})


def run_options(args: argparse.Namespace) -> RunOptions:
    """What the assistant run needs from the command line besides ``Settings``."""
    from voice_assistant.app import RunOptions

    return RunOptions(
        text=args.text,
        json=args.json,
        audio_in=tuple(args.audio_in or ()),
        save_speech=args.save_speech,
        dialogs=args.dialogs,
    )


def _started(args: argparse.Namespace, *, report: bool = True) -> Settings:
    """Settings for a command that uses the data folder, whose log file starts here."""
    from voice_assistant.runtime.data_folder import log_to_file

    settings = build_settings(args, report=report)
    log_to_file(settings.data_dir, settings.log_level)
    log.info("started: %s", args.command or "assistant")
    log.debug("settings: %s", settings)
    return settings


# --- what each command gets from the command line (set_defaults(run=...)) --------------


def _run_assistant(args: argparse.Namespace) -> int:
    """The assistant; a trial (``--try``, a fast clock) runs in a folder of its own."""
    from voice_assistant import app
    from voice_assistant.runtime.data_folder import log_to_file
    from voice_assistant.runtime.trial import trial_settings

    settings, trial = trial_settings(
        build_settings(args), asked=args.trial, data_dir_given=args.data_dir is not None
    )
    log_to_file(settings.data_dir, settings.log_level)
    log.info("started: assistant%s", " (trial)" if trial else "")
    log.debug("settings: %s", settings)
    options = dataclasses.replace(run_options(args), trial=trial)
    try:
        return app.run_assistant(options, settings)
    finally:
        if trial is not None:
            trial.clean_up()


def _run_devices(args: argparse.Namespace) -> int:
    from voice_assistant.commands import devices

    return devices.run()


def _run_recognize(args: argparse.Namespace) -> int:
    from voice_assistant.commands import recognize

    return recognize.run(build_settings(args), args.files, args.choices)


def _run_models(args: argparse.Namespace) -> int:
    return main_models(args.models_args or ["--help"], models_dir=paths.models_dir())


def _run_history(args: argparse.Namespace) -> int:
    from voice_assistant.commands import history

    return history.run(_started(args), args.limit)


def _run_service(args: argparse.Namespace) -> int:
    from voice_assistant.commands import service

    if args.action == "install":
        return service.install(args.account)
    if args.action == "remove":
        return service.remove(args.account)
    return service.show(args.account)


def _run_doctor(args: argparse.Namespace) -> int:
    from voice_assistant.commands import doctor

    return doctor.run(_started(args, report=False), args.config, args.dialogs)


def _long_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every ``--name`` the parser and its commands accept."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(option for option in action.option_strings if option.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found |= _long_options(child)
    return found


def misspelt_option(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """A one-line message naming the first unknown ``--option``, with the nearest known one.

    argparse alone blames the option's value ("argument COMMAND: invalid choice:
    '60'" for ``--clock-sped 60``) and prints a long usage block.
    """
    known = _long_options(parser)
    for word in argv:
        if word == "--":
            break
        name = word.split("=", 1)[0]
        if not name.startswith("--") or name in known:
            continue
        if any(option.startswith(name) for option in known):
            continue  # an abbreviation argparse accepts or reports itself
        near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
        hint = f" Did you mean {near[0]}?" if near else ""
        return f"heat-or-ice: there is no option {name}.{hint} (heat-or-ice --help lists them.)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    from voice_assistant.runtime.streams import guard_standard_streams

    guard_standard_streams()  # a closed or broken stdout/stderr stops printing only
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["models"]:  # its own parser, so "models --help" is that parser's help
        return main_models(argv[1:] or ["--help"], models_dir=paths.models_dir())
    parser = build_parser()
    typo = misspelt_option(parser, argv)
    if typo is not None:
        print(typo, file=sys.stderr)
        return EXIT_USAGE
    args = parser.parse_args(argv)
    if args.command is None and args.text and args.audio_in:
        parser.error("--text and --audio-in both give the answers: use one of them")
    from voice_assistant.runtime.console_writer import QueuedLogHandler

    logging.basicConfig(  # a stalled stderr never holds up a log call
        level=logging.DEBUG if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        handlers=[QueuedLogHandler(sys.stderr)],
    )
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_MISSING
    except KeyboardInterrupt:
        print("Stopped. Goodbye.", file=sys.stderr)
        return 0
