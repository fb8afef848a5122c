// `npm run check:api` must pass on the committed files and fail when they drift apart.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const web = resolve(__dirname, "..");
const script = resolve(web, "scripts/check-api.mjs");
const tmp = mkdtempSync(join(tmpdir(), "check-api-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(env: Record<string, string>): { code: number; output: string } {
  try {
    const output = execFileSync(process.execPath, [script], {
      cwd: web,
      env: { ...process.env, SPEC_URL: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
    return { code: 0, output };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}

describe("check:api", () => {
  it("passes when schema.d.ts is what openapi.json generates", () => {
    const { code, output } = run({});
    expect(output).toContain("up to date");
    expect(code).toBe(0);
  }, 30_000);

  it("fails when the committed spec changed but the types were not regenerated", () => {
    const spec = JSON.parse(readFileSync(resolve(web, "openapi.json"), "utf8"));
    spec.components.schemas.Download.properties.drifted = { type: "string" };
    const changed = join(tmp, "openapi.json");
    writeFileSync(changed, JSON.stringify(spec));
    const { code, output } = run({ SPEC_FILE: changed });
    expect(code).toBe(1);
    expect(output).toMatch(/differs from the types generated/);
  }, 30_000);

  it("fails when the spec file is missing", () => {
    const { code, output } = run({ SPEC_FILE: join(tmp, "missing.json") });
    expect(code).toBe(1);
    expect(output).toMatch(/does not exist/);
  });
});
