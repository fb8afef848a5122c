// An in-memory stand-in for the Rust server's REST contract, so the page and its browser test
// can run before (or without) the real server. It is a test fixture: no persistence, passwords
// kept in clear, downloads simulated by a timer. Run: `node e2e/mock-server.mjs [port]`.
import { createServer } from "node:http";
import { randomBytes, createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".map": "application/json",
};

const FORMATS = ["best", "mp3", "m4a", "opus", "flac"];
const STATUSES = ["pending", "downloading", "completed", "failed", "cancelled"];

export function createMockState({ tokenTtl = 3600, tickMs = 200 } = {}) {
  const now = () => new Date().toISOString();
  const sha = (s) => createHash("sha256").update(s).digest("hex");
  const state = {
    tokenTtl,
    tickMs,
    users: [],
    tokens: new Map(), // token -> { userId, exp }
    downloads: [],
    audit: [],
    failures: new Map(), // username -> [timestamps]
    streams: new Map(), // userId -> Set<res>
    // The real server's default plugins (names, globs, priorities), as `GET /api/plugins` shows them.
    plugins: [
      ["direct-media", "Direct HTTP download of audio file URLs", ["*/*.mp3", "*/*.flac", "*/*.ogg", "*/*.opus", "*/*.m4a", "*/*.wav"], 50, []],
      ["youtube", "YouTube and YouTube Music, via yt-dlp", ["*.youtube.com/watch*", "*.youtube.com/playlist*", "youtu.be/*"], 10, ["www.youtube.com"]],
      ["soundcloud", "SoundCloud tracks and sets, via yt-dlp", ["*.soundcloud.com/*/*", "on.soundcloud.com/*"], 10, []],
      ["bandcamp", "Bandcamp tracks and albums, via yt-dlp", ["*.bandcamp.com/track/*", "*.bandcamp.com/album/*"], 10, []],
      ["generic", "Any other web page, via yt-dlp's generic extractor", ["http://*", "https://*"], -100, []],
    ].map(([name, description, patterns, priority, hosts]) => ({
      name,
      version: "0.1.0",
      description,
      patterns,
      priority,
      hosts,
      enabled: true,
      source: "built_in",
      sha256: sha(name),
      interface_version: "0.2.0",
      loaded_at: now(),
      last_error: null,
    })),
    nextUser: 1,
    nextDownload: 1,
    /** Signed media links handed out: token → {id, userId}. */
    mediaLinks: new Map(),
    nextAudit: 1,
    now,
    sha,
  };
  return state;
}

