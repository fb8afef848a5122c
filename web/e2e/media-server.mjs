// A tiny local media server for the browser test against the real server (see
// tests/support/media_server.rs for the Rust tests' twin). Only ever binds 127.0.0.1.
//
// Routes (GET and HEAD):
//   /e2e-test-tone.mp3         a 3 s 440 Hz mp3 tagged "E2E Test Tone" / "E2E Artist" / "E2E Album",
//                              with Content-Length, sent over ~4 s so the page can show progress
//   /slow/endless-tone.mp3     the same frames forever, 4 KB every 50 ms, no Content-Length
//                              (stays "downloading" until cancelled)
//   /album/feed.xml            an RSS feed, "E2E Album" by "E2E Band", of three items that
//                              enclose /album/track-1.mp3 … track-3.mp3 (each a 2 s tone, its own
//                              pitch and title, with an embedded square cover picture); the
//                              generic plugin expands it into one album track per item
//   anything else              404
//
// The mp3 is made with ffmpeg (FFMPEG_PATH, default `ffmpeg`) into a temp folder at start.
//
// Run by hand: `node e2e/media-server.mjs [port]`; it prints `media server: http://127.0.0.1:<port>`
// (port 0 or none = any free port) and, with URL_FILE set, also writes the base URL to that file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const TITLE = "E2E Test Tone";
export const ARTIST = "E2E Artist";
export const ALBUM = "E2E Album";

/** Generates the test tone with ffmpeg and returns its bytes. */
export function makeTone(ffmpeg = process.env.FFMPEG_PATH ?? "ffmpeg") {
  const dir = mkdtempSync(join(tmpdir(), "nmd-media-"));
  try {
    const out = join(dir, "tone.mp3");
    execFileSync(
      ffmpeg,
      [
        "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-ac", "2",
        "-c:a", "libmp3lame", "-b:a", "64k",
        "-metadata", `title=${TITLE}`, "-metadata", `artist=${ARTIST}`, "-metadata", `album=${ALBUM}`,
        "-id3v2_version", "3",
        out,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const FEED_TITLE = "E2E Album";
export const FEED_AUTHOR = "E2E Band";
export const FEED_TRACKS = ["First Light", "Second Wind", "Third Time"];

/** The album's tracks: short tones with a cover picture embedded, made with ffmpeg. */
export function makeAlbumTracks(ffmpeg = process.env.FFMPEG_PATH ?? "ffmpeg") {
  const dir = mkdtempSync(join(tmpdir(), "nmd-album-"));
  try {
    const cover = join(dir, "cover.jpg");
    const run = (args) => execFileSync(ffmpeg, ["-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "inherit"] });
    run(["-f", "lavfi", "-i", "color=c=0x3b5bdb:s=96x96", "-frames:v", "1", cover]);
    return FEED_TRACKS.map((title, i) => {
      const out = join(dir, `t${i}.mp3`);
      run([
        "-f", "lavfi", "-i", `sine=frequency=${330 + 110 * i}:duration=2`, "-i", cover,
        "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "copy",
        "-metadata", `title=${title}`, "-metadata", `artist=${FEED_AUTHOR}`, "-metadata", `album=${FEED_TITLE}`,
        "-metadata:s:v", "comment=Cover (front)", "-disposition:v", "attached_pic",
        "-id3v2_version", "3",
        out,
      ]);
      return readFileSync(out);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A podcast-style RSS feed whose items enclose the album's tracks on `base`. */
function albumFeed(base) {
  const items = FEED_TRACKS.map(
    (title, i) =>
      `<item><title>${title}</title><guid isPermaLink="false">e2e-album-${i + 1}</guid>` +
      `<enclosure url="${base}/album/track-${i + 1}.mp3" type="audio/mpeg" length="1000"/></item>`,
  ).join("\n");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">` +
    `<channel><title>${FEED_TITLE}</title><itunes:author>${FEED_AUTHOR}</itunes:author>` +
    `<link>${base}/</link><description>e2e album</description>\n${items}</channel></rss>\n`
  );
}

/** Starts the server; resolves to `{ url, close }`. */
export async function startMediaServer({ port = 0, tone = makeTone(), album = makeAlbumTracks(), paceMs = 4000 } = {}) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/e2e-test-tone.mp3") {
      res.writeHead(200, { "Content-Type": "audio/mpeg", "Content-Length": tone.length });
      if (head) return void res.end();
      // Ten slices over `paceMs`, so a live progress bar has something to show.
      const slices = 10;
      const size = Math.ceil(tone.length / slices);
      let i = 0;
      const send = () => {
        if (res.destroyed) return;
        const chunk = tone.subarray(i * size, (i + 1) * size);
        i += 1;
        if (i >= slices) return void res.end(chunk);
        res.write(chunk);
        setTimeout(send, paceMs / slices);
      };
      send();
      return;
    }
    if (path === "/slow/endless-tone.mp3") {
      res.writeHead(200, { "Content-Type": "audio/mpeg", "Cache-Control": "no-store" });
      if (head) return void res.end();
      let offset = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return void clearInterval(timer);
        const end = Math.min(offset + 4096, tone.length);
        res.write(tone.subarray(offset, end));
        offset = end === tone.length ? 0 : end;
      }, 50);
      res.on("close", () => clearInterval(timer));
      return;
    }
    if (path === "/album/feed.xml") {
      const body = albumFeed(`http://127.0.0.1:${server.address().port}`);
      res.writeHead(200, { "Content-Type": "application/rss+xml; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
      return void res.end(head ? undefined : body);
    }
    const track = /^\/album\/track-(\d)\.mp3$/.exec(path);
    if (track && album[Number(track[1]) - 1]) {
      const bytes = album[Number(track[1]) - 1];
      res.writeHead(200, { "Content-Type": "audio/mpeg", "Content-Length": bytes.length });
      return void res.end(head ? undefined : bytes);
    }
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", ok);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const media = await startMediaServer({ port: Number(process.argv[2] ?? 0) });
  if (process.env.URL_FILE) writeFileSync(process.env.URL_FILE, media.url + "\n");
  console.log(`media server: ${media.url}`);
  const stop = () => media.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
