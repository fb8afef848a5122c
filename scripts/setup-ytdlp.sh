#!/usr/bin/env bash
# Creates (idempotently) a project-local Python venv in .venv/ with a PINNED yt-dlp from PyPI
# and prints the path of its yt-dlp binary on stdout (everything else goes to stderr).
# The pin keeps behaviour reproducible: yt-dlp's output format and flags change between releases.
# Usage: scripts/setup-ytdlp.sh            -> prints /abs/path/.venv/bin/yt-dlp
#        YTDLP_VERSION=x.y.z scripts/setup-ytdlp.sh   (override the pin deliberately)
set -euo pipefail

YTDLP_VERSION="${YTDLP_VERSION:-2026.10.26}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${YTDLP_VENV:-$ROOT/.venv}"
BIN="$VENV/bin/yt-dlp"
PYTHON="${PYTHON:-python3}"

installed_version() {
    [ -x "$BIN" ] && "$BIN" --ignore-config --version 2>/dev/null || true
}

# yt-dlp prints versions without leading zeros, as PyPI does (2026.10.26), so a plain compare works.
if [ "$(installed_version)" != "$YTDLP_VERSION" ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating venv in $VENV" >&2
        "$PYTHON" -m venv "$VENV" >&2
    fi
    echo "installing yt-dlp==$YTDLP_VERSION" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "yt-dlp==$YTDLP_VERSION" >&2
    got="$(installed_version)"
    if [ "$got" != "$YTDLP_VERSION" ]; then
        echo "error: expected yt-dlp $YTDLP_VERSION in $VENV, found '${got:-nothing}'" >&2
        exit 1
    fi
fi

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "warning: ffmpeg not found on PATH; conversions will fail (apt-get install -y ffmpeg)" >&2
fi

echo "$BIN"
