"""The Piper worker: a separate process that turns text into speech, one request at a time.

Started by ``piper_client.PiperWorker`` as ``python -m voice_assistant.adapters.piper.piper_worker
--model X.onnx --config X.onnx.json``. Piper (GPL-3.0) and onnxruntime are imported only
here, so they never load into the assistant's own process.

The protocol, over stdin/stdout:

* worker → parent, once: ``READY <sample_rate>\\n`` (or ``ERROR <message>\\n`` and exit 1);
* parent → worker, one line per request: JSON ``{"text": "...", "length_scale": 1.2}``;
* worker → parent, per sentence: ``AUDIO <n>\\n`` followed by ``n`` bytes of 16-bit mono PCM,
  then ``DONE\\n``; a failed request answers ``ERROR <message>\\n`` instead of ``DONE``;
* end of stdin: the worker exits.

Anything a library prints goes to stderr: file descriptor 1 is moved to 2 at start, and
only the protocol is written to the original stdout.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, BinaryIO


def _send(out: BinaryIO, header: str, payload: bytes = b"") -> None:
    out.write(header.encode("utf-8") + b"\n" + payload)
    out.flush()


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _serve(voice: Any, config_class: Any, requests: BinaryIO, out: BinaryIO) -> None:
    for raw in requests:
        line = raw.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
            text = str(request["text"])
            length_scale = float(request.get("length_scale", 1.0))
            config = config_class(length_scale=length_scale)
            for chunk in voice.synthesize(text, syn_config=config):
                pcm = chunk.audio_int16_bytes
                if pcm:
                    _send(out, f"AUDIO {len(pcm)}", pcm)
        except Exception as exc:
            _send(out, f"ERROR {_one_line(exc)}")
            continue
        _send(out, "DONE")


USAGE = (
    "usage: python -m voice_assistant.adapters.piper.piper_worker "
    "--model X.onnx --config X.onnx.json"
)


def parse_arguments(argv: list[str]) -> dict[str, str] | None:
    """``--model X --config Y`` (or ``--model=X``) as a dict; None when either is missing.

    Parsed by hand (no parser library): the parent is the only caller, and
    this process should import nothing it does not need.
    """
    values: dict[str, str] = {}
    rest = list(argv)
    while rest:
        name, equals, value = rest.pop(0).partition("=")
        if name not in ("--model", "--config") or name[2:] in values:
            return None
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        values[name[2:]] = value
    return values if len(values) == 2 else None


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if args is None:
        print(USAGE, file=sys.stderr)
        return 2

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        from voice_assistant.adapters.onnx_quiet import import_onnxruntime_quietly

        import_onnxruntime_quietly()  # no device id left behind (see onnx_quiet.py)
        from piper import PiperVoice, SynthesisConfig

        voice = PiperVoice.load(args["model"], config_path=args["config"])
    except Exception as exc:
        _send(out, f"ERROR {_one_line(exc)}")
        return 1
    _send(out, f"READY {int(voice.config.sample_rate)}")
    _serve(voice, SynthesisConfig, sys.stdin.buffer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
