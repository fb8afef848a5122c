#!/usr/bin/env bash
# Runs the server the way a NAS owner would, from a fresh machine: installs what it needs
# (scripts/setup.sh: the wasm target, the pinned tools in .venv, the web page's packages),
# builds the release binary (the web page and the default plugins go inside it), and starts
# it on http://0.0.0.0:8000 with state in ./data and music in ./downloads of this folder.
# Settings come from the environment or a .env file here (see README.md); arguments are
# passed to the binary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/setup.sh
echo "run: building the release binary (the first build takes several minutes)" >&2
cargo build --release -p nas-music-downloader
export TOOLS_DIRECTORY="${TOOLS_DIRECTORY:-$ROOT/.venv}"
exec "$ROOT/target/release/nas-music-downloader" "$@"
