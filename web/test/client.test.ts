import { describe, expect, it, vi } from "vitest";
import { ApiError, createClient, errorMessage, parseRetryAfter, type ClientOptions } from "../src/api/client";

type Call = { url: string; method: string; headers: Headers; body: string | FormData | null };

// openapi-fetch hands fetch a Request; the fake records what would go on the wire.
function fakeFetch(responses: Array<() => Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL) => {
    if (!(input instanceof Request)) throw new Error("expected a Request");
    const type = input.headers.get("Content-Type") ?? "";
    const body = input.body === null ? null : type.startsWith("multipart/") ? await input.formData() : await input.text();
    calls.push({ url: input.url.replace(BASE, ""), method: input.method, headers: input.headers, body });
    const next = responses.shift();
    if (!next) throw new Error("unexpected request");
    return next();
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

const BASE = "http://nas.test";
const client = (o: Omit<ClientOptions, "baseUrl">) => createClient({ baseUrl: BASE, ...o });

const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });

describe("errorMessage", () => {
  it("uses the server's detail", () => {
    expect(errorMessage(422, "Unprocessable Entity", { detail: "No plugin can handle this link." })).toBe(
      "No plugin can handle this link.",
    );
  });
  it("joins a list of field errors", () => {
    const body = { detail: [{ loc: ["body", "email"], msg: "not an email" }, { msg: "too short" }] };
    expect(errorMessage(422, "", body)).toBe("email: not an email; too short");
  });
  it("shows short plain text but not HTML pages", () => {
    expect(errorMessage(400, "Bad Request", "parse error: expected string")).toBe("parse error: expected string");
    expect(errorMessage(502, "Bad Gateway", "<html><body>nginx</body></html>")).toBe("502 Bad Gateway");
    expect(errorMessage(500, "", "")).toBe("Request failed (500)");
    expect(errorMessage(500, "", { other: 1 })).toBe("Request failed (500)");
    expect(errorMessage(503, "", { message: "Maintenance" })).toBe("Maintenance");
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds or an HTTP date", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("createClient", () => {
  it("signs in with a form body and no Authorization header", async () => {
    const f = fakeFetch([jsonResponse(200, { access_token: "t", token_type: "bearer", expires_in: 60 })]);
    const c = client({ getToken: () => "stale", fetch: f.fn });
    const token = await c.login("ann", "p&ss=word");
    expect(token.access_token).toBe("t");
    expect([f.calls[0].method, f.calls[0].url]).toEqual(["POST", "/auth/login"]);
    expect(f.calls[0].headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(f.calls[0].headers.get("Authorization")).toBeNull();
    const form = new URLSearchParams(String(f.calls[0].body));
    expect([form.get("username"), form.get("password")]).toEqual(["ann", "p&ss=word"]);
  });

  it("sends the bearer token and JSON, a format only when one is chosen (else the account's default applies)", async () => {
    const f = fakeFetch([jsonResponse(202, { id: 1 }), jsonResponse(200, { id: 2 }), jsonResponse(202, { id: 3 })]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    expect(await c.createDownload("https://a.example/x")).toEqual({ download: { id: 1 }, created: true });
    // 200 instead of 202: the same link and format was already active.
    expect(await c.createDownload("https://a.example/x", "flac")).toEqual({ download: { id: 2 }, created: false });
    expect(f.calls[0].headers.get("Authorization")).toBe("Bearer tok");
    expect(f.calls[0].headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(String(f.calls[0].body))).toEqual({ url: "https://a.example/x" });
    expect(JSON.parse(String(f.calls[1].body))).toEqual({ url: "https://a.example/x", format: "flac" });
    // "best" chosen on purpose overrides an account default of, say, mp3.
    await c.createDownload("https://a.example/y", "best");
    expect(JSON.parse(String(f.calls[2].body))).toEqual({ url: "https://a.example/y", format: "best" });
  });

  it("builds list queries without empty filters", async () => {
    const page = { items: [], total: 0, page: 2, per_page: 20, pages: 1 };
    const f = fakeFetch([jsonResponse(200, page), jsonResponse(200, page)]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    await c.listDownloads({ page: 2, status: "", q: "" });
    await c.listDownloads({ page: 1, status: "failed", q: "a b" });
    expect(f.calls.map((x) => x.url)).toEqual([
      "/api/downloads?page=2&per_page=20",
      "/api/downloads?page=1&per_page=20&status=failed&q=a%20b",
    ]);
  });

  it("deletes with or without the file and accepts 204", async () => {
    const f = fakeFetch([() => new Response(null, { status: 204 }), () => new Response(null, { status: 204 })]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    await expect(c.deleteDownload(4, true)).resolves.toBeUndefined();
    await c.deleteDownload(4, false);
    expect(f.calls.map((x) => [x.method, x.url])).toEqual([
      ["DELETE", "/api/downloads/4?delete_file=true"],
      ["DELETE", "/api/downloads/4?delete_file=false"],
    ]);
  });

  it("raises ApiError with the server's message for a 422", async () => {
    const f = fakeFetch([jsonResponse(422, { detail: "Only http:// and https:// links can be downloaded." })]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    const err = await c.createDownload("ftp://x").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.message).toBe("Only http:// and https:// links can be downloaded.");
  });

  it("shows a proxy's short plain-text error, and the status line for an empty one", async () => {
    const f = fakeFetch([
      () => new Response("upstream timed out", { status: 504, statusText: "Gateway Timeout" }),
      () => new Response(null, { status: 502, statusText: "Bad Gateway" }),
    ]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    await expect(c.listPlugins()).rejects.toMatchObject({ status: 504, message: "upstream timed out" });
    await expect(c.listPlugins()).rejects.toMatchObject({ status: 502, message: "502 Bad Gateway" });
  });

  it("reports Retry-After on 429", async () => {
    const f = fakeFetch([jsonResponse(429, { detail: "Too many attempts." }, { "Retry-After": "42" })]);
    const c = client({ getToken: () => null, fetch: f.fn });
    const err = await c.login("a", "b").catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(42);
  });

  it("calls onUnauthorized for a 401 on an authenticated request", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch([jsonResponse(401, { detail: "Token expired" })]);
    const c = client({ getToken: () => "tok", onUnauthorized, fetch: f.fn });
    await expect(c.listPlugins()).rejects.toMatchObject({ status: 401, message: "Token expired" });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("does not sign out on a failed sign-in or a wrong current password", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch([jsonResponse(401, { detail: "Incorrect username or password." }), jsonResponse(401, { detail: "Wrong password." })]);
    const c = client({ getToken: () => "tok", onUnauthorized, fetch: f.fn });
    await expect(c.login("a", "b")).rejects.toMatchObject({ message: "Incorrect username or password." });
    await expect(
      c.changePassword({ current_password: "x", new_password: "yyyyyyyy", revoke_other_sessions: true }),
    ).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("turns a network failure into a readable ApiError with status 0, but lets an abort through", async () => {
    const c = client({
      getToken: () => null,
      fetch: (async () => {
        throw new TypeError("Failed to fetch");
      }) as unknown as typeof fetch,
    });
    await expect(c.health()).rejects.toMatchObject({ status: 0, message: expect.stringContaining("Cannot reach") });
    const aborting = client({
      getToken: () => "tok",
      fetch: (async () => {
        throw new DOMException("aborted", "AbortError");
      }) as unknown as typeof fetch,
    });
    await expect(aborting.listPlugins()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("escapes plugin names in paths and sends multipart uploads with the browser's boundary", async () => {
    const f = fakeFetch([jsonResponse(200, { name: "a b" }), jsonResponse(201, { name: "x" })]);
    const c = client({ getToken: () => "tok", fetch: f.fn });
    await c.setPluginEnabled("a b", false);
    expect(f.calls[0].url).toBe("/api/admin/plugins/a%20b");
    expect(JSON.parse(String(f.calls[0].body))).toEqual({ enabled: false });
    await c.uploadPlugin(new Blob([new Uint8Array([0, 97, 115, 109])]), "x.wasm");
    expect(f.calls[1].headers.get("Content-Type")).toMatch(/^multipart\/form-data; boundary=/);
    const body = f.calls[1].body;
    expect(body).toBeInstanceOf(FormData);
    const file = body instanceof FormData ? body.get("file") : null;
    expect(file instanceof File ? [file.name, file.size] : null).toEqual(["x.wasm", 4]);
  });
});
