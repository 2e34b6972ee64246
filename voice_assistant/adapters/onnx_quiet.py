"""Import onnxruntime without leaving a device id or a telemetry queue behind.

onnxruntime (1.32, pulled in by faster-whisper's speech detector and by Piper) creates
``$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime/`` with a persistent ``deviceid``
and an ``onnxruntime.db`` of telemetry events, and ``$TMPDIR/.ses`` (a session id), when it
is imported, whatever
``disable_telemetry_events()`` says afterwards. Nothing of the assistant may be written
outside its own folders, so the import happens with XDG_CACHE_HOME and TMPDIR pointing at a private
temporary folder (0700), which is deleted straight after: no id survives the process,
nothing is queued. (No network connection was seen in any run.) Standard library only:
the Piper worker imports this before Piper.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile

_VARIABLES = ("XDG_CACHE_HOME", "TMPDIR")  # the device id; the telemetry session (.ses)


def import_onnxruntime_quietly() -> None:
    """Import onnxruntime (if installed) so that its start-up files go nowhere; then turn
    its telemetry off where it allows. Safe to call many times."""
    if "onnxruntime" in sys.modules:
        return
    before = {name: os.environ.get(name) for name in _VARIABLES}
    scratch = tempfile.mkdtemp(prefix="heat-or-ice-ort-")  # 0700
    os.environ.update(dict.fromkeys(_VARIABLES, scratch))
    try:
        onnxruntime = importlib.import_module("onnxruntime")
    except ImportError:
        return
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(scratch, ignore_errors=True)
    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if callable(disable):
        disable()
