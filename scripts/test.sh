#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit tests, API tests on SQLite and PostgreSQL, plugin
# sandbox tests, executor tests with the real yt-dlp and ffmpeg), the web page's type check,
# unit tests and build, and the browser test of the web page against the real server binary.
# Installs what it needs first (scripts/setup.sh), and Chromium for the browser test when it
# runs as root on Debian; elsewhere without Chromium it skips that one test and says so.
#
# PostgreSQL tests use TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
# they are skipped when none answers, unless CI=true, where that is a failure.
# Everything is built once, in the release profile: the tests, the browser test, `scripts/run.sh`
# and CI's API contract run all use the same binary, target/release/nas-music-downloader (the
# one users run), and a later `scripts/run.sh` has nothing left to compile.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/setup.sh
export TOOLS_DIRECTORY="${TOOLS_DIRECTORY:-$ROOT/.venv}"

echo "== web: type check, unit tests, build" >&2
(cd web && npm run typecheck && npm test && npm run build)

# Two runs, because Cargo unifies features across the packages it builds together: the
# plugins' SDK has a `guest` feature the server does not use, and building the server beside
# the plugins would give it a dependency set that `scripts/run.sh` then compiles again. The
# server's own run (its tests, API and executor tests) builds exactly the binary run.sh builds.
# The benchmarks are not tests: CI's lint stage compiles them.
echo "== rust: all workspace tests (release profile)" >&2
if cargo nextest --version >/dev/null 2>&1; then
    runner=(cargo nextest run --no-fail-fast)
else
    runner=(cargo test --no-fail-fast)
fi
rust_status=0
"${runner[@]}" --release -p nas-music-downloader || rust_status=$?
"${runner[@]}" --release --workspace --exclude nas-music-downloader --exclude nas-music-bench ||
    rust_status=$?
[ "$rust_status" = 0 ] || { echo "error: Rust tests failed" >&2; exit "$rust_status"; }

echo "== web: browser test against the real server" >&2
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium for the browser test (Debian's package)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$chromium" ]; then
    if [ "${CI:-}" = true ]; then
        echo "error: no Chromium at $chromium for the browser test" >&2
        exit 1
    fi
    echo "SKIPPED the browser test: no Chromium at $chromium (install Debian's chromium package, or set CHROMIUM_PATH)" >&2
    exit 0
fi
# The server's tests above built this binary; this build only confirms it is current.
cargo build --release -p nas-music-downloader
(cd web && SKIP_BUILD=1 SERVER_BINARY="$ROOT/target/release/nas-music-downloader" npm run e2e:real)
