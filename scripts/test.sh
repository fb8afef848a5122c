#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit tests, API tests on SQLite and PostgreSQL, plugin
# sandbox tests, executor tests with the real yt-dlp and ffmpeg), the web page's unit tests,
# and the browser test of the web page against the real release binary.
#
# PostgreSQL tests use TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# they are skipped when none answers, unless CI=true, where that is a failure.
# Everything is built once (debug profile, with the wasm compiler optimised): the browser
# test runs against the server binary the Rust tests built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export YTDLP_PATH="${YTDLP_PATH:-$(scripts/setup-ytdlp.sh)}"

echo "== web: install, unit tests, build" >&2
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm test && npm run build)

echo "== rust: all workspace tests" >&2
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
else
    cargo test --workspace --no-fail-fast
fi

echo "== web: browser test against the real server" >&2
# The integration tests above built this binary (with the tests' feature set); building it
# again with `cargo build -p` would recompile the dependency tree for a different feature set.
[ -x target/debug/nas-music-downloader ] || cargo build -p nas-music-downloader
(cd web && SERVER_BINARY="$PWD/../target/debug/nas-music-downloader" npm run e2e:real)
