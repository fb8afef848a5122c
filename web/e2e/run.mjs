// `npm run e2e`: the browser test against a running server.
//   BASE_URL        the server (default http://localhost:8000)
//   MEDIA_URL       required: a link the server can download to completion (e.g. a local media server)
//   SLOW_MEDIA_URL  a link that stays in progress for a few seconds, to be cancelled
//                   (default: MEDIA_URL with ?slow=1 / &slow=1 appended — the local media server must throttle it)
//   ALBUM_URL       an RSS feed of media-server.mjs's album (/album/feed.xml): the album view and
//                   the player are tested with it; left out when not set
//   PLUGIN_TO_DISABLE  plugin the admin disables then re-enables (default: the last enabled one listed)
//   CHROMIUM_PATH   default /usr/bin/chromium
// The account the test registers must become an admin: use a fresh server (first account is admin).
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { runFlow } from "./flow.mjs";
import { FEED_TRACKS } from "./media-server.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const baseUrl = process.env.BASE_URL ?? "http://localhost:8000";
const mediaUrl = process.env.MEDIA_URL;
if (!mediaUrl) {
  console.error("Set MEDIA_URL to a link the server at BASE_URL can download.");
  process.exit(2);
}
const slowMediaUrl = process.env.SLOW_MEDIA_URL ?? `${mediaUrl}${mediaUrl.includes("?") ? "&" : "?"}slow=1`;

const ok = await runFlow({
  baseUrl,
  mediaUrl,
  slowMediaUrl,
  pluginToDisable: process.env.PLUGIN_TO_DISABLE,
  albumUrl: process.env.ALBUM_URL,
  albumTracks: process.env.ALBUM_URL ? FEED_TRACKS : undefined,
  outDir: process.env.SCREENSHOT_DIR ?? resolve(here, "../test-results"),
  completeTimeoutMs: Number(process.env.COMPLETE_TIMEOUT_MS ?? 120_000),
});
process.exit(ok ? 0 : 1);
