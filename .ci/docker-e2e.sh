#!/usr/bin/env bash
# CI stage "docker": builds the image and runs the compose stack end to end, as root on a clean
# machine with no image registry in reach.
#
#   1. installs docker.io, docker-compose and debootstrap if missing; starts dockerd by hand
#      (no systemd) unless an engine already answers;
#   2. makes the base images locally (.ci/docker-base-images.sh) and builds the server image
#      once, with BuildKit;
#   3. brings docker-compose.yml up (project nas-e2e) with PUID/PGID 1234:1234, a temporary
#      DOWNLOADS_HOST_PATH that Docker creates, the API on 127.0.0.1 only, private URLs
#      allowed, and waits for both healthchecks; checks every tool passed the server's
#      preflight and the page built into the binary is served;
#   4. registers, logs in, asks for an mp3 of a WAV fixture served from this machine on the
#      compose network's gateway address, waits for it to complete, and checks the file is in
#      the mounted folder, is an mp3, and belongs to PUID:PGID; the server runs as PUID:PGID
#      and stops promptly on SIGTERM;
#   5. `down -v`, and stops what it started, also on failure.
#
# Logs (build output, dockerd, compose) go to target/docker-e2e/. Exits non-zero on any failure.
# Env: E2E_PUID/E2E_PGID (1234), DOCKER_E2E_KEEP_IMAGES=1 reuses base images already present
# (local iteration only; CI always makes them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROJECT=nas-e2e
PUID="${E2E_PUID:-1234}"
PGID="${E2E_PGID:-1234}"
LOGS="$ROOT/target/docker-e2e"
mkdir -p "$LOGS"
WORK="$(mktemp -d /tmp/nas-docker-e2e.XXXXXX)"

# ---- steps and timings ------------------------------------------------------------------------
STEP=""
STEP_START=0
T0=$(date +%s)
TIMINGS=()
step() {
    end_step
    STEP="$*"
    STEP_START=$(date +%s)
    echo "== docker: $STEP" >&2
}
end_step() {
    if [ -n "$STEP" ]; then
        TIMINGS+=("$(printf '%5ss  %s' $(($(date +%s) - STEP_START)) "$STEP")")
        STEP=""
    fi
}
fail() {
    echo "docker-e2e: FAILED: $*" >&2
    exit 1
}

# ---- cleanup (always) -------------------------------------------------------------------------
DOCKER=docker
COMPOSE=()
DOCKERD_PID=""
FIXTURE_PID=""
STACK_UP=0
cleanup() {
    local rc=$?
    set +e
    end_step
    if [ "$rc" != 0 ] && [ "$STACK_UP" = 1 ]; then
        echo "== docker: logs of the stack (last 80 lines each)" >&2
        "${COMPOSE[@]}" logs --no-color --tail=80 >&2 2>&1
    fi
    if [ "$STACK_UP" = 1 ]; then
        echo "== docker: compose down -v" >&2
        "${COMPOSE[@]}" down -v --remove-orphans >"$LOGS/compose-down.log" 2>&1 ||
            echo "docker-e2e: compose down failed (see $LOGS/compose-down.log)" >&2
    fi
    [ -n "$FIXTURE_PID" ] && kill "$FIXTURE_PID" 2>/dev/null && wait "$FIXTURE_PID" 2>/dev/null
    if [ -n "$DOCKERD_PID" ]; then
        echo "== docker: stopping dockerd" >&2
        kill -TERM "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
        kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID"
    fi
    rm -rf "$WORK"
    echo "== docker: timings" >&2
    printf '%s\n' "${TIMINGS[@]}" >&2
    printf '%5ss  total\n' $(($(date +%s) - T0)) >&2
    if [ "$rc" = 0 ]; then echo "== docker: passed" >&2; else echo "== docker: FAILED (exit $rc)" >&2; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

# ---- 1. host packages and the engine ------------------------------------------------------------
step "host packages"
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
    need+=(docker-compose)
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" \
        >"$LOGS/apt.log" 2>&1 || { tail -n 30 "$LOGS/apt.log" >&2; fail "apt-get install ${need[*]}"; }
fi
# Debian's client matches Debian's engine (20.10) and builds with BuildKit without buildx; a
# newer client elsewhere on PATH (e.g. /usr/local/bin/docker) may lack buildx.
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
export DOCKER

step "docker engine"
if "$DOCKER" info >/dev/null 2>&1; then
    echo "using the engine that already answers" >&2
else
    # No systemd here: dockerd in the background, with its own containerd. Default networking
    # (bridge + iptables NAT) is what lets the build stages reach the package registries.
    dockerd --host unix:///var/run/docker.sock >"$LOGS/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    for _ in $(seq 1 60); do
        "$DOCKER" info >/dev/null 2>&1 && break
        kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -n 30 "$LOGS/dockerd.log" >&2; fail "dockerd exited"; }
        sleep 1
    done
    "$DOCKER" info >/dev/null 2>&1 || { tail -n 30 "$LOGS/dockerd.log" >&2; fail "dockerd did not answer in 60 s"; }
