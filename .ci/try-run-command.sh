#!/usr/bin/env bash
# CI: the README's run command as a newcomer uses it, from a working folder that is not the
# repository: `scripts/run.sh` must set everything up, build, and serve the web page (built
# into the binary), /docs, a tool preflight with nothing missing, and an mp3 conversion of a
# local fixture. Then SIGINT must stop it cleanly. Prints the start-up figures it saw.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/nmd-run-command.XXXXXX")"
server_pid=""
media_pid=""
cleanup() {
    status=$?
    for pid in "$server_pid" "$media_pid"; do
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
    done
    [ -n "$media_pid" ] && wait "$media_pid" 2>/dev/null || true
    if [ $status -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "--- server log" >&2
        tail -n 60 "$work/server.log" >&2
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
fail() { echo "run command: FAILED: $*" >&2; exit 1; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
mkdir -p "$work/media"

# The README command, started from another folder; state and music in the temp folder.
cd "$work"
HOST=127.0.0.1 PORT="$port" DATA_DIRECTORY="$work/data" OUTPUT_DIRECTORY="$work/music" \
    ALLOW_PRIVATE_URLS=true RUST_LOG=info \
    "$ROOT/scripts/run.sh" >"$work/server.log" 2>&1 &
server_pid=$!

# On a fresh machine the first run builds the release binary: allow it up to an hour. In CI,
# scripts/test.sh has built it already (.ci/run checks that nothing is left to compile).
for _ in $(seq 1 7200); do
    curl -fsS -o /dev/null "$base/health" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || fail "scripts/run.sh exited before serving"
    sleep 0.5
done
curl -fsS -o /dev/null "$base/health" || fail "no /health at $base"
for _ in $(seq 1 120); do
    curl -fsS "$base/health" | grep -q '"preflight":"done"' && break
    sleep 0.5
done
health="$(curl -fsS "$base/health")"
echo "run command: /health: $health"
for tool in ytdlp ytdlp_ejs js_runtime ffmpeg ffprobe; do
    echo "$health" | python3 -c "import json,sys; h=json.load(sys.stdin); sys.exit(h['tools']['$tool']['status']!='ok')" ||
        fail "/health reports $tool as not ok"
done

page_type="$(curl -fsS -o /dev/null -w '%{content_type}' -H 'Accept: text/html' "$base/")"
[[ "$page_type" == text/html* ]] || fail "/ to a browser answered $page_type"
curl -fsS -H 'Accept: text/html' "$base/" | grep -q '<div id="root">' || fail "/ is not the web page"
curl -fsS -o /dev/null "$base/docs" || fail "/docs"

# A user downloads a local fixture converted to mp3 (made with the tools the command installed).
"$ROOT/.venv/bin/ffmpeg" -hide_banner -loglevel error -f lavfi -i "sine=frequency=440:duration=3" \
    -c:a pcm_s16le "$work/media/fixture.wav" || fail "could not make the fixture"
(cd "$work/media" && exec python3 -m http.server --bind 127.0.0.1 0) >"$work/media.log" 2>&1 &
media_pid=$!
for _ in $(seq 1 50); do grep -q "Serving HTTP" "$work/media.log" && break; sleep 0.1; done
media_port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/media.log" | head -n 1)"
[ -n "$media_port" ] || fail "the fixture server did not start"
curl -fsS -o /dev/null -H 'content-type: application/json' \
    -d '{"username":"newcomer","email":"newcomer@example.com","password":"a long enough password"}' \
    "$base/auth/register" || fail "register"
token="$(curl -fsS -d 'username=newcomer&password=a long enough password' "$base/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
id="$(curl -fsS -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"url\":\"http://127.0.0.1:$media_port/fixture.wav\",\"format\":\"mp3\"}" \
    "$base/api/download" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
status=""
for _ in $(seq 1 120); do
    status="$(curl -fsS -H "Authorization: Bearer $token" "$base/api/downloads/$id" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d.get("file_path") or "")')"
    case "$status" in completed*|failed*|cancelled*) break ;; esac
    sleep 0.5
done
[[ "$status" == completed* ]] || fail "the download ended as: $status"
file="$(find "$work/music" -name '*.mp3' | head -n 1)"
[ -n "$file" ] || fail "no mp3 in the output folder"
codec="$("$ROOT/.venv/bin/ffprobe" -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 "$file")"
[ "$codec" = mp3 ] || fail "$file is $codec, not mp3"
echo "run command: downloaded and converted: ${file#"$work/music/"} ($codec)"

kill -INT "$server_pid"
wait "$server_pid" || fail "the server did not exit cleanly on SIGINT"
server_pid=""
echo "run command: OK"
