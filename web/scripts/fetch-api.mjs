// `npm run fetch:api`: saves the running server's OpenAPI document as web/openapi.json
// (pretty-printed, so reviews show a readable diff). Then `npm run gen:api` writes the types.
//   SPEC_URL  default http://localhost:8000/openapi.json
import { writeFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const url = process.env.SPEC_URL ?? "http://localhost:8000/openapi.json";
const res = await fetch(url).catch((e) => {
  console.error(`Cannot fetch ${url}: ${e.message}. Is the server running?`);
  process.exit(1);
});
if (!res.ok) {
  console.error(`${url} answered ${res.status}`);
  process.exit(1);
}
const spec = await res.json();
writeFileSync(resolve(web, "openapi.json"), JSON.stringify(spec, null, 2) + "\n");
console.log(`saved ${url} to web/openapi.json; now run: npm run gen:api`);
