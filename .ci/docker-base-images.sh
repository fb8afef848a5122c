#!/usr/bin/env bash
# CI only: makes the images the Dockerfile and docker-compose.yml start from, locally (no image
# registry is reachable from CI):
#   debian:bookworm-slim   debootstrap --variant=minbase, imported with `docker import`
#   postgres:17            a stand-in built on it from Debian's postgresql (.ci/postgres-standin)
# The names are read from the Dockerfile's FROM lines and the compose file, so they follow them.
#
# The base image trusts what this machine trusts: the host's CAs that Debian does not ship are
# added as local CAs (Debian's ca-certificates picks them up when a stage installs it), and pip
# and Node, which bring their own CA lists, are pointed at the system bundle. Where HTTPS is intercepted by a
# proxy (as on the CI machines) that is what lets the build stages reach the registries.
#
# Usage: .ci/docker-base-images.sh   (root; needs debootstrap and a running Docker engine)
# Env:   DOCKER (default: docker), DEBIAN_MIRROR (default: http://deb.debian.org/debian)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER="${DOCKER:-docker}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

say() { echo "docker-base-images: $*" >&2; }

base="$(awk 'toupper($1) == "FROM" && $2 ~ /^debian:/ { print $2; exit }' "$ROOT/Dockerfile")"
suite="${base#debian:}"
suite="${suite%%-*}"
other="$(awk 'toupper($1) == "FROM" && $2 !~ /^debian:/ && $2 != "scratch" { print $2 }' "$ROOT/Dockerfile" |
    grep -vxF -f <(awk 'toupper($1) == "FROM" && toupper($3) == "AS" { print $4 }' "$ROOT/Dockerfile") || true)"
if [ -n "$other" ]; then
    say "error: the Dockerfile starts from images this script does not make: $other"
    exit 1
fi
postgres="$(sed -n 's/^ *image: *\(postgres:[^ ]*\) *$/\1/p' "$ROOT/docker-compose.yml" | head -n 1)"
[ -n "$postgres" ] || { say "error: no postgres image in docker-compose.yml"; exit 1; }

work="$(mktemp -d /tmp/nas-docker-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

say "debootstrap --variant=minbase $suite ($MIRROR)"
debootstrap --variant=minbase "$suite" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

rootfs="$work/rootfs"
# The same apt sources as the official image (release, updates, security), and no caches.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${suite} ${suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${suite}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
# Only the certificates Debian's ca-certificates does not ship (the proxy's, say), one per
# file, as update-ca-certificates wants them.
find /usr/share/ca-certificates -name '*.crt' -exec cat {} + >"$work/debian-cas.pem" 2>/dev/null || true
mkdir -p "$rootfs/usr/local/share/ca-certificates"
awk -v known="$work/debian-cas.pem" -v dir="$rootfs/usr/local/share/ca-certificates" '
    /-----BEGIN CERTIFICATE-----/ { body = ""; inside = 1; next }
    /-----END CERTIFICATE-----/ {
        inside = 0
        if (FILENAME == known) shipped[body] = 1
        else if (!(body in shipped)) {
            out = sprintf("%s/ci-host-%03d.crt", dir, ++n)
            printf "-----BEGIN CERTIFICATE-----\n%s-----END CERTIFICATE-----\n", body >out
            close(out)
        }
        next
    }
    inside { body = body $0 "\n" }' "$work/debian-cas.pem" /etc/ssl/certs/ca-certificates.crt
echo "trusting $(find "$rootfs/usr/local/share/ca-certificates" -name 'ci-host-*.crt' | wc -l) CA certificate(s) of this machine beyond Debian's" >&2

say "importing $base"
tar --numeric-owner -C "$rootfs" -c . |
    "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["bash"]' \
        - "$base" >/dev/null

say "building the $postgres stand-in"
"$DOCKER" build --quiet -t "$postgres" "$ROOT/.ci/postgres-standin" >/dev/null
say "ready: $base, $postgres"
