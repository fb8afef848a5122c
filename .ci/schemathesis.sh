#!/usr/bin/env bash
# CI: schemathesis over the live server's OpenAPI document, as a normal user and then as an
# admin: no 5xx, only documented status codes, and every response matching its schema
# (issue 9). Logout is excluded (it would revoke the token mid-run). Any finding fails CI.
#   .ci/schemathesis.sh [SERVER_BINARY]   (default: target/release/nas-music-downloader)
# Installs schemathesis (pinned) into a CI-only virtualenv; nothing the README needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$ROOT/target/release/nas-music-downloader}"
examples="${SCHEMATHESIS_EXAMPLES:-40}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nmd-schemathesis.XXXXXX")"
server_pid=""
cleanup() {
    status=$?
    [ -n "$server_pid" ] && kill -INT "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    if [ $status -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "--- server log (last lines)" >&2
        tail -n 40 "$work/server.log" >&2
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT

venv="${SCHEMATHESIS_VENV:-$ROOT/target/schemathesis-venv}"
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# Public-only address policy (the default): generated URLs never make the server fetch
# anything on this machine. yt-dlp updates come from an empty local folder of wheels and the
# daily check is off: against the real PyPI, an admin's generated
# `POST /api/admin/tools/ytdlp/update` really installed and smoke-tested a yt-dlp, past
# schemathesis' default 10 s request timeout on a busy machine. Even a refused install
# creates a virtualenv and starts pip (~7 s on a busy 2-core box), so requests may take 60 s.
# The update path itself is tested in tests/api/tools.rs against a local index.
mkdir -p "$work/no-wheels"
HOST=127.0.0.1 PORT="$port" DATA_DIRECTORY="$work/data" OUTPUT_DIRECTORY="$work/music" \
    PLUGIN_DIRECTORY="$work/plugins" TOOLS_DIRECTORY="$ROOT/.venv" RUST_LOG=warn \
    YTDLP_WHEEL_DIRECTORY="$work/no-wheels" YTDLP_AUTO_UPDATE=off \
    "$binary" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$base/health" 2>/dev/null && break
    sleep 0.1
done

token() { # username → bearer token (registers the account first; the first one is admin)
    curl -fsS -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"email\":\"$1@example.org\",\"password\":\"correct horse battery\"}" \
        "$base/auth/register"
    curl -fsS -d "username=$1&password=correct+horse+battery" "$base/auth/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
admin_token="$(token admin)"
user_token="$(token listener)"

run_as() { # role token
    echo "== schemathesis as $1 ($examples examples per operation)"
    "$venv/bin/st" run "$base/openapi.json" \
        --checks not_a_server_error,status_code_conformance,response_schema_conformance \
        --max-examples "$examples" \
        --request-timeout 60 \
        --exclude-path /auth/logout \
        --header "Authorization: Bearer $2" \
        --no-color
}
run_as user "$user_token"
run_as admin "$admin_token"
