#!/usr/bin/env bash
# heat-or-ice: set everything up, then run the assistant or the tests.
#
#   bash setup.sh run [heat-or-ice options]   set up, then start the assistant
#   bash setup.sh test [pytest options]       set up, then run lint and the test suite
#   bash setup.sh run --piper [options]       also install the natural voice (Piper), use it
#                                             (or HEAT_OR_ICE_PIPER=1 for any command)
#
# Setting up means: Debian packages where missing (espeak-ng, libportaudio2,
# python3-venv, ...), a virtual environment in .venv, and this package with its
# Python dependencies. Each step is skipped when already done, so re-running is fast.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.installed"
EXTRAS="dev${HEAT_OR_ICE_PIPER:+,piper}"
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
    say "Installing system packages: ${missing[*]}"
    need_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
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

install_python_packages() {
    local want
    want="$( (cat "$HERE/pyproject.toml"; echo "$EXTRAS") | sha256sum | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "Creating the virtual environment in .venv"
        "$(pick_python)" -m venv "$VENV"
    fi
    say "Installing heat-or-ice and its Python packages (first time only)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$HERE[$EXTRAS]"
    echo "$want" >"$STAMP"
}

setup() {
    install_system_packages
    install_python_packages
}

case "${1:-}" in
    run)
        shift
        if [ "${1:-}" = "--piper" ]; then
            shift; EXTRAS="dev,piper"; set -- --tts piper "$@"
        fi
        setup
        exec "$VENV/bin/heat-or-ice" "$@"
        ;;
    test)
        shift
        setup
        cd "$HERE"
        "$VENV/bin/ruff" check voice_assistant tests bench
        "$VENV/bin/python" -m pytest "$@"
        ;;
    setup)
        setup
        ;;
    *)
        say "usage: bash setup.sh run [options]   (set up, then start the assistant)"
        say "       bash setup.sh test [options]  (set up, then run the tests)"
        exit 2
        ;;
esac
