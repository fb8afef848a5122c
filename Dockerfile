# Multi-stage image: build the web page and the server, then run as a non-root user with
# ffmpeg and the pinned yt-dlp. (Written for `docker compose up`; no Docker engine was
# available where this was written, so the image build itself is untested.)
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM rust:1-bookworm AS server
WORKDIR /src
RUN rustup target add wasm32-wasip2
COPY . .
RUN cargo build --release -p nas-music-downloader

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 nas
COPY scripts/setup-ytdlp.sh /app/scripts/setup-ytdlp.sh
RUN YTDLP_VENV=/opt/yt-dlp bash /app/scripts/setup-ytdlp.sh
COPY --from=server /src/target/release/nas-music-downloader /app/nas-music-downloader
COPY --from=web /src/web/dist /app/web
ENV HOST=0.0.0.0 PORT=8000 DATA_DIRECTORY=/data OUTPUT_DIRECTORY=/music \
    WEB_DIRECTORY=/app/web YTDLP_PATH=/opt/yt-dlp/bin/yt-dlp
RUN mkdir -p /data /music && chown nas /data /music
USER nas
WORKDIR /app
EXPOSE 8000
VOLUME ["/data", "/music"]
ENTRYPOINT ["/app/nas-music-downloader"]
