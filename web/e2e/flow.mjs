// The browser test: a person's first visit, in real headless Chromium, at phone size, with a
// desktop-size screenshot of every screen on the way. Shared by `npm run e2e` (a real server)
// and `npm run e2e:mock` (e2e/mock-server.mjs).
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PHONE = { width: 390, height: 844 };
/** axe-core's source, evaluated in the page (through DevTools, so the page's CSP allows it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** What the accessibility audit holds every screen to. */
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
export const DESKTOP = { width: 1280, height: 800 };

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * @param {object} o
 * @param {string} o.baseUrl       where the page and API are served
 * @param {string} o.mediaUrl      a link the server downloads to completion
 * @param {string} o.slowMediaUrl  a link that stays in progress long enough to be cancelled
 * @param {string} o.outDir        screenshots go here
 * @param {string} [o.pluginToDisable]  name of the plugin the admin disables (and re-enables)
 * @param {string} [o.albumUrl]    an RSS feed of three tracks (E2E_ALBUM in media-server.mjs): the album
 *                                 is opened and a track played; skipped when not given (the mock)
 * @param {string[]} [o.albumTracks]  the album's track titles, in order
 * @param {string} [o.executablePath]
 * @param {number} [o.completeTimeoutMs]
 */
export async function runFlow(o) {
  const results = [];
  const log = (line) => console.log(line);
  mkdirSync(o.outDir, { recursive: true });
  for (const f of readdirSync(o.outDir)) if (f.startsWith("failure-")) rmSync(join(o.outDir, f));
  const profile = mkdtempSync(join(tmpdir(), "nmd-e2e-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: o.executablePath ?? process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: PHONE,
    baseURL: o.baseUrl,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  let stopped = false;
  async function step(name, fn) {
    if (stopped) {
      results.push({ name, ok: false, skipped: true });
      log(`- ${name} (skipped)`);
      return;
    }
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      log(`✓ ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false, error: String(e?.message ?? e) });
      log(`✗ ${name}: ${String(e?.message ?? e).split("\n").slice(0, 6).join("\n    ")}`);
      await page.screenshot({ path: join(o.outDir, `failure-${name.replace(/\W+/g, "-")}.png`) }).catch(() => {});
      stopped = true; // later steps build on this one
    }
  }

  /** One phone-sized and one desktop-sized picture of what is on screen now. */
  async function shot(name) {
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(o.outDir, `${name}-phone.png`) });
    await page.setViewportSize(DESKTOP);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(o.outDir, `${name}-desktop.png`) });
    await page.setViewportSize(PHONE);
  }

  /**
   * axe-core (WCAG 2.1 A and AA) on what is on screen now, in light and in dark mode; any
   * violation fails the step, with the rule and the elements it found.
   */
  async function audit(name) {
    try {
      for (const scheme of ["light", "dark"]) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.waitForTimeout(50);
        if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
        const violations = await page.evaluate(async (tags) => {
          const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
          return result.violations.map((v) => ({
            id: v.id,
            help: v.help,
            nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")} — ${(n.failureSummary ?? "").split("\n").slice(1).join(" ").trim()}`),
          }));
        }, WCAG_TAGS);
        expect(
          violations.length === 0,
          `axe, ${name}, ${scheme} mode:\n` +
            violations.map((v) => `  ${v.id}: ${v.help}\n      ${v.nodes.join("\n      ")}`).join("\n"),
        );
      }
    } finally {
      await page.emulateMedia({ colorScheme: "light" });
    }
  }

  const item = (url, status) =>
    page.locator(`li.dl[data-url="${url}"]${status ? `[data-status="${status}"]` : ""}`).first();
  const username = `e2e_${Date.now().toString(36)}`;
  const password = "correct horse battery";
  const expect = (cond, message) => {
    if (!cond) throw new Error(message);
  };

  try {
    await step("sign-in page loads", async () => {
      await page.goto("/");
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await shot("01-signin");
      await audit("sign-in");
    });

    await step("sign-in form is keyboard reachable", async () => {
      const seen = [];
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press("Tab");
        seen.push(
          await page.evaluate(() => {
            const el = document.activeElement;
            return el ? `${el.tagName.toLowerCase()}:${el.getAttribute("name") ?? el.getAttribute("type") ?? el.textContent}` : "";
          }),
        );
      }
      for (const want of ["input:username", "input:password", "input:checkbox", "button:submit"]) {
        expect(seen.includes(want), `Tab order ${seen.join(", ")} misses ${want}`);
      }
    });

    await step("register an account", async () => {
      await page.getByRole("link", { name: "Create an account" }).click();
      await page.getByRole("heading", { name: "Create an account" }).waitFor();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Email").fill(`${username}@example.test`);
      await page.getByLabel("Full name").fill("E2E Listener");
      await page.getByLabel("Password").fill("short");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("alert").filter({ hasText: /8/ }).waitFor(); // the length rule is shown
      await page.getByLabel("Password").fill(password);
      await shot("02-register");
      await audit("register");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await page.getByRole("status").filter({ hasText: /created/i }).waitFor();
    });

    await step("registering the same name again shows the server's message", async () => {
      await page.getByRole("link", { name: "Create an account" }).click();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Email").fill(`${username}@example.test`);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Create account" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect((await alert.textContent()).trim().length > 0, "empty error message");
      await page.getByRole("link", { name: "Sign in" }).click();
    });

    await step("a wrong password shows the server's message", async () => {
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      expect((await alert.textContent()).trim().length > 0, "empty error message");
    });

    await step("repeated failed sign-ins show the server's wait time", async () => {
      // Another name, so the account under test is not the one locked out.
      await page.getByLabel("Username").fill(`${username}_x`);
      let answered = 0;
      for (let i = 0; i < 8 && answered !== 429; i++) {
        await page.getByLabel("Password").fill(`wrong password ${i}`);
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith("/auth/login")),
          page.getByRole("button", { name: "Sign in" }).click(),
        ]);
        answered = response.status();
      }
      expect(answered === 429, `no 429 after 8 failed sign-ins (last answer ${answered})`);
      await page.getByRole("alert").filter({ hasText: /try again in \d+/i }).waitFor();
      await page.getByLabel("Username").fill(username);
    });

    await step("sign in", async () => {
      await page.getByLabel("Password").fill(password);
      await page.getByLabel("Remember me").check();
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "New download" }).waitFor();
      const stored = await page.evaluate(() => localStorage.getItem("nmd.session"));
      expect(stored && JSON.parse(stored).token, "remember me did not keep the session in localStorage");
      await shot("03-downloads-empty");
      await audit("downloads, empty");
    });

    await step("paste a media URL and watch it complete", async () => {
      await page.getByLabel("Link to a track").fill(o.mediaUrl);
      await page.getByRole("button", { name: "Download", exact: true }).click();
      const row = item(o.mediaUrl);
      await row.waitFor();
      // Catch it in flight for a picture when the server is slow enough to let us.
      const inFlight = await row
        .locator(".progress-text", { hasText: "%" })
        .waitFor({ timeout: 3000 })
        .then(() => true)
        .catch(() => false);
      if (inFlight) await shot("04-downloads-progress");
      await item(o.mediaUrl, "completed")
        .waitFor({ timeout: o.completeTimeoutMs ?? 120_000 })
        .catch(async (e) => {
          const status = await row.getAttribute("data-status").catch(() => "?");
          const text = await row.textContent().catch(() => "");
          throw new Error(`not completed (status ${status}): ${text}\n${e.message}`);
        });
      const live = await page.locator(".live").textContent();
      log(`    stream indicator: ${live}`);
    });

    await step("details show metadata", async () => {
      const row = item(o.mediaUrl);
      await row.getByRole("button", { name: "Details" }).click();
      const details = row.locator("dl.details");
      await details.waitFor();
      await row.evaluate((el) => el.scrollIntoView({ block: "start" }));
      const text = await details.textContent();
      expect(/Format/.test(text) && /File/.test(text), `details incomplete: ${text}`);
      await shot("05-download-details");
      await audit("download details");
      await row.getByRole("button", { name: "Hide details" }).click();
      await page.evaluate(() => window.scrollTo(0, 0));
    });

    if (o.albumUrl) {
      await step("an album shows its cover, progress and tracks, and a track plays in the page", async () => {
        await page.getByLabel("Link to a track").fill(o.albumUrl);
        await page.getByRole("button", { name: "Download", exact: true }).click();
        const album = item(o.albumUrl);
        await album.waitFor();
        const n = o.albumTracks?.length ?? 3;
        await album
          .locator(".progress-text", { hasText: `${n} of ${n} tracks done` })
          .waitFor({ timeout: o.completeTimeoutMs ?? 120_000 });
        // The cover comes from our server (a signed link), not from the site.
        const cover = album.locator("img.cover");
        await cover.waitFor();
        await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await cover.elementHandle());
        expect((await cover.getAttribute("src")).startsWith("/api/downloads/"), "the cover is not served by the server");
        await album.getByRole("button", { name: /Show tracks/ }).click();
        const tracks = album.getByRole("list", { name: /^Tracks of/ });
        await tracks.getByRole("listitem").nth(n - 1).waitFor();
        const titles = await tracks.locator(".track-title").allTextContents();
        if (o.albumTracks) expect(titles.join("|") === o.albumTracks.join("|"), `tracks: ${titles.join(", ")}`);
        // The tracks are inside the album's row, not repeated as rows of their own.
        expect((await page.locator("li.dl").filter({ hasText: titles[0] }).count()) === 1, "a track also shows as its own row");
        await album.evaluate((el) => el.scrollIntoView({ block: "start" }));
        await shot("06a-album-tracks");
        await audit("album with its tracks");
        await tracks.getByRole("button", { name: `Play ${titles[0]}` }).click();
        const player = page.getByRole("region", { name: "Player" });
        await player.waitFor();
        await page.waitForFunction(() => (document.querySelector(".player audio")?.currentTime ?? 0) > 0, null, { timeout: 20_000 });
        await shot("06b-album-playing");
        await audit("album with the player");
        await player.getByRole("button", { name: "Close player" }).click();
        await album.getByRole("button", { name: "Hide tracks" }).click();
        await page.evaluate(() => window.scrollTo(0, 0));
      });
    }

    await step("a link no plugin accepts shows the server's message", async () => {
      await page.getByLabel("Link to a track").fill("ftp://example.invalid/song.mp3");
      await page.getByRole("button", { name: "Download", exact: true }).click();
      const alert = page.locator("form").getByRole("alert");
      await alert.waitFor();
      expect((await alert.textContent()).trim().length > 0, "empty error message");
      await page.getByLabel("Link to a track").fill("");
    });

    await step("submit another and cancel it", async () => {
      await page.getByLabel("Link to a track").fill(o.slowMediaUrl);
      await page.getByRole("button", { name: "Download", exact: true }).click();
      const row = item(o.slowMediaUrl);
      await row.waitFor();
      const cancel = row.getByRole("button", { name: "Cancel" });
      await cancel.waitFor({ timeout: 5000 }).catch(() => {
        throw new Error("no Cancel button: the download finished first; set SLOW_MEDIA_URL to a throttled source");
      });
      // A source without Content-Length: bytes and speed, no percent. Pictured when it gets that far.
      const running = await row
        .locator(".progress-text", { hasText: /\d\s?(B|KB|MB)\b/ })
        .waitFor({ timeout: 4000 })
        .then(() => true)
        .catch(() => false);
      if (running) await shot("04b-downloads-running-unknown-size");
      await cancel.click();
      await item(o.slowMediaUrl, "cancelled").waitFor();
    });

    await step("retry the cancelled one, cancel it again, delete it keeping the file", async () => {
      const row = item(o.slowMediaUrl);
      await row.getByRole("button", { name: "Retry" }).click();
      await row.getByRole("button", { name: "Cancel" }).waitFor();
      await row.getByRole("button", { name: "Cancel" }).click();
      await item(o.slowMediaUrl, "cancelled").waitFor();
      await row.getByRole("button", { name: "Delete…" }).click();
      // Every target at least 44×44 CSS px, "Back" included (it was 59×39).
      for (const name of ["Keep file", "Back"]) {
        const box = await row.getByRole("button", { name, exact: true }).boundingBox();
        expect(box && box.width >= 44 && box.height >= 44, `"${name}" is ${box?.width}×${box?.height} px, under 44×44`);
      }
      await audit("delete confirmation");
      await row.getByRole("button", { name: "Keep file" }).click();
      await page.locator(`li.dl[data-url="${o.slowMediaUrl}"]`).waitFor({ state: "detached" });
      // Leave one cancelled download for the filter check below.
      await page.getByLabel("Link to a track").fill(o.slowMediaUrl);
      await page.getByRole("button", { name: "Download", exact: true }).click();
      await row.getByRole("button", { name: "Cancel" }).click();
      await item(o.slowMediaUrl, "cancelled").waitFor();
    });

    await step("status filter and search narrow the list", async () => {
      await page.getByLabel("Filter by status").selectOption("cancelled");
      await page.waitForFunction(() =>
        [...document.querySelectorAll("li.dl")].every((li) => li.getAttribute("data-status") === "cancelled"),
      );
      expect((await page.locator("li.dl").count()) >= 1, "the cancelled download is missing");
      await page.getByLabel("Filter by status").selectOption("");
      await page.getByLabel("Search downloads").fill("no-such-track-zzz");
      await page.getByText("Nothing matches these filters.").waitFor();
      await page.getByLabel("Search downloads").fill("");
      await item(o.mediaUrl).waitFor();
      await shot("06-downloads-list");
      await audit("downloads list");
    });

    await step("keyboard focus never hides under the phone's tab bar", async () => {
      // A short phone, so the list runs under the tab bar.
      await page.setViewportSize({ width: PHONE.width, height: 560 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.getByLabel("Link to a track").focus();
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press("Tab");
        const hidden = await page.evaluate(() => {
          const el = document.activeElement;
          const bar = document.querySelector(".tabs");
          const topbar = document.querySelector(".topbar");
          if (!el || !bar || el === document.body || bar.contains(el) || topbar?.contains(el)) return null;
          if (el.classList.contains("skip-link")) return null;
          const r = el.getBoundingClientRect();
          const top = bar.getBoundingClientRect().top;
          const header = topbar?.getBoundingClientRect().bottom ?? 0;
          return r.bottom > top + 1 || r.top < header - 1 ? `${el.tagName} "${el.textContent?.trim()}" at ${Math.round(r.top)}–${Math.round(r.bottom)} px (bar at ${Math.round(top)})` : null;
        });
        expect(hidden === null, `focus is hidden: ${hidden}`);
      }
      await page.setViewportSize(PHONE);
      await page.evaluate(() => window.scrollTo(0, 0));
    });

    await step("dark mode renders", async () => {
      await page.emulateMedia({ colorScheme: "dark" });
      await shot("07-downloads-dark");
      await page.emulateMedia({ colorScheme: "light" });
    });

    await step("plugins are listed", async () => {
      await page.getByRole("link", { name: "Plugins" }).click();
      await page.getByRole("heading", { name: "Plugins", level: 1 }).waitFor();
      await page.locator("li.plugin").first().waitFor();
      await shot("08-plugins");
      await audit("plugins");
    });

    await step("admin disables a plugin (and enables it again)", async () => {
      const adminTab = page.getByRole("link", { name: "Admin" });
      expect(await adminTab.count(), "this account is not an admin (is it the server's first account?)");
      const name =
        o.pluginToDisable ??
        (await page.locator('li.plugin[data-enabled="true"]').last().getAttribute("data-plugin"));
      expect(name, "no enabled plugin to disable");
      const card = page.locator(`li.plugin[data-plugin="${name}"]`);
      await card.getByRole("button", { name: `Disable ${name}` }).click();
      await page.locator(`li.plugin[data-plugin="${name}"][data-enabled="false"]`).waitFor();
      await shot("09-plugins-disabled");
      await card.getByRole("button", { name: `Enable ${name}` }).click();
      await page.locator(`li.plugin[data-plugin="${name}"][data-enabled="true"]`).waitFor();
    });

    await step("admin makes another user an admin and disables them", async () => {
      const other = `${username}_b`;
      // A second account, registered straight through the API as another person would.
      const status = await page.evaluate(
        async ([name, pw]) =>
          (
            await fetch("/auth/register", {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ username: name, email: `${name}@example.test`, password: pw }),
            })
          ).status,
        [other, password],
      );
      expect(status === 201, `registering a second user answered ${status}`);
      await page.getByRole("link", { name: "Admin" }).click();
      await page.locator(`li.user[data-username="${username}"]`).waitFor();
      const card = page.locator(`li.user[data-username="${other}"]`);
      await card.getByRole("button", { name: `Make admin: ${other}` }).click();
      await card.locator(".badge", { hasText: "admin" }).waitFor();
      await card.getByRole("button", { name: `Disable ${other}` }).click();
      await card.locator(".badge", { hasText: "disabled" }).waitFor();
      await shot("10-admin-users");
      await audit("admin users");
      await card.getByRole("button", { name: `Enable ${other}` }).click();
      await card.locator(".badge", { hasText: "active" }).waitFor();
    });

    await step("admin audit log filters by action", async () => {
      await page.getByRole("link", { name: "Audit log" }).click();
      await page.locator("li.audit-entry").first().waitFor();
      await page.getByLabel("Action").selectOption("plugin_disabled");
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll("li.audit-entry")];
        return rows.length > 0 && rows.every((li) => li.getAttribute("data-action") === "plugin_disabled");
      });
      await page.getByLabel("Action").selectOption("");
      await page.locator("li.audit-entry").nth(1).waitFor();
      await shot("11-admin-audit");
      await audit("audit log");
    });

    await step("account page and sign out", async () => {
      await page.getByRole("link", { name: "Account" }).click();
      await page.getByRole("heading", { name: "Account" }).waitFor();
      // The default format is the account's, kept by the server; back to "best" after.
      await page.getByRole("combobox", { name: "Default format" }).selectOption("mp3");
      await page.getByText("New downloads default to MP3.").waitFor();
      await page.getByRole("combobox", { name: "Default format" }).selectOption("best");
      await page.getByText("New downloads default to Best available.").waitFor();
      await shot("12-account");
      await audit("account");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await page.getByText("You have signed out.").waitFor();
      const stored = await page.evaluate(() => localStorage.getItem("nmd.session") ?? sessionStorage.getItem("nmd.session"));
      expect(!stored, "the token is still stored after sign-out");
    });

    // SEC-47: opening /share only fills the form; a person confirms with Download.
    await step("a link shared while signed out prefills the form after sign-in and waits for Download", async () => {
      const text = `Listen to this: ${o.mediaUrl}`;
      await page.goto(`/share?title=Song&text=${encodeURIComponent(text)}`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("form").getByRole("status").filter({ hasText: /Shared link ready/ }).waitFor();
      const field = page.getByLabel("Link to a track, album or playlist");
      expect((await field.inputValue()) === o.mediaUrl, "the shared link is not in the form");
      // The history loads after sign-in, beside the form: wait until it shows the copy this
      // account downloaded earlier, or the count below races the list instead of the server.
      await page.locator(`li.dl[data-url="${o.mediaUrl}"]`).first().waitFor();
      const before = await page.locator(`li.dl[data-url="${o.mediaUrl}"]`).count();
      await page.waitForTimeout(500);
      expect(
        (await page.locator(`li.dl[data-url="${o.mediaUrl}"]`).count()) === before,
        "the shared link was submitted without a click",
      );
      await page.getByRole("button", { name: "Download" }).click();
      await page.locator("form").getByRole("status").filter({ hasText: /Added/ }).waitFor();
    });

    await step("delete a completed download with its file", async () => {
      const rows = page.locator(`li.dl[data-url="${o.mediaUrl}"]`);
      await rows.nth(1).waitFor(); // the shared copy and the first one
      const before = await rows.count();
      // The real server's library already has the first copy, so the shared one ends
      // `skipped` (pointing at that file); the mock server completes it.
      await rows
        .first()
        .and(page.locator('[data-status="completed"], [data-status="skipped"]'))
        .waitFor({ timeout: o.completeTimeoutMs ?? 120_000 });
      const completed = page.locator(`li.dl[data-url="${o.mediaUrl}"][data-status="completed"]`).first();
      await completed.getByRole("button", { name: "Delete…" }).click();
      await audit("delete confirmation with the file");
      await completed.getByRole("button", { name: "Delete file too" }).click();
      await page.waitForFunction(
        ([url, n]) => document.querySelectorAll(`li.dl[data-url="${url}"]`).length === n - 1,
        [o.mediaUrl, before],
      );
    });

    await step("a revoked token returns to sign-in with a message", async () => {
      // Revoke the page's token behind its back, as another device's "sign out everywhere" would.
      await page.evaluate(async () => {
        const raw = sessionStorage.getItem("nmd.session") ?? localStorage.getItem("nmd.session");
        const { token } = JSON.parse(raw);
        await fetch("/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
      });
      await page.getByRole("link", { name: "Plugins" }).click();
      await page.getByText("Your session expired — please sign in again").waitFor();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await shot("13-session-expired");
      await audit("session expired");
    });

    await step("no uncaught errors in the page", async () => {
      expect(consoleErrors.length === 0, consoleErrors.join("\n"));
    });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }

  const passed = results.filter((r) => r.ok).length;
  const skipped = results.filter((r) => r.skipped).length;
  const failed = results.length - passed - skipped;
  console.log(`\nscreenshots: ${o.outDir}`);
  console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed === 0 && skipped === 0;
}
