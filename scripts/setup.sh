#!/usr/bin/env bash
# Everything the README's two commands need on a fresh machine, installed idempotently (a
# second run changes nothing and takes a second):
#   1. the wasm32-wasip2 Rust target the plugins are built for (rust-toolchain.toml names it,
#      but rustup does not add targets to a toolchain that is already installed);
#   2. the download tool environment in TOOLS_DIRECTORY (default .venv): pinned yt-dlp,
#      yt-dlp-ejs, Deno and ffmpeg + ffprobe (scripts/setup-tools.sh);
#   3. the web page's npm packages (web/node_modules), when npm is available.
# Both scripts/run.sh and scripts/test.sh call it first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { echo "setup: $*" >&2; }

if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
        say "adding the Rust target wasm32-wasip2 (the extractor plugins are built for it)"
        rustup target add wasm32-wasip2 >&2
    fi
elif ! rustc --print target-list 2>/dev/null | grep -qx wasm32-wasip2; then
    say "error: rustup is not installed and rustc has no wasm32-wasip2 target; install Rust with rustup (https://rustup.rs)"
    exit 1
fi

scripts/setup-tools.sh

if command -v npm >/dev/null 2>&1; then
    node_ok="$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>22||(a===22&&b>=12)||(a===20&&b>=19)||a===21?"yes":"no")' 2>/dev/null || echo no)"
    if [ "$node_ok" != yes ]; then
        say "warning: Node $(node --version 2>/dev/null) is too old for the web page's build (Vite needs 20.19+ or 22.12+); the server will serve the API only"
    elif [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        say "installing the web page's packages (npm ci in web/)"
        (cd web && npm ci --no-audit --no-fund --loglevel=error) >&2
    fi
else
    say "warning: npm not found; the binary will serve the API without the web page (install Node 20 + npm for it)"
fi
