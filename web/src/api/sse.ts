// The authenticated event stream: `GET /api/downloads/events` over `fetch`, because the
// endpoint needs the `Authorization` header, which `EventSource` cannot send (and a token in
// the URL would end up in logs). `eventsource-parser` parses the text/event-stream format;
// what is hand-written here is only the connection loop — connect, report (re)connects,
// back off, stop on 401 — about 60 lines that libraries like @microsoft/fetch-event-source
// would replace with their own, less fitting, retry and page-visibility rules.
import { createParser } from "eventsource-parser";

/** One event as delivered: `event` defaults to "message", as in the EventSource API. */
export interface LiveEvent {
  event: string;
  data: string;
  id: string | null;
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
  onEvent: (event: LiveEvent) => void;
  /** The stream is (again) connected: events sent while it was down are lost, so refetch. */
  onOpen?: () => void;
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
  /** The server's `retry:` field, in milliseconds: a floor for the next delay. */
  let serverRetry = 0;

  const setState = (state: StreamState) => options.onStateChange?.(state);
  const parser = createParser({
    onEvent: (e) => {
      if (!stopped) options.onEvent({ event: e.event ?? "message", data: e.data, id: e.id ?? null });
    },
    onRetry: (ms) => {
      serverRetry = ms;
    },
  });

  const retryLater = () => {
    if (stopped) return;
    setState("reconnecting");
    const delay = Math.max(serverRetry, backoffDelay(attempt, options.random));
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
    parser.reset();
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
      options.onOpen?.();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done || stopped) break;
        parser.feed(value);
      }
    } catch {
      /* a dropped connection or a network error: retried below */
    }
    retryLater();
  }

  void connect();

  return () => {
    stopped = true;
    if (timer !== null) unschedule(timer);
    controller?.abort();
    setState("closed");
  };
}
