// @vitest-environment jsdom
// The downloads screen against a fake server: REST answers from a table, the event stream a
// ReadableStream the test writes to.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createClient } from "../src/api/client";
import type { Download, Page } from "../src/api/types";
import { DownloadsScreen } from "../src/screens/DownloadsScreen";
import { PENDING_SHARE_KEY } from "../src/lib/share";

afterEach(cleanup);

function dl(id: number, extra: Partial<Download> = {}): Download {
  // Optional fields left out, as a server may: the page must treat absent like null.
  return { id, url: `https://media.example/${id}.mp3`, format: "best", status: "completed", attempts: 1, created_at: "2026-01-01T00:00:00Z", ...extra };
}
const pageOf = (items: Download[]): Page<Download> => ({ items, total: items.length, page: 1, per_page: 20, pages: 1 });
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });

/** A fake server: `lists` are answered in turn to GET /api/downloads (the last one repeats). */
function fakeServer(o: { lists: Page<Download>[]; create?: () => Response }) {
  const requests: { method: string; url: string; body: string; auth: string | null }[] = [];
  const encoder = new TextEncoder();
  let push: (text: string) => void = () => {
    throw new Error("the stream is not open");
  };
  let listCalls = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    requests.push({
      method: request.method,
      url: url.pathname + url.search,
      body: request.body ? await request.text() : "",
      auth: request.headers.get("Authorization"),
    });
    if (url.pathname === "/api/downloads/events") {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (text) => controller.enqueue(encoder.encode(text));
        },
      });
      return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    }
    if (url.pathname === "/api/downloads" && request.method === "GET") {
      const list = o.lists[Math.min(listCalls, o.lists.length - 1)];
      listCalls += 1;
      return json(200, list);
    }
    if (url.pathname === "/api/download" && request.method === "POST") return (o.create ?? (() => json(500, {})))();
    return json(404, { detail: "Not found" });
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    listCalls: () => listCalls,
    send: (text: string) => push(text),
  };
}

function renderScreen(server: ReturnType<typeof fakeServer>) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const client = createClient({ baseUrl: "http://nas.test", getToken: () => "tok", fetch: server.fetch });
  render(
    <QueryClientProvider client={queryClient}>
      <DownloadsScreen client={client} token="tok" />
    </QueryClientProvider>,
  );
}

const rows = () => within(screen.getByRole("list", { name: "Downloads" })).getAllByRole("listitem");
const row = (id: number) => rows().find((li) => li.getAttribute("data-id") === String(id));

