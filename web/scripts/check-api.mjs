// `npm run check:api`: fails when the committed API description has drifted.
//  1. src/api/schema.d.ts must be exactly what `npm run gen:api` makes from web/openapi.json.
//  2. With SPEC_URL set (e.g. http://localhost:8000/openapi.json), web/openapi.json must equal
//     what the running server serves (compared as JSON, key order ignored).
// Fix drift with: SPEC_URL=… npm run fetch:api && npm run gen:api, then commit both files.
//   SPEC_FILE / TYPES_FILE override the two paths (used by tests).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const specFile = resolve(web, process.env.SPEC_FILE ?? "openapi.json");
const typesFile = resolve(web, process.env.TYPES_FILE ?? "src/api/schema.d.ts");
const fix = "Fix: SPEC_URL=http://localhost:8000/openapi.json npm run fetch:api && npm run gen:api, then commit web/openapi.json and web/src/api/schema.d.ts.";
const problems = [];

if (!existsSync(specFile)) {
  console.error(`check:api: ${specFile} does not exist yet (the server has not published its spec).\n${fix}`);
  process.exit(1);
}

// 1. Types generated from the committed spec.
const tmp = mkdtempSync(join(tmpdir(), "check-api-"));
try {
  const out = join(tmp, "schema.d.ts");
  execFileSync(resolve(web, "node_modules/.bin/openapi-typescript"), [specFile, "-o", out], {
    cwd: web,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (!existsSync(typesFile)) problems.push(`${typesFile} is missing.`);
  else if (readFileSync(out, "utf8") !== readFileSync(typesFile, "utf8"))
    problems.push(`${typesFile} differs from the types generated from ${specFile}.`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// 2. The committed spec against the live one.
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  return value;
}
function differingKeys(a = {}, b = {}) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(canonical(a[k])) !== JSON.stringify(canonical(b[k])));
}

if (process.env.SPEC_URL) {
  const res = await fetch(process.env.SPEC_URL).catch((e) => ({ ok: false, status: e.message }));
  if (!res.ok) {
    problems.push(`cannot fetch ${process.env.SPEC_URL} (${res.status}).`);
  } else {
    const live = await res.json();
    const saved = JSON.parse(readFileSync(specFile, "utf8"));
    if (JSON.stringify(canonical(live)) !== JSON.stringify(canonical(saved))) {
      const paths = differingKeys(saved.paths, live.paths);
      const schemas = differingKeys(saved.components?.schemas, live.components?.schemas);
      problems.push(
        `${specFile} differs from ${process.env.SPEC_URL}` +
          (paths.length ? `\n    paths: ${paths.join(", ")}` : "") +
          (schemas.length ? `\n    schemas: ${schemas.join(", ")}` : ""),
      );
    }
  }
} else {
  console.log("check:api: SPEC_URL not set; checked the committed types against the committed spec only.");
}

if (problems.length) {
  console.error(`check:api: API description drifted:\n  - ${problems.join("\n  - ")}\n${fix}`);
  process.exit(1);
}
console.log("check:api: spec and types are up to date.");
