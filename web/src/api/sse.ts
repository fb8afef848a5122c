// Server-Sent Events over fetch: the events endpoint needs an Authorization header, which
// EventSource cannot send, and a token in the URL would end up in logs.

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/**
 * An incremental parser for the text/event-stream format (WHATWG HTML §9.2.6): feed it
 * decoded chunks as they arrive, in any split, and it returns the events completed so far.
 */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private eventType = "";
  private lastId: string | null = null;
  /** The `retry:` field the server sent last, in milliseconds. */
  retry: number | null = null;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone "\r" at the end of a chunk may be the first half of "\r\n": wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** Call at end of stream: an event without its closing blank line is dropped, as the spec says. */
  end(): void {
    this.buffer = "";
    this.data = [];
    this.eventType = "";
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      if (this.data.length === 0) {
        this.eventType = "";
        return null;
      }
      const event = { event: this.eventType || "message", data: this.data.join("\n"), id: this.lastId };
      this.data = [];
      this.eventType = "";
      return event;
    }
    if (line.startsWith(":")) return null; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.data.push(value);
        break;
      case "event":
        this.eventType = value;
        break;
      case "id":
        if (!value.includes("\0")) this.lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
    return null;
  }
}

/** Delay before reconnect attempt `attempt` (0-based): 1 s doubling to a 30 s cap, with ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(attempt, 10));
  const jitter = 0.8 + random() * 0.4;
  return Math.round(base * jitter);
}

export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

export interface StreamOptions {
  url: string;
  getToken: () => string | null;
  onEvent: (event: SseEvent) => void;
  onStateChange?: (state: StreamState) => void;
  /** The token was refused (401): stop and let the page sign out. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/** Keeps one authenticated event stream open, reconnecting with backoff. Returns a stop function. */
export function openEventStream(options: StreamOptions): () => void {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const schedule = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const unschedule =
    options.clearTimeout ?? ((h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  let stopped = false;
  let attempt = 0;
  let timer: unknown = null;
  let controller: AbortController | null = null;

  const setState = (state: StreamState) => options.onStateChange?.(state);

  const retryLater = (serverRetry: number | null) => {
    if (stopped) return;
    setState("reconnecting");
    const delay = Math.max(serverRetry ?? 0, backoffDelay(attempt, options.random));
    attempt += 1;
    timer = schedule(connect, delay);
  };

  async function connect() {
    timer = null;
    if (stopped) return;
    const token = options.getToken();
    if (!token) {
      setState("closed");
      return;
    }
    controller = new AbortController();
    setState(attempt === 0 ? "connecting" : "reconnecting");
    const parser = new SseParser();
    try {
      const response = await doFetch(options.url, {
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}` },
        signal: controller.signal,
        cache: "no-store",
      });
      if (response.status === 401) {
        stopped = true;
        setState("closed");
        options.onUnauthorized?.();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      attempt = 0;
      setState("open");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (!stopped) options.onEvent(event);
        }
      }
      parser.end();
      retryLater(parser.retry);
    } catch {
      if (stopped) return;
      retryLater(parser.retry);
    }
  }

  void connect();

  return () => {
    stopped = true;
    if (timer !== null) unschedule(timer);
    controller?.abort();
    setState("closed");
  };
}