describe("DownloadsScreen", () => {
  it("renders the list the server answers, with the bearer token", async () => {
    const server = fakeServer({ lists: [pageOf([dl(2, { title: "Second Song", artist: "Band" }), dl(1, { status: "failed", error: "Host refused (403).\nHint: try later." })])] });
    renderScreen(server);
    await screen.findByText("Second Song");
    expect(rows().map((li) => li.getAttribute("data-status"))).toEqual(["completed", "failed"]);
    expect(within(row(1)!).getByText("Host refused (403).")).toBeTruthy();
    expect(within(row(1)!).getByRole("button", { name: "Retry" })).toBeTruthy();
    expect(screen.getByText("2 items")).toBeTruthy();
    expect(server.requests.filter((r) => r.url.startsWith("/api/downloads")).map((r) => [r.method, r.url, r.auth])).toContainEqual(
      ["GET", "/api/downloads?page=1&per_page=20", "Bearer tok"],
    );
    expect(server.requests.find((r) => r.url === "/api/downloads/events")?.auth).toBe("Bearer tok");
  });

  it("submits a link, confirms it, and refetches the list", async () => {
    const added = dl(3, { status: "pending", url: "https://media.example/new.mp3" });
    const server = fakeServer({ lists: [pageOf([dl(1)]), pageOf([dl(1)]), pageOf([added, dl(1)])], create: () => json(202, added) });
    renderScreen(server);
    await screen.findByText("● Live");
    await waitFor(() => expect(server.listCalls()).toBe(2)); // the first load and the refetch on connect
    expect(rows()).toHaveLength(1);
    fireEvent.change(screen.getByLabelText(/Link to a track/), { target: { value: " https://media.example/new.mp3 " } });
    fireEvent.click(screen.getByRole("button", { name: "Download" }));
    await screen.findByText("Added: https://media.example/new.mp3");
    expect(server.requests.find((r) => r.method === "POST" && r.url === "/api/download")).toMatchObject({
      url: "/api/download",
      // The form's format (no account default in this fake: best) is always sent.
      body: JSON.stringify({ url: "https://media.example/new.mp3", format: "best" }),
    });
    await waitFor(() => expect(rows().map((li) => li.getAttribute("data-id"))).toEqual(["3", "1"]));
    expect((screen.getByLabelText(/Link to a track/) as HTMLInputElement).value).toBe("");
  });

  it("shows the server's detail when a link is refused, and keeps the link", async () => {
    const server = fakeServer({ lists: [pageOf([])], create: () => json(422, { detail: "No enabled plugin can handle this link." }) });
    renderScreen(server);
    await screen.findByText(/No downloads yet/);
    fireEvent.change(screen.getByLabelText(/Link to a track/), { target: { value: "https://nowhere.example/x" } });
    fireEvent.click(screen.getByRole("button", { name: "Download" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("No enabled plugin can handle this link.");
    expect((screen.getByLabelText(/Link to a track/) as HTMLInputElement).value).toBe("https://nowhere.example/x");
  });

  it("applies a live download event to the item shown", async () => {
    const server = fakeServer({ lists: [pageOf([dl(1, { status: "downloading", title: "Live One", progress: { phase: "downloading", percent: 10 } })])] });
    renderScreen(server);
    await screen.findByText("Live One");
    await screen.findByText("● Live");
    expect(within(row(1)!).getByText(/Downloading · 10%/)).toBeTruthy();
    const callsBefore = server.listCalls();
    server.send(`id: 5\nevent: download\ndata: ${JSON.stringify(dl(1, { status: "downloading", title: "Live One", progress: { phase: "downloading", percent: 55 } }))}\n\n`);
    await waitFor(() => expect(within(row(1)!).getByText(/Downloading · 55%/)).toBeTruthy());
    server.send(`id: 6\nevent: download\ndata: ${JSON.stringify(dl(1, { title: "Live One", file_size: 2048 }))}\n\n`);
    await waitFor(() => expect(row(1)!.getAttribute("data-status")).toBe("completed"));
    // Updating an item that is shown needs no refetch.
    expect(server.listCalls()).toBe(callsBefore);
  });

  it("refetches the list on resync and when an unknown download appears", async () => {
    const server = fakeServer({
      lists: [pageOf([dl(1)]), pageOf([dl(1)]), pageOf([dl(2, { title: "From another tab" }), dl(1)]), pageOf([dl(2, { title: "Renamed elsewhere" }), dl(1)])],
    });
    renderScreen(server);
    await screen.findByText("● Live");
    // Connecting refetches (events sent while disconnected are lost).
    await waitFor(() => expect(server.listCalls()).toBe(2));
    server.send(`id: 9\nevent: download\ndata: ${JSON.stringify(dl(2, { status: "pending" }))}\n\n`);
    await screen.findByText("From another tab");
    expect(server.listCalls()).toBe(3);
    server.send("event: resync\ndata: {}\n\n");
    await screen.findByText("Renamed elsewhere");
    expect(server.listCalls()).toBe(4);
  });

  // SEC-47: any web site can open /share?url=…; loading it must not submit anything.
  it("prefills a shared link and submits it only when Download is pressed (sec_47)", async () => {
    const shared = "https://media.example/shared.mp3";
    window.sessionStorage.setItem(PENDING_SHARE_KEY, shared);
    const added = dl(5, { status: "pending", url: shared });
    const server = fakeServer({ lists: [pageOf([])], create: () => json(202, added) });
    renderScreen(server);
    const input = (await screen.findByLabelText(/Link to a track/)) as HTMLInputElement;
    await waitFor(() => expect(input.value).toBe(shared));
    await screen.findByText(/Shared link ready/);
    await screen.findByText("● Live");
    await waitFor(() => expect(server.listCalls()).toBeGreaterThanOrEqual(2));
    expect(server.requests.filter((r) => r.method === "POST")).toEqual([]);
    expect(window.sessionStorage.getItem(PENDING_SHARE_KEY)).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Download" }));
    fireEvent.click(screen.getByRole("button", { name: "Download" }));
    await screen.findByText(`Added: ${shared}`);
    expect(server.requests.filter((r) => r.method === "POST")).toMatchObject([
      { url: "/api/download", body: JSON.stringify({ url: shared, format: "best" }) },
    ]);
  });
});
