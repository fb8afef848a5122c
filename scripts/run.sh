#!/usr/bin/env bash
# Runs the server the way a NAS owner would: the pinned yt-dlp in .venv/, the web page built
# into web/dist/, then the release binary (default plugins included) on http://0.0.0.0:8000.
# Settings come from the environment or a .env file (see README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

YTDLP="$(scripts/setup-ytdlp.sh)"
export YTDLP_PATH="${YTDLP_PATH:-$YTDLP}"

if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/public -newer web/dist/index.html 2>/dev/null | head -n 1)" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "building the web page (web/dist)" >&2
        (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build) >&2
    else
        echo "warning: npm not found; serving the API without the web page" >&2
    fi
fi

command -v ffmpeg >/dev/null 2>&1 || echo "warning: ffmpeg not found; format conversion will fail (apt-get install -y ffmpeg)" >&2

exec cargo run --release -p nas-music-downloader -- "$@"