/** The plugin SDK's URL patterns: `[scheme://]host[/path]`, `*` any run, `*.host` includes host. */
export function globMatches(pattern, raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  const p = pattern.toLowerCase();
  const [scheme, rest] = p.includes("://") ? p.split("://", 2) : ["*", p];
  if (scheme !== "*" && `${scheme}:` !== u.protocol) return false;
  const slash = rest.indexOf("/");
  const host = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? null : rest.slice(slash);
  const glob = (g) => new RegExp(`^${g.split("*").map((x) => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  const hostOk = host === "*" || glob(host).test(u.hostname) || (host.startsWith("*.") && u.hostname === host.slice(2));
  return hostOk && (path === null || glob(path).test(u.pathname));
}

function json(res, status, body, headers = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { "Content-Type": "application/json" } : {}),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}
const fail = (res, status, detail, headers) => json(res, status, { detail }, headers);

async function readBody(req, limit = 2 * 1024 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error("too large"), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function page(items, url) {
  const pageNo = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 20) || 20));
  const total = items.length;
  return {
    items: items.slice((pageNo - 1) * perPage, pageNo * perPage),
    total,
    page: pageNo,
    per_page: perPage,
    pages: Math.max(1, Math.ceil(total / perPage)),
  };
}

function publicUser(u) {
  const { password: _p, ...rest } = u;
  return rest;
}

function titleFromUrl(raw) {
  try {
    const u = new URL(raw);
    const last = decodeURIComponent(u.pathname.split("/").filter(Boolean).pop() ?? u.hostname);
    const base = last.replace(/\.[a-z0-9]{2,5}$/i, "").replace(/[-_]+/g, " ").trim();
    return base ? base.replace(/\b\w/g, (c) => c.toUpperCase()) : u.hostname;
  } catch {
    return raw;
  }
}

export function startMockServer({ port = 0, host = "127.0.0.1", distDir = resolve(here, "../dist"), ...opts } = {}) {
  const s = createMockState(opts);

  const audit = (req, user, action, details = {}) => {
    s.audit.unshift({
      id: s.nextAudit++,
      user_id: user?.id ?? null,
      username: user?.username ?? null,
      action,
      ip_address: req?.socket?.remoteAddress ?? null,
      user_agent: req?.headers?.["user-agent"] ?? null,
      details,
      created_at: s.now(),
    });
  };

  // The stream contract: every `download` and `deleted` event carries an increasing SSE `id`; a client too
  // slow to take its events (the socket's buffer is full) loses them and, once the socket
  // drains, gets `event: resync` so it refetches, as the server contract says.
  let eventId = 0;
  const resync = (res) => {
    res.lagging = false;
    res.write("event: resync\ndata: {}\n\n");
  };
  const publish = (d, kind = "download") => {
    eventId += 1;
    const streams = s.streams.get(d.user_id);
    if (!streams) return;
    const { user_id: _u, ticks: _t, ...download } = d;
    const body = kind === "deleted" ? { id: d.id } : download;
    const text = `id: ${eventId}\nevent: ${kind}\ndata: ${JSON.stringify(body)}\n\n`;
    for (const res of streams) {
      if (res.lagging) continue; // dropped; resync follows on drain
      if (!res.write(text)) {
        res.lagging = true;
        res.once("drain", () => resync(res));
      }
    }
  };
  /** Tests: tell every stream of this user to resync, as after dropped events. */
  s.resync = (userId) => {
    for (const res of s.streams.get(userId) ?? []) resync(res);
  };
  const view = (d) => {
    const { user_id: _u, ticks: _t, ...body } = d;
    return body;
  };

  function authUser(req) {
    const header = req.headers.authorization ?? "";
    const m = /^Bearer (.+)$/i.exec(header);
    if (!m) return null;
    const t = s.tokens.get(m[1]);
    if (!t || t.exp < Date.now()) return null;
    const user = s.users.find((u) => u.id === t.userId);
    return user && user.is_active ? user : null;
  }

  function issueToken(user) {
    const token = randomBytes(24).toString("hex");
    s.tokens.set(token, { userId: user.id, exp: Date.now() + s.tokenTtl * 1000 });
    return { access_token: token, token_type: "bearer", expires_in: s.tokenTtl };
  }

  function pluginFor(url) {
    return s.plugins
      .filter((p) => p.enabled)
      .sort((a, b) => b.priority - a.priority)
      .find((p) => p.patterns.some((pat) => globMatches(pat, url)));
  }

  // The simulated worker: each tick moves every active job one step.
  const timer = setInterval(() => {
    for (const d of s.downloads) {
      if (d.status !== "pending" && d.status !== "downloading") continue;
      const slow = /slow/i.test(d.url);
      const total = slow ? 400 * 1024 * 1024 : 6 * 1024 * 1024;
      d.ticks += 1;
      if (d.status === "pending") {
        d.status = "downloading";
        d.started_at = s.now();
        d.attempts += 1;
        d.progress = { downloaded_bytes: 0, total_bytes: null, percent: null, speed: null, eta: null, phase: "resolving" };
      } else if (d.progress.phase === "resolving") {
        d.title = titleFromUrl(d.url);
        d.artist = "Mock Artist";
        d.album = "Mock Album";
        d.duration = 183;
        if (/fail/i.test(d.url)) {
          d.status = "failed";
          d.completed_at = s.now();
          d.progress = null;
          d.error = "The media host refused the request (HTTP 403).\nHint: the link may be private or region-locked; open it in a browser to check, then retry.";
        } else {
          d.progress = { downloaded_bytes: 0, total_bytes: total, percent: 0, speed: null, eta: null, phase: "downloading" };
        }
      } else if (d.progress.phase === "downloading") {
        const speed = slow ? 1.5 * 1024 * 1024 : 1.2 * 1024 * 1024 * (1 + Math.random());
        const step = Math.round((speed * s.tickMs) / 1000);
        const done = Math.min(total, d.progress.downloaded_bytes + step);
        d.progress = {
          downloaded_bytes: done,
          total_bytes: total,
          percent: (100 * done) / total,
          speed,
          eta: (total - done) / speed,
          phase: done >= total ? (d.format === "best" ? "tagging" : "converting") : "downloading",
        };
      } else if (d.progress.phase === "converting") {
        d.progress = { ...d.progress, speed: null, eta: null, phase: "tagging" };
      } else if (d.progress.phase === "tagging") {
        d.progress = { ...d.progress, phase: "finalizing" };
      } else {
        d.status = "completed";
        d.completed_at = s.now();
        d.file_size = d.progress.total_bytes;
        const ext = d.format === "best" ? "m4a" : d.format;
        d.file_path = `${d.artist}/${d.album}/${d.title}.${ext}`;
        d.progress = null;
      }
      publish(d);
    }
  }, s.tickMs);

  const keepAlive = setInterval(() => {
    for (const set of s.streams.values()) for (const res of set) res.write(": keep-alive\n\n");
  }, 15_000);

  async function serveStatic(req, res, url) {
    const root = resolve(distDir);
    let file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) return fail(res, 404, "Not found");
    try {
      const st = await stat(file);
      if (st.isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      return res.end(body);
    } catch {
      if (extname(url.pathname) && !url.pathname.startsWith("/share")) return fail(res, 404, "Not found");
      try {
        const body = await readFile(join(root, "index.html"));
        res.writeHead(200, { "Content-Type": TYPES[".html"] });
        return res.end(body);
      } catch {
        res.writeHead(200, { "Content-Type": "text/plain" });
        return res.end("Mock API running; run `npm run build` to serve the page too.");
      }
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, "http://mock");
    const path = url.pathname;
    const method = req.method;

    if (path === "/health") {
      const ok = { status: "ok" };
      return json(res, 200, {
        status: "healthy", version: "mock", database: "ok", database_backend: "sqlite", preflight: "done",
        tools: { ytdlp: ok, ytdlp_ejs: ok, js_runtime: ok, ffmpeg: ok, ffprobe: ok },
        output_writable: true, plugins: s.plugins.length,
      });
    }

    // --- auth ---
    if (path === "/auth/register" && method === "POST") {
      const body = JSON.parse((await readBody(req)).toString() || "{}");
      const username = String(body.username ?? "").trim();
      const email = String(body.email ?? "").trim();
      const password = String(body.password ?? "");
      if (!/^[A-Za-z0-9_.-]{3,32}$/.test(username))
        return fail(res, 422, "Username must be 3–32 letters, digits, dots, dashes or underscores.");
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) return fail(res, 422, "Enter a valid email address.");
      const bytes = Buffer.byteLength(password);
      if (bytes < 8 || bytes > 72) return fail(res, 422, "Password must be 8 to 72 bytes long.");
      if (s.users.some((u) => u.username.toLowerCase() === username.toLowerCase()))
        return fail(res, 409, "That username is already taken.");
      if (s.users.some((u) => u.email.toLowerCase() === email.toLowerCase()))
        return fail(res, 409, "That email is already registered.");
      const user = {
        id: s.nextUser++,
        username,
        email,
        full_name: body.full_name ?? null,
        is_admin: s.users.length === 0, // the first account administers the NAS
        is_active: true,
        created_at: s.now(),
        last_login: null,
        default_format: "best",
        password,
      };
      s.users.push(user);
      audit(req, user, "user_registered", { username });
      return json(res, 201, publicUser(user));
    }
    if (path === "/auth/login" && method === "POST") {
      const form = new URLSearchParams((await readBody(req)).toString());
      const username = form.get("username") ?? "";
      const recent = (s.failures.get(username) ?? []).filter((t) => t > Date.now() - 60_000);
      if (recent.length >= 5)
        return fail(res, 429, "Too many failed sign-in attempts. Try again in 30 seconds.", { "Retry-After": "30" });
      const user = s.users.find((u) => u.username === username && u.password === form.get("password"));
      if (!user) {
        s.failures.set(username, [...recent, Date.now()]);
        audit(req, null, "login_failed", { username });
        return fail(res, 401, "Incorrect username or password.");
      }
      if (!user.is_active) return fail(res, 403, "This account has been disabled. Ask an admin.");
      user.last_login = s.now();
      audit(req, user, "login_succeeded", {});
      return json(res, 200, issueToken(user));
    }

    // A download's audio and cover: a media link's token instead of the bearer header. The
    // mock has no files to stream and no covers, so a valid link answers 404 like the real
    // server does for a download without them.
    const media = /^\/api\/downloads\/(\d+)\/(file|cover)$/.exec(path);
    if (media && method === "GET") {
      const link = s.mediaLinks.get(url.searchParams.get("token") ?? "");
      if (!link || link.id !== Number(media[1])) return fail(res, 401, "Invalid or expired media link; ask for a new one");
      return fail(res, 404, media[2] === "file" ? "This download has no file to play" : "No cover for this download");
    }

    if (path.startsWith("/auth/") || path.startsWith("/api/")) {
      const user = authUser(req);
      if (!user) return fail(res, 401, "Not authenticated", { "WWW-Authenticate": "Bearer" });
      const token = req.headers.authorization.slice(7);

      if (path === "/auth/me" && method === "GET") return json(res, 200, publicUser(user));
      if (path === "/auth/me" && method === "PATCH") {
        const body = JSON.parse((await readBody(req)).toString() || "{}");
        if (!["best", "mp3", "m4a", "opus", "flac"].includes(body.default_format)) return fail(res, 422, "default_format: not a format");
        user.default_format = body.default_format;
        audit(req, user, "user_updated", { user_id: user.id, default_format: body.default_format });
        return json(res, 200, publicUser(user));
      }
      if (path === "/auth/logout" && method === "POST") {
        s.tokens.delete(token);
        audit(req, user, "logout", {});
        return json(res, 200, { message: "Successfully logged out" });
      }
      if (path === "/auth/password" && method === "POST") {
        const body = JSON.parse((await readBody(req)).toString() || "{}");
        if (body.current_password !== user.password) return fail(res, 422, "Current password is incorrect");
        const bytes = Buffer.byteLength(String(body.new_password ?? ""));
        if (bytes < 8 || bytes > 72) return fail(res, 422, "Password must be 8 to 72 bytes long.");
        user.password = body.new_password;
        if (body.revoke_other_sessions)
          for (const [t, v] of s.tokens) if (v.userId === user.id) s.tokens.delete(t);
        s.tokens.delete(token);
        audit(req, user, "password_changed", { revoke_other_sessions: !!body.revoke_other_sessions });
        return json(res, 200, issueToken(user));
      }

      // --- downloads ---
      if (path === "/api/download" && method === "POST") {
        let body;
        try {
          body = JSON.parse((await readBody(req)).toString() || "{}");
        } catch {
          return fail(res, 422, "The request body is not valid JSON.");
        }
        const target = String(body.url ?? "").trim();
        const format = body.format ?? "best";
        if (!FORMATS.includes(format)) return fail(res, 422, `Unknown format "${format}". Use one of: ${FORMATS.join(", ")}.`);
        let parsed;
        try {
          parsed = new URL(target);
        } catch {
          return fail(res, 422, "That is not a valid URL.");
        }
        if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
          return fail(res, 422, "Only http:// and https:// links can be downloaded.");
        if (target.length > 2048) return fail(res, 422, "The URL is too long.");
        const plugin = pluginFor(target);
        if (!plugin) return fail(res, 422, "No enabled plugin can handle this link.");
        const existing = s.downloads.find(
          (d) => d.user_id === user.id && d.url === target && d.format === format && (d.status === "pending" || d.status === "downloading"),
        );
        if (existing) return json(res, 200, view(existing));
        const d = {
          id: s.nextDownload++,
          user_id: user.id,
          url: target,
          plugin: plugin.name,
          title: null,
          artist: null,
          album: null,
          duration: null,
          format,
          status: "pending",
          progress: null,
          file_path: null,
          file_size: null,
          error: null,
          attempts: 0,
          parent_id: null,
          created_at: s.now(),
          started_at: null,
          completed_at: null,
          ticks: 0,
        };
        s.downloads.unshift(d);
        audit(req, user, "download_requested", { download_id: d.id, url: target, format, plugin: plugin.name });
        publish(d);
        return json(res, 202, view(d));
      }
      if (path === "/api/downloads" && method === "GET") {
        const status = url.searchParams.get("status") ?? "";
        const q = (url.searchParams.get("q") ?? "").toLowerCase();
        if (status && !STATUSES.includes(status)) return fail(res, 422, `Unknown status "${status}".`);
        const items = s.downloads
          .filter((d) => d.user_id === user.id)
          .filter((d) => !status || d.status === status)
          .filter((d) => !q || [d.url, d.title, d.artist, d.album].some((x) => x && x.toLowerCase().includes(q)))
          .map(view);
        return json(res, 200, page(items, url));
      }
      if (path === "/api/downloads/events" && method === "GET") {
        res.writeHead(200, {
          "Content-Type": "text/event-stream",
          "Cache-Control": "no-store",
          Connection: "keep-alive",
        });
        res.write("retry: 2000\n: connected\n\n");
        if (!s.streams.has(user.id)) s.streams.set(user.id, new Set());
        s.streams.get(user.id).add(res);
        req.on("close", () => s.streams.get(user.id)?.delete(res));
        return;
      }
      if (path === "/api/downloads/media-links" && method === "POST") {
        let ids;
        try {
          ids = JSON.parse((await readBody(req)).toString() || "{}").ids;
        } catch {
          return fail(res, 422, "The request body is not valid JSON.");
        }
        if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) return fail(res, 422, "ids: 1 to 100 download ids");
        const expires = new Date(Date.now() + 10 * 60_000).toISOString();
        const items = ids.map((id) => {
          const token = `mock.${user.id}.${id}.${Math.random().toString(36).slice(2)}`;
          s.mediaLinks.set(token, { id, userId: user.id });
          return { id, file_url: `/api/downloads/${id}/file?token=${token}`, cover_url: `/api/downloads/${id}/cover?token=${token}` };
        });
        return json(res, 200, { items, expires_at: expires });
      }
      const tm = /^\/api\/downloads\/(\d+)\/tracks$/.exec(path);
      if (tm && method === "GET") {
        if (!s.downloads.some((x) => x.id === Number(tm[1]) && x.user_id === user.id)) return fail(res, 404, "Download not found.");
        const items = s.downloads.filter((x) => x.parent_id === Number(tm[1])).map(view);
        return json(res, 200, { items, total: items.length });
      }
      const dm = /^\/api\/downloads\/(\d+)(?:\/(cancel|retry))?$/.exec(path);
      if (dm) {
        const d = s.downloads.find((x) => x.id === Number(dm[1]) && x.user_id === user.id);
        if (!d) return fail(res, 404, "Download not found.");
        if (!dm[2] && method === "GET") return json(res, 200, view(d));
        if (dm[2] === "cancel" && method === "POST") {
          if (d.status !== "pending" && d.status !== "downloading")
            return fail(res, 409, `A ${d.status} download cannot be cancelled.`);
          d.status = "cancelled";
          d.progress = null;
          d.completed_at = s.now();
          audit(req, user, "download_cancelled", { download_id: d.id });
          publish(d);
          return json(res, 200, view(d));
        }
        if (dm[2] === "retry" && method === "POST") {
          if (d.status !== "failed" && d.status !== "cancelled")
            return fail(res, 409, `A ${d.status} download cannot be retried.`);
          Object.assign(d, { status: "pending", error: null, progress: null, started_at: null, completed_at: null, ticks: 0 });
          audit(req, user, "download_retried", { download_id: d.id });
          publish(d);
          return json(res, 200, view(d));
        }
        if (!dm[2] && method === "DELETE") {
          if (d.status === "pending" || d.status === "downloading")
            return fail(res, 409, "Cancel the download before deleting it.");
          s.downloads = s.downloads.filter((x) => x !== d);
          audit(req, user, "download_deleted", { download_id: d.id, delete_file: url.searchParams.get("delete_file") === "true" });
          publish(d, "deleted"); // as the real server does: `{"id": …}`
          return json(res, 204);
        }
        return fail(res, 405, "Method not allowed.");
      }

      // --- plugins ---
      if (path === "/api/plugins" && method === "GET") return json(res, 200, s.plugins);

      // --- admin ---
      if (path.startsWith("/api/admin/")) {
        if (!user.is_admin) return fail(res, 403, "Admin rights are required.");
        if (path === "/api/admin/plugins" && method === "POST") {
          const raw = await readBody(req, 20 * 1024 * 1024);
          const m = /filename="([^"]+)"/.exec(raw.toString("latin1"));
          if (!m || !m[1].endsWith(".wasm")) return fail(res, 422, "Upload a .wasm file in the `file` field.");
          const name = m[1].replace(/\.wasm$/, "");
          const plugin = {
            name,
            version: "0.1.0",
            description: `Uploaded plugin ${name}.`,
            patterns: [],
            priority: 0,
            hosts: [],
            enabled: true,
            source: "upload",
            sha256: s.sha(raw),
            loaded_at: s.now(),
            last_error: null,
          };
          s.plugins = [...s.plugins.filter((p) => p.name !== name), plugin];
          audit(req, user, "plugin_uploaded", { name, sha256: plugin.sha256 });
          return json(res, 201, plugin);
        }
        const pm = /^\/api\/admin\/plugins\/([^/]+)$/.exec(path);
        if (pm) {
          const name = decodeURIComponent(pm[1]);
          const p = s.plugins.find((x) => x.name === name);
          if (!p) return fail(res, 404, `No plugin named ${name}.`);
          if (method === "PATCH") {
            const body = JSON.parse((await readBody(req)).toString() || "{}");
            if (typeof body.enabled !== "boolean") return fail(res, 422, "`enabled` must be true or false.");
            p.enabled = body.enabled;
            audit(req, user, p.enabled ? "plugin_enabled" : "plugin_disabled", { name, sha256: p.sha256 });
            return json(res, 200, p);
          }
          if (method === "DELETE") {
            s.plugins = s.plugins.filter((x) => x !== p);
            audit(req, user, "plugin_removed", { name, sha256: p.sha256 });
            return json(res, 204);
          }
        }
        if (path === "/api/admin/users" && method === "GET") return json(res, 200, page(s.users.map(publicUser), url));
        const um = /^\/api\/admin\/users\/(\d+)$/.exec(path);
        if (um && method === "PATCH") {
          const target = s.users.find((u) => u.id === Number(um[1]));
          if (!target) return fail(res, 404, "User not found.");
          const body = JSON.parse((await readBody(req)).toString() || "{}");
          if (target.id === user.id && (body.is_active === false || body.is_admin === false))
            return fail(res, 409, "You cannot disable or demote yourself.");
          if (typeof body.is_active === "boolean") target.is_active = body.is_active;
          if (typeof body.is_admin === "boolean") target.is_admin = body.is_admin;
          audit(req, user, "user_updated", { user_id: target.id, ...body });
          return json(res, 200, publicUser(target));
        }
        if (path === "/api/admin/audit" && method === "GET") {
          const action = url.searchParams.get("action") ?? "";
          const userId = url.searchParams.get("user_id") ?? "";
          const items = s.audit
            .filter((a) => !action || a.action === action)
            .filter((a) => !userId || String(a.user_id) === userId);
          return json(res, 200, page(items, url));
        }
      }
      return fail(res, 404, "Not found.");
    }

    if (method !== "GET" && method !== "HEAD") return fail(res, 405, "Method not allowed.");
    return serveStatic(req, res, url);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (process.env.MOCK_DEBUG) console.error(e);
      if (!res.headersSent) fail(res, e.status ?? 500, e.status ? "Request too large." : "Internal error.");
      else res.end();
    });
  });

  return new Promise((resolvePromise) => {
    server.listen(port, host, () => {
      const address = server.address();
      resolvePromise({
        url: `http://${host}:${address.port}`,
        state: s,
        close: () =>
          new Promise((done) => {
            clearInterval(timer);
            clearInterval(keepAlive);
            for (const set of s.streams.values()) for (const r of set) r.end();
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 8000);
  startMockServer({ port }).then(({ url }) => console.log(`mock server on ${url}`));
}
