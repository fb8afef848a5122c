import { describe, expect, it, vi } from "vitest";
import { backoffDelay, openEventStream, type LiveEvent, type StreamState } from "../src/api/sse";

describe("backoffDelay", () => {
  it("doubles from one second up to a 30 second cap", () => {
    const mid = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffDelay(n, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
  it("jitters within ±20 %", () => {
    expect(backoffDelay(0, () => 0)).toBe(800);
    expect(backoffDelay(0, () => 1)).toBe(1200);
  });
});

function streamResponse(chunks: string[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const enc = new TextEncoder();
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
  return new Response(body, { status, headers: { "Content-Type": "text/event-stream" } });
}

describe("openEventStream", () => {
  it("sends the bearer token, delivers events, and reconnects with backoff after the stream ends", async () => {
    const calls: RequestInit[] = [];
    const fetchMock = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) => {
      calls.push(init!);
      return streamResponse(['id: 7\nevent: down', 'load\ndata: {"id":', "3}\n\n"]);
    });
    const scheduled: number[] = [];
    const events: string[] = [];
    const states: StreamState[] = [];
    const onOpen = vi.fn();
    let reconnect: (() => void) | null = null;
    const stop = openEventStream({
      url: "/api/downloads/events",
      getToken: () => "tok",
      onOpen,
      onEvent: (e) => events.push(e.data),
      onStateChange: (s) => states.push(s),
      fetch: fetchMock as unknown as typeof fetch,
      random: () => 0.5,
      setTimeout: (fn, ms) => {
        scheduled.push(ms);
        reconnect = fn;
        return 1;
      },
      clearTimeout: () => {},
    });
    await vi.waitFor(() => expect(scheduled.length).toBe(1));
    expect(events).toEqual(['{"id":3}']);
    expect(onOpen).toHaveBeenCalledOnce();
    expect((calls[0].headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(states).toEqual(["connecting", "open", "reconnecting"]);
    expect(scheduled[0]).toBe(1000);
    reconnect!();
    await vi.waitFor(() => expect(scheduled.length).toBe(2));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(events).toHaveLength(2);
    expect(onOpen).toHaveBeenCalledTimes(2); // every reconnect: the page refetches
    stop();
    expect(states.at(-1)).toBe("closed");
  });

  it("backs off further while the server is unreachable", async () => {
    const scheduled: number[] = [];
    let reconnect: (() => void) | null = null;
    const stop = openEventStream({
      url: "/e",
      getToken: () => "tok",
      onEvent: () => {},
      fetch: (async () => {
        throw new TypeError("network down");
      }) as unknown as typeof fetch,
      random: () => 0.5,
      setTimeout: (fn, ms) => {
        scheduled.push(ms);
        reconnect = fn;
        return 1;
      },
      clearTimeout: () => {},
    });
    for (let i = 1; i <= 3; i++) {
      await vi.waitFor(() => expect(scheduled.length).toBe(i));
      reconnect!();
    }
    await vi.waitFor(() => expect(scheduled.length).toBe(4));
    expect(scheduled).toEqual([1000, 2000, 4000, 8000]);
    stop();
  });

  it("stops and reports 401 instead of retrying", async () => {
    const onUnauthorized = vi.fn();
    const schedule = vi.fn();
    openEventStream({
      url: "/e",
      getToken: () => "expired",
      onEvent: () => {},
      onUnauthorized,
      fetch: (async () => new Response('{"detail":"Token expired"}', { status: 401 })) as unknown as typeof fetch,
      setTimeout: schedule,
      clearTimeout: () => {},
    });
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalledOnce());
    expect(schedule).not.toHaveBeenCalled();
  });

  it("does not connect without a token", async () => {
    const fetchMock = vi.fn();
    const states: StreamState[] = [];
    openEventStream({
      url: "/e",
      getToken: () => null,
      onEvent: () => {},
      onStateChange: (s) => states.push(s),
      fetch: fetchMock as unknown as typeof fetch,
    });
    await Promise.resolve();
    expect(fetchMock).not.toHaveBeenCalled();
    expect(states).toEqual(["closed"]);
  });
});

describe("openEventStream parsing (eventsource-parser)", () => {
  it("delivers event type, id and data; comments, retry and unnamed events as the format says", async () => {
    const events: LiveEvent[] = [];
    const scheduled: number[] = [];
    openEventStream({
      url: "/e",
      getToken: () => "tok",
      onEvent: (e) => events.push(e),
      fetch: (async () =>
        streamResponse([
          "retry: 5000\n: keep-alive\n\n",
          'id: 41\r\nevent: download\r\ndata: {"id":1}\r\n\r\n',
          "event: resync\ndata: {}\n\n",
          "data: a\ndata: b\n\n",
          "data: unfinished",
        ])) as unknown as typeof fetch,
      random: () => 0.5,
      setTimeout: (_fn, ms) => scheduled.push(ms),
      clearTimeout: () => {},
    });
    await vi.waitFor(() => expect(scheduled).toHaveLength(1));
    expect(events).toEqual([
      { event: "download", id: "41", data: '{"id":1}' },
      { event: "resync", id: null, data: "{}" },
      { event: "message", id: null, data: "a\nb" },
    ]);
    // The server's retry: is a floor under the backoff.
    expect(scheduled[0]).toBe(5000);
  });
});
