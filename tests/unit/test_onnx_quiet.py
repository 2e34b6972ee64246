"""F23: importing onnxruntime left a device id and a telemetry queue in ~/.cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_assistant.adapters.onnx_quiet import import_onnxruntime_quietly


def test_onnxruntime_leaves_no_device_id_anywhere(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    cache.mkdir()
    code = (
        "import os\n"
        "from voice_assistant.adapters.onnx_quiet import import_onnxruntime_quietly\n"
        "import_onnxruntime_quietly()\n"
        "import onnxruntime\n"
        "print(os.environ['XDG_CACHE_HOME'])\n"
    )
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(cache), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(cache)  # put back as it was
    left = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert left == [], left


def test_it_may_be_called_again() -> None:
    import_onnxruntime_quietly()
    import_onnxruntime_quietly()
