import { describe, expect, it, vi } from "vitest";
import { SseParser, backoffDelay, openEventStream, type StreamState } from "../src/api/sse";

describe("SseParser", () => {
  it("parses a download event", () => {
    const p = new SseParser();
    const events = p.push('event: download\ndata: {"id":1}\n\n');
    expect(events).toEqual([{ event: "download", data: '{"id":1}', id: null }]);
  });

  it("joins events split across arbitrary chunk boundaries", () => {
    const text = 'event: download\ndata: {"id":1,"title":"a"}\n\nevent: download\ndata: {"id":2}\n\n';
    for (let size = 1; size < text.length; size += 3) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      expect(out.map((e) => JSON.parse(e.data).id)).toEqual([1, 2]);
    }
  });

  it("accepts CRLF and lone CR line endings, even when CRLF is split", () => {
    const p = new SseParser();
    expect(p.push("data: a\r")).toEqual([]);
    expect(p.push("\n\r\n")).toEqual([{ event: "message", data: "a", id: null }]);
    expect(p.push("data: b\r\rdata: c\n\n")).toEqual([
      { event: "message", data: "b", id: null },
      { event: "message", data: "c", id: null },
    ]);
  });

  it("joins multi-line data with newlines and strips one leading space only", () => {
    const p = new SseParser();
    expect(p.push("data:one\ndata:  two\n\n")[0].data).toBe("one\n two");
  });

  it("ignores comments and keep-alives, and blank lines without data", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\n\n\n: connected\n\n")).toEqual([]);
  });

  it("remembers id and retry, resets the event type after dispatch", () => {
    const p = new SseParser();
    const [a, b] = p.push("retry: 2500\nid: 7\nevent: download\ndata: x\n\ndata: y\n\n");
    expect(a).toEqual({ event: "download", data: "x", id: "7" });
    expect(b).toEqual({ event: "message", data: "y", id: "7" });
    expect(p.retry).toBe(2500);
  });

  it("drops an unfinished event at end of stream", () => {
    const p = new SseParser();
    expect(p.push("data: partial")).toEqual([]);
    p.end();
    expect(p.push("\n\n")).toEqual([]);
  });
});

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
      return streamResponse(['event: download\ndata: {"id":', "3}\n\n"]);
    });
    const scheduled: number[] = [];
    const events: string[] = [];
    const states: StreamState[] = [];
    let reconnect: (() => void) | null = null;
    const stop = openEventStream({
      url: "/api/downloads/events",
      getToken: () => "tok",
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
    expect((calls[0].headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(states).toEqual(["connecting", "open", "reconnecting"]);
    expect(scheduled[0]).toBe(1000);
    reconnect!();
    await vi.waitFor(() => expect(scheduled.length).toBe(2));
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(events).toHaveLength(2);
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
