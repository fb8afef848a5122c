import { describe, expect, it, vi } from "vitest";
import { createClient } from "../src/api/client";

const BASE = "http://nas.test";

function recorder(status: number, body: unknown) {
  const calls: { url: string; method: string; body: string; auth: string | null }[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    if (!(input instanceof Request)) throw new Error("expected a Request");
    calls.push({
      url: input.url.replace(BASE, ""),
      method: input.method,
      body: input.body === null ? "" : await input.text(),
      auth: input.headers.get("Authorization"),
    });
    return new Response(status === 204 ? null : JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  }) as unknown as typeof globalThis.fetch;
  return { client: createClient({ baseUrl: BASE, getToken: () => "tok", fetch }), calls };
}

describe("webhooks and media servers", () => {
  it("uses the caller's own routes or the admin's global ones", async () => {
    const own = recorder(201, { id: 1 });
    await own.client.createWebhook("user", { url: "https://hook.example/x", events: ["completed"] });
    expect(own.calls[0]).toMatchObject({ url: "/api/webhooks", method: "POST", auth: "Bearer tok" });
    expect(JSON.parse(own.calls[0].body)).toEqual({ url: "https://hook.example/x", events: ["completed"] });

    const global = recorder(200, []);
    await global.client.webhookDeliveries("global", 7);
    expect(global.calls[0]).toMatchObject({ url: "/api/admin/webhooks/7/deliveries", method: "GET" });

    const gone = recorder(204, null);
    await gone.client.deleteWebhook("user", 3);
    expect(gone.calls[0]).toMatchObject({ url: "/api/webhooks/3", method: "DELETE" });
  });

  it("saves a media server by kind and tests its connection", async () => {
    const saved = recorder(200, { kind: "jellyfin" });
    await saved.client.saveMediaServer("jellyfin", { base_url: "http://jf.lan", library_path: "/music", secret: "k", enabled: true });
    expect(saved.calls[0]).toMatchObject({ url: "/api/admin/media-servers/jellyfin", method: "PUT" });

    const tested = recorder(200, { ok: false, status: null, summary: "could not connect" });
    const result = await tested.client.testMediaServer("subsonic");
    expect(tested.calls[0]).toMatchObject({ url: "/api/admin/media-servers/subsonic/test", method: "POST" });
    expect(result.summary).toBe("could not connect");
  });
});
