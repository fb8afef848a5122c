import { describe, expect, it, vi } from "vitest";
import { ApiError, createClient, errorMessage, parseRetryAfter } from "../src/api/client";

type Call = { url: string; init: RequestInit };

function fakeFetch(responses: Array<() => Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new Error("unexpected request");
    return next();
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

describe("errorMessage", () => {
  it("uses the server's detail", () => {
    expect(errorMessage(422, "Unprocessable Entity", '{"detail":"No plugin can handle this link."}')).toBe(
      "No plugin can handle this link.",
    );
  });
  it("joins a list of field errors", () => {
    const body = JSON.stringify({ detail: [{ loc: ["body", "email"], msg: "not an email" }, { msg: "too short" }] });
    expect(errorMessage(422, "", body)).toBe("email: not an email; too short");
  });
  it("shows short plain text but not HTML pages", () => {
    expect(errorMessage(400, "Bad Request", "parse error: expected string")).toBe("parse error: expected string");
    expect(errorMessage(502, "Bad Gateway", "<html><body>nginx</body></html>")).toBe("502 Bad Gateway");
    expect(errorMessage(500, "", "")).toBe("Request failed (500)");
    expect(errorMessage(500, "", '{"other":1}')).toBe("Request failed (500)");
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
    const client = createClient({ getToken: () => "stale", fetch: f.fn });
    const token = await client.login("ann", "p&ss=word");
    expect(token.access_token).toBe("t");
    expect(f.calls[0].url).toBe("/auth/login");
    const headers = f.calls[0].init.headers as Record<string, string>;
    expect(headers["Content-Type"]).toBe("application/x-www-form-urlencoded");
    expect(headers.Authorization).toBeUndefined();
    expect(new URLSearchParams(f.calls[0].init.body as string).get("password")).toBe("p&ss=word");
  });

  it("sends the bearer token and JSON, leaving out the default format", async () => {
    const f = fakeFetch([jsonResponse(202, { id: 1 }), jsonResponse(200, { id: 2 })]);
    const client = createClient({ getToken: () => "tok", fetch: f.fn });
    expect(await client.createDownload("https://a.example/x", "best")).toEqual({ download: { id: 1 }, created: true });
    // 200 instead of 202: the same link and format was already active.
    expect(await client.createDownload("https://a.example/x", "flac")).toEqual({ download: { id: 2 }, created: false });
    expect((f.calls[0].init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(JSON.parse(f.calls[0].init.body as string)).toEqual({ url: "https://a.example/x" });
    expect(JSON.parse(f.calls[1].init.body as string)).toEqual({ url: "https://a.example/x", format: "flac" });
  });

  it("builds list queries without empty filters", async () => {
    const f = fakeFetch([jsonResponse(200, { items: [], total: 0, page: 2, per_page: 20, pages: 1 })]);
    const client = createClient({ getToken: () => "tok", fetch: f.fn });
    await client.listDownloads({ page: 2, status: "", q: "" });
    expect(f.calls[0].url).toBe("/api/downloads?page=2&per_page=20");
  });

  it("deletes with or without the file and accepts 204", async () => {
    const f = fakeFetch([() => new Response(null, { status: 204 }), () => new Response(null, { status: 204 })]);
    const client = createClient({ getToken: () => "tok", fetch: f.fn });
    await expect(client.deleteDownload(4, true)).resolves.toBeUndefined();
    await client.deleteDownload(4, false);
    expect(f.calls.map((c) => [c.init.method, c.url])).toEqual([
      ["DELETE", "/api/downloads/4?delete_file=true"],
      ["DELETE", "/api/downloads/4?delete_file=false"],
    ]);
  });

  it("raises ApiError with the server's message for a 422", async () => {
    const f = fakeFetch([jsonResponse(422, { detail: "Only http:// and https:// links can be downloaded." })]);
    const client = createClient({ getToken: () => "tok", fetch: f.fn });
    const err = await client.createDownload("ftp://x").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.message).toBe("Only http:// and https:// links can be downloaded.");
  });

  it("reports Retry-After on 429", async () => {
    const f = fakeFetch([jsonResponse(429, { detail: "Too many attempts." }, { "Retry-After": "42" })]);
    const client = createClient({ getToken: () => null, fetch: f.fn });
    const err = await client.login("a", "b").catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(42);
  });

  it("calls onUnauthorized for a 401 on an authenticated request", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch([jsonResponse(401, { detail: "Token expired" })]);
    const client = createClient({ getToken: () => "tok", onUnauthorized, fetch: f.fn });
    await expect(client.listPlugins()).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it("does not sign out on a failed sign-in or a wrong current password", async () => {
    const onUnauthorized = vi.fn();
    const f = fakeFetch([jsonResponse(401, { detail: "Incorrect username or password." }), jsonResponse(401, { detail: "Wrong password." })]);
    const client = createClient({ getToken: () => "tok", onUnauthorized, fetch: f.fn });
    await expect(client.login("a", "b")).rejects.toMatchObject({ message: "Incorrect username or password." });
    await expect(
      client.changePassword({ current_password: "x", new_password: "yyyyyyyy", revoke_other_sessions: true }),
    ).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("turns a network failure into a readable ApiError with status 0", async () => {
    const client = createClient({
      getToken: () => null,
      fetch: (async () => {
        throw new TypeError("Failed to fetch");
      }) as unknown as typeof fetch,
    });
    await expect(client.health()).rejects.toMatchObject({ status: 0, message: expect.stringContaining("Cannot reach") });
  });

  it("escapes plugin names in paths and sends multipart uploads without a content type", async () => {
    const f = fakeFetch([jsonResponse(200, { name: "a b" }), jsonResponse(201, { name: "x" })]);
    const client = createClient({ getToken: () => "tok", fetch: f.fn });
    await client.setPluginEnabled("a b", false);
    expect(f.calls[0].url).toBe("/api/admin/plugins/a%20b");
    await client.uploadPlugin(new Blob([new Uint8Array([0, 97, 115, 109])]), "x.wasm");
    expect(f.calls[1].init.body).toBeInstanceOf(FormData);
    expect((f.calls[1].init.headers as Record<string, string>)["Content-Type"]).toBeUndefined();
    expect(((f.calls[1].init.body as FormData).get("file") as File).name).toBe("x.wasm");
  });
});