fi
"$DOCKER" version --format 'client {{.Client.Version}}, engine {{.Server.Version}}' >&2
if "$DOCKER" compose version >/dev/null 2>&1; then
    COMPOSE=("$DOCKER" compose)
else
    COMPOSE=(docker-compose)
fi
compose_version="$("${COMPOSE[@]}" version 2>/dev/null || true)"
echo "${compose_version%%$'\n'*}" >&2

# ---- 2. images ----------------------------------------------------------------------------------
IMAGE="$(sed -n 's/^ *image: *\(nas-music-downloader:[^ ]*\) *$/\1/p' docker-compose.yml | head -n 1)"
[ -n "$IMAGE" ] || fail "docker-compose.yml names no nas-music-downloader image"

step "base images (debootstrap + postgres stand-in)"
if [ "${DOCKER_E2E_KEEP_IMAGES:-0}" = 1 ] && "$DOCKER" image inspect debian:bookworm-slim postgres:17 >/dev/null 2>&1; then
    echo "DOCKER_E2E_KEEP_IMAGES=1: reusing the base images already present" >&2
else
    .ci/docker-base-images.sh
fi

step "server image ($IMAGE)"
# CPU time of the build steps (cgroup v1 with the cgroupfs driver, as here), to tell a slow
# machine from a busy one in the log.
cpu_used() { cat /sys/fs/cgroup/cpuacct/docker/buildkit/cpuacct.usage 2>/dev/null || echo 0; }
cpu_before="$(cpu_used)"
if ! DOCKER_BUILDKIT=1 "$DOCKER" build --progress=plain -t "$IMAGE" . >"$LOGS/build.log" 2>&1; then
    tail -n 60 "$LOGS/build.log" >&2
    fail "docker build (full log: $LOGS/build.log)"
fi
"$DOCKER" image inspect -f 'image {{.Id}}, {{.Size}} bytes' "$IMAGE" >&2
cpu_after="$(cpu_used)"
if [ "$cpu_after" != 0 ]; then
    echo "build steps used $(((cpu_after - cpu_before) / 1000000000)) s of CPU on $(nproc) cores" >&2
fi

# ---- 3. the stack ---------------------------------------------------------------------------------
step "compose up"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
API_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT"
DOWNLOADS="$WORK/downloads" # left for Docker to create, owned by root, as on a NAS
: >"$WORK/empty.env"       # a developer's own .env must not leak into the run
POSTGRES_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
export POSTGRES_PASSWORD DOWNLOADS_HOST_PATH="$DOWNLOADS" PUID PGID HTTP_PORT="127.0.0.1:$API_PORT"
export ALLOW_PRIVATE_URLS=true
COMPOSE+=(--env-file "$WORK/empty.env" -p "$PROJECT" -f docker-compose.yml -f .ci/docker-compose.e2e.yml)
STACK_UP=1
"${COMPOSE[@]}" up -d --no-build >"$LOGS/compose-up.log" 2>&1 ||
    { cat "$LOGS/compose-up.log" >&2; fail "compose up"; }
SERVER="$("${COMPOSE[@]}" ps -q server)"
[ -n "$SERVER" ] || fail "no server container"

step "wait for healthy"
health=""
for _ in $(seq 1 120); do
    health="$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$SERVER" 2>/dev/null || echo gone)"
    [ "$health" = healthy ] && break
    [ "$health" = unhealthy ] || [ "$health" = gone ] && break
    sleep 1
done
[ "$health" = healthy ] || fail "server is '$health' (healthcheck: $("$DOCKER" inspect -f '{{json .State.Health}}' "$SERVER" 2>/dev/null | tail -c 600))"

step "tools preflight, web page, API docs"
preflight=""
for _ in $(seq 1 60); do
    curl -fsS "$API/health" >"$WORK/health.json" || fail "GET /health on the published port"
    preflight="$(json 'd["preflight"]' <"$WORK/health.json")"
    [ "$preflight" = "done" ] && break
    sleep 1
done
echo "health: $(cat "$WORK/health.json")" >&2
[ "$preflight" = "done" ] || fail "the tool preflight is still '$preflight' after 60 s"
missing="$(json '" ".join(k for k, v in d["tools"].items() if v["status"] != "ok")' <"$WORK/health.json")"
[ -z "$missing" ] || fail "tools not ok in the image: $missing"
[ "$(json 'd.get("output_writable")' <"$WORK/health.json")" = True ] || fail "the output folder is not writable"
curl -fsS -H 'Accept: text/html' "$API/" | grep -q '<div id="root">' ||
    fail "GET / does not serve the web page built into the binary"
