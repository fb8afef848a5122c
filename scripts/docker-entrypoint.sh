#!/bin/sh
# The container's entrypoint (run by tini). Started as root, it moves the `nas` user and group
# to PUID/PGID (the NAS convention: the ids that own your music share), gives that user the
# data folder, makes sure it can write to the output folder, and then runs the server as that
# user with setpriv. Started as any other user (`docker run --user`, `user:` in compose), it
# runs the server as is.
#
# The music share is never chowned recursively: only a top folder that Docker itself created
# (owned by root) is handed to PUID:PGID. Files already there keep their owners.
set -eu

say() { echo "docker-entrypoint: $*" >&2; }

# `docker run IMAGE healthcheck` and `docker run IMAGE --help` mean the server's subcommands.
if [ "$#" -eq 0 ]; then
    set -- nas-music-downloader
elif [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then
    set -- nas-music-downloader "$@"
fi

data="${DATA_DIRECTORY:-/data}"
output="${OUTPUT_DIRECTORY:-/downloads}"

# yt-dlp and Deno keep caches under HOME; the data volume is the one folder that persists.
export HOME="$data"

if [ "$(id -u)" != 0 ]; then
    exec "$@"
fi

puid="${PUID:-1000}"
pgid="${PGID:-1000}"
case "$puid$pgid" in
    '' | *[!0-9]*)
        say "error: PUID and PGID must be numeric ids (got PUID='$puid' PGID='$pgid')"
        exit 1
        ;;
esac

if [ "$(id -g nas)" != "$pgid" ]; then
    groupmod --non-unique --gid "$pgid" nas
fi
if [ "$(id -u nas)" != "$puid" ]; then
    usermod --non-unique --uid "$puid" --gid "$pgid" nas
fi

mkdir -p "$data" "$output"
# The data folder is the server's own: database, key, plugin cache. Only entries that are not
# already PUID:PGID are touched, so a restart with the same ids costs one `find`.
find "$data" \( ! -user "$puid" -o ! -group "$pgid" \) -exec chown -h "$puid:$pgid" {} +

as_user() { setpriv --reuid="$puid" --regid="$pgid" --clear-groups "$@"; }

# A bind-mounted host folder that did not exist is created by Docker, owned by root.
if [ "$puid" != 0 ] && [ "$(stat -c %u "$output")" = 0 ] && ! as_user test -w "$output"; then
    say "giving $output (created by Docker, owned by root) to $puid:$pgid"
    chown "$puid:$pgid" "$output"
fi
if ! as_user test -w "$output"; then
    say "warning: $output is not writable by PUID=$puid PGID=$pgid (owner $(stat -c %u:%g "$output")); downloads will fail until PUID/PGID match the share's owner"
fi

exec setpriv --reuid="$puid" --regid="$pgid" --clear-groups --inh-caps=-all "$@"
