// A tiny local media server for the browser test against the real server (see
// tests/support/media_server.rs for the Rust tests' twin). Only ever binds 127.0.0.1.
//
// Routes (GET and HEAD):
//   /e2e-test-tone.mp3         a 3 s 440 Hz mp3 tagged "E2E Test Tone" / "E2E Artist" / "E2E Album",
//                              with Content-Length, sent over ~4 s so the page can show progress
//   /slow/endless-tone.mp3     the same frames forever, 4 KB every 50 ms, no Content-Length
//                              (stays "downloading" until cancelled)
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

/** Starts the server; resolves to `{ url, close }`. */
export async function startMediaServer({ port = 0, tone = makeTone(), paceMs = 4000 } = {}) {
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
