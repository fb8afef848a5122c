#!/usr/bin/env bash
# `npm run e2e:real`: the browser test against the REAL release binary.
#
# Builds the page (unless SKIP_BUILD=1), starts the local media server (e2e/media-server.mjs)
# and the server with a fresh temporary data and output folder, checks that the committed
# openapi.json / src/api/schema.d.ts match what the server serves (`check:api`), runs the
# browser test (`e2e`), and stops everything on exit. Non-zero on any failure.
#
#   SERVER_BINARY   the server (default ../target/release/nas-music-downloader, from web/)
#   TOOLS_DIRECTORY the pinned tools (scripts/setup-tools.sh; default ../.venv): the server
#                   finds yt-dlp, deno, ffmpeg, ffprobe in its bin/, the media server ffmpeg
#   SCREENSHOT_DIR  default web/test-results (CI artifacts; the server log is saved there too)
#   SKIP_BUILD=1    use the existing dist/
#   PLUGIN_TO_DISABLE  default soundcloud
set -euo pipefail

web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$web"

binary="${SERVER_BINARY:-../target/release/nas-music-downloader}"
if [[ ! -x "$binary" ]]; then
  echo "e2e:real: no server binary at $binary (build it: cargo build --release -p nas-music-downloader, or set SERVER_BINARY)" >&2
  exit 2
fi
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
TOOLS_DIRECTORY="$(cd "${TOOLS_DIRECTORY:-../.venv}" && pwd)"
export FFMPEG_PATH="${FFMPEG_PATH:-$TOOLS_DIRECTORY/bin/ffmpeg}"
results="${SCREENSHOT_DIR:-$web/test-results}"
mkdir -p "$results"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/nmd-e2e-real.XXXXXX")"
server_pid=""
media_pid=""
cleanup() {
  status=$?
  trap - EXIT INT TERM
  for pid in "$server_pid" "$media_pid"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  [[ -f "$tmp/server.log" ]] && cp "$tmp/server.log" "$results/server.log"
  [[ -f "$tmp/media.log" ]] && cp "$tmp/media.log" "$results/media-server.log"
  rm -rf "$tmp"
  if [[ $status -ne 0 ]]; then
    echo "e2e:real: FAILED (exit $status); server log: $results/server.log" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${SKIP_BUILD:-}" != "1" ]]; then
  npm run build
fi
[[ -f dist/index.html ]] || { echo "e2e:real: dist/index.html is missing (npm run build)" >&2; exit 2; }

# The local media server.
URL_FILE="$tmp/media-url" node e2e/media-server.mjs 0 >"$tmp/media.log" 2>&1 &
media_pid=$!
for _ in $(seq 1 100); do [[ -s "$tmp/media-url" ]] && break; kill -0 "$media_pid" 2>/dev/null || break; sleep 0.1; done
[[ -s "$tmp/media-url" ]] || { echo "e2e:real: the media server did not start:" >&2; cat "$tmp/media.log" >&2; exit 1; }
media="$(cat "$tmp/media-url")"

# The server, on a free port, with nothing from a previous run, serving the page built into
# the binary (no WEB_DIRECTORY), started from another folder than the repository.
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data" "$tmp/output"
env -u DATABASE_URL -u PLUGIN_DIRECTORY \
  HOST=127.0.0.1 PORT="$port" \
  DATA_DIRECTORY="$tmp/data" OUTPUT_DIRECTORY="$tmp/output" \
  ALLOW_PRIVATE_URLS=true TOOLS_DIRECTORY="$TOOLS_DIRECTORY" \
  SECRET_KEY="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')" \
  bash -c 'cd "$1" && shift && exec "$@"' _ "$tmp" "$binary" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$base/health" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "e2e:real: the server exited:" >&2; tail -n 40 "$tmp/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "$base/health" || { echo "e2e:real: the server did not answer /health at $base" >&2; tail -n 40 "$tmp/server.log" >&2; exit 1; }
echo "e2e:real: server $base (pid $server_pid), media $media"

# 1. The server serves the page: the page to browsers, JSON to other clients, the manifest.
expect_type() { # path accept expected-content-type
  local got
  got="$(curl -fsS -o /dev/null -w '%{content_type}' -H "Accept: $2" "$base$1")" || { echo "e2e:real: GET $1 failed" >&2; exit 1; }
  [[ "$got" == "$3"* ]] || { echo "e2e:real: GET $1 (Accept: $2) answered $got, expected $3" >&2; exit 1; }
}
expect_type / "text/html,application/xhtml+xml" text/html
expect_type / application/json application/json
expect_type /share?url=https%3A%2F%2Fexample.org%2Fa.mp3 text/html text/html
expect_type /admin/audit text/html text/html
expect_type /manifest.webmanifest "*/*" application/manifest+json
echo "e2e:real: the server serves the page (/, SPA paths, manifest)"

# 2. The committed API description matches what this server serves.
SPEC_URL="$base/openapi.json" npm run --silent check:api

# 3. The browser test (with axe-core on every screen, and the album view and player).
BASE_URL="$base" \
  MEDIA_URL="$media/e2e-test-tone.mp3" \
  SLOW_MEDIA_URL="$media/slow/endless-tone.mp3" \
  ALBUM_URL="$media/album/feed.xml" \
  PLUGIN_TO_DISABLE="${PLUGIN_TO_DISABLE:-soundcloud}" \
  SCREENSHOT_DIR="$results" \
  npm run --silent e2e
