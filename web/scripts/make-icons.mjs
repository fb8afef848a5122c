// `npm run icons`: renders public/icon.svg to the PNG sizes the manifest lists (Android wants
// 192 and 512 px PNGs to install the app and offer it as a share target). Run after editing the SVG.
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const pub = resolve(dirname(fileURLToPath(import.meta.url)), "../public");
const svg = readFileSync(join(pub, "icon.svg"), "utf8");
const profile = mkdtempSync(join(tmpdir(), "nmd-icons-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  for (const size of [192, 512]) {
    await page.setViewportSize({ width: size, height: size });
    // Full-bleed square: the launcher applies its own mask shape.
    const square = svg.replace('rx="96"', 'rx="0"');
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${square.replace("<svg ", `<svg width="${size}" height="${size}" `)}</body></html>`,
    );
    await page.screenshot({ path: join(pub, `icon-${size}.png`), omitBackground: true });
    console.log(`wrote public/icon-${size}.png`);
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