curl -fsS -o /dev/null "$API/docs" || fail "GET /docs"

# ---- 4. a download through the API -----------------------------------------------------------------
step "fixture server on the compose network's gateway"
GATEWAY="$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$SERVER")"
[ -n "$GATEWAY" ] || fail "no gateway address on the server's network"
mkdir -p "$WORK/fixture"
python3 - "$WORK/fixture/docker-e2e-tone.wav" <<'EOF'
import math, struct, sys, wave
rate = 44100
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(rate * 3)))
EOF
FIXTURE_PORT="$(free_port)"
# Bound to the bridge's own address: reachable from the containers, not from the outside.
python3 -m http.server --bind "$GATEWAY" --directory "$WORK/fixture" "$FIXTURE_PORT" >"$LOGS/fixture.log" 2>&1 &
FIXTURE_PID=$!
for _ in $(seq 1 50); do curl -fs -o /dev/null "http://$GATEWAY:$FIXTURE_PORT/docker-e2e-tone.wav" && break; sleep 0.1; done
FIXTURE_URL="http://$GATEWAY:$FIXTURE_PORT/docker-e2e-tone.wav"
echo "fixture: $FIXTURE_URL" >&2

step "register, log in, download as mp3"
code="$(curl -sS -o "$WORK/register.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"username":"e2e","email":"e2e@example.org","password":"docker-e2e-Passw0rd!"}' "$API/auth/register")"
[ "$code" = 201 ] || fail "register answered $code: $(cat "$WORK/register.json")"
curl -fsS -o "$WORK/login.json" --data-urlencode username=e2e --data-urlencode 'password=docker-e2e-Passw0rd!' \
    "$API/auth/login" || fail "login"
TOKEN="$(json 'd["access_token"]' <"$WORK/login.json")"
code="$(curl -sS -o "$WORK/submit.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"url\":\"$FIXTURE_URL\",\"format\":\"mp3\"}" "$API/api/download")"
[ "$code" = 202 ] || fail "POST /api/download answered $code: $(cat "$WORK/submit.json")"
ID="$(json 'd["id"]' <"$WORK/submit.json")"
status=""
for _ in $(seq 1 180); do
    curl -fsS -o "$WORK/download.json" -H "Authorization: Bearer $TOKEN" "$API/api/downloads/$ID" ||
        fail "GET /api/downloads/$ID"
    status="$(json 'd["status"]' <"$WORK/download.json")"
    case "$status" in
        completed) break ;;
        pending | downloading) sleep 1 ;;
        *) fail "download $ID ended '$status': $(cat "$WORK/download.json")" ;;
    esac
done
[ "$status" = completed ] || fail "download $ID still '$status' after 180 s"
FILE_PATH="$(json 'd["file_path"]' <"$WORK/download.json")"
echo "completed: $FILE_PATH" >&2

step "check the file on the host"
FILE="$DOWNLOADS/$FILE_PATH"
[ -f "$FILE" ] || fail "$FILE is not in the mounted folder: $(find "$DOWNLOADS" -ls)"
[ "${FILE##*.}" = mp3 ] || fail "$FILE is not named .mp3"
format="$("$DOCKER" exec "$SERVER" /opt/tools/bin/ffprobe -v error -show_entries format=format_name -of csv=p=0 "/downloads/$FILE_PATH")"
[ "$format" = mp3 ] || fail "ffprobe says '$format', not mp3"
owner="$(stat -c %u:%g "$FILE")"
[ "$owner" = "$PUID:$PGID" ] || fail "$FILE belongs to $owner, not $PUID:$PGID"
dir_owner="$(stat -c %u:%g "$(dirname "$FILE")")"
[ "$dir_owner" = "$PUID:$PGID" ] || fail "$(dirname "$FILE") belongs to $dir_owner, not $PUID:$PGID"
server_ids="$("$DOCKER" top "$SERVER" -eo pid,uid,gid,comm | awk '$4 ~ /^nas-music-down/ { print $2 ":" $3 }' | sort -u)"
[ "$server_ids" = "$PUID:$PGID" ] || fail "the server runs as '$server_ids', not $PUID:$PGID"
echo "ok: $FILE_PATH, mp3, $(stat -c %s "$FILE") bytes, owner $owner; server runs as $server_ids" >&2

step "stop on SIGTERM"
start=$(date +%s)
"$DOCKER" stop -t 30 "$SERVER" >/dev/null
took=$(($(date +%s) - start))
exit_code="$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$SERVER")"
echo "stopped in ${took}s, exit code $exit_code" >&2
[ "$took" -lt 15 ] || fail "the server took ${took}s to stop: SIGTERM is not reaching it"
[ "$exit_code" = 0 ] || fail "the server exited with $exit_code on SIGTERM"
end_step
