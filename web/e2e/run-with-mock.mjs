// `npm run e2e:mock`: the same browser test against e2e/mock-server.mjs, which also serves dist/.
import { existsSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startMockServer } from "./mock-server.mjs";
import { runFlow } from "./flow.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const distDir = resolve(here, "../dist");
if (!existsSync(resolve(distDir, "index.html"))) {
  console.error("dist/ is missing: run `npm run build` first.");
  process.exit(2);
}
const mock = await startMockServer({ distDir });
let ok = false;
try {
  ok = await runFlow({
    baseUrl: mock.url,
    mediaUrl: `${mock.url}/media/e2e-test-track.mp3`,
    slowMediaUrl: `${mock.url}/media/slow-e2e-test-track.mp3`,
    outDir: process.env.SCREENSHOT_DIR ?? resolve(here, "../test-results"),
    completeTimeoutMs: 30_000,
  });
} finally {
  await mock.close();
}
process.exit(ok ? 0 : 1);
