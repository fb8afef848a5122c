// @vitest-environment jsdom
// The album view: a set's row shows its cover, N of M progress and, behind an accessible
// disclosure button, its tracks; a completed track plays in the page's one player through a
// signed link. Against a fake server, as DownloadsScreen.test.tsx does.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createClient } from "../src/api/client";
import type { Download, Page } from "../src/api/types";
import { DownloadsScreen } from "../src/screens/DownloadsScreen";
import { summaryText } from "../src/components/SetTracks";
import { mediaIds, visibleRows } from "../src/lib/downloads";

afterEach(cleanup);

// jsdom has no media playback: count the page's requests to play instead.
let plays = 0;
beforeEach(() => {
  plays = 0;
  window.HTMLMediaElement.prototype.play = () => {
    plays += 1;
    return Promise.resolve();
  };
});

function dl(id: number, extra: Partial<Download> = {}): Download {
  return { id, url: `https://media.example/${id}`, format: "best", status: "completed", attempts: 1, created_at: "2026-01-01T00:00:00Z", ...extra };
}
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8" } });

const album = dl(10, {
  url: "https://media.example/feed.xml",
  title: "Night Songs",
  album: "Night Songs",
  tracks: { total: 3, completed: 2, failed: 0, cancelled: 0, skipped: 0, active: 1 },
});
const tracks = [
  dl(11, { parent_id: 10, title: "Dusk", artist: "The Owls", track_number: 1, file_path: "The Owls/Night Songs/01 - Dusk.mp3", duration: 61 }),
  dl(12, { parent_id: 10, title: "Midnight", artist: "The Owls", track_number: 2, file_path: "The Owls/Night Songs/02 - Midnight.mp3" }),
  dl(13, { parent_id: 10, title: "Dawn", artist: "The Owls", track_number: 3, status: "downloading" }),
];
const failedTrack = dl(14, { parent_id: 10, title: "Noon", track_number: 4, status: "failed", error: "Host refused (403)." });

function fakeServer() {
  const requests: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const body = request.body ? await request.text() : "";
    requests.push(`${request.method} ${url.pathname}${body ? ` ${body}` : ""}`);
    if (url.pathname === "/api/downloads/events") return new Response(new ReadableStream(), { headers: { "Content-Type": "text/event-stream" } });
    if (url.pathname === "/api/downloads") {
      // The flat history: the set and its tracks, newest first.
      const items = [...tracks].reverse().concat(album);
      const page: Page<Download> = { items, total: items.length, page: 1, per_page: 20, pages: 1 };
      return json(200, page);
    }
    if (url.pathname === "/api/downloads/10/tracks") return json(200, { items: [...tracks, failedTrack], total: tracks.length + 1 });
    if (url.pathname === "/api/downloads/14/retry") return json(200, { ...failedTrack, status: "pending", error: null });
    if (url.pathname === "/api/downloads/media-links") {
      const ids: number[] = JSON.parse(body).ids;
      return json(200, {
        expires_at: "2030-01-01T00:00:00Z",
        items: ids.map((id) => ({ id, file_url: `/api/downloads/${id}/file?token=t${id}`, cover_url: `/api/downloads/${id}/cover?token=t${id}` })),
      });
    }
    return json(404, { detail: "Not found" });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

function renderScreen(server: ReturnType<typeof fakeServer>) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const client = createClient({ baseUrl: "http://nas.test", getToken: () => "tok", fetch: server.fetch });
  render(
    <QueryClientProvider client={queryClient}>
      <DownloadsScreen client={client} token="tok" />
    </QueryClientProvider>,
  );
}

describe("album view", () => {
  it("shows the set once, with its cover from the server and N of M progress; its tracks are not rows of their own", async () => {
    const server = fakeServer();
    renderScreen(server);
    const list = await screen.findByRole("list", { name: "Downloads" });
    await within(list).findByText("Night Songs", { selector: "strong" });
    expect(list.querySelectorAll(":scope > li")).toHaveLength(1);
    expect(screen.getByText("2 of 3 tracks done · 1 to go")).toBeTruthy();
    expect(screen.getByRole("progressbar", { name: "Tracks of Night Songs done" })).toBeTruthy();
    await waitFor(() => expect(list.querySelector("img.cover")?.getAttribute("src")).toBe("/api/downloads/10/cover?token=t10&v=2"));
    // Decorative beside the title it illustrates.
    expect(list.querySelector("img.cover")?.getAttribute("alt")).toBe("");
  });

  it("opens its tracks with a disclosure button and plays a completed one in the page", async () => {
    const server = fakeServer();
    renderScreen(server);
    const toggle = await screen.findByRole("button", { name: "Show tracks (3)" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(server.requests.some((r) => r.includes("/tracks"))).toBe(false); // loaded when opened
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const trackList = await screen.findByRole("list", { name: "Tracks of Night Songs" });
    expect(toggle.getAttribute("aria-controls")).toBe(trackList.parentElement?.id);
    const items = within(trackList).getAllByRole("listitem");
    expect(items.map((li) => li.querySelector(".track-title")?.textContent)).toEqual(["Dusk", "Midnight", "Dawn", "Noon"]);
    // Only completed tracks can be played.
    expect(within(items[2]).queryByRole("button")).toBeNull();
    expect(within(items[2]).getByText(/Downloading/)).toBeTruthy();
    // A failed track is retried from here (its own row is hidden while the set is shown).
    fireEvent.click(within(items[3]).getByRole("button", { name: "Retry Noon" }));
    await waitFor(() => expect(server.requests).toContain("POST /api/downloads/14/retry"));

    fireEvent.click(within(items[0]).getByRole("button", { name: "Play Dusk" }));
    const player = await screen.findByRole("region", { name: "Player" });
    const audio = await waitFor(() => {
      const el = player.querySelector("audio");
      expect(el?.getAttribute("src")).toBe("/api/downloads/11/file?token=t11");
      return el!;
    });
    expect(audio.hasAttribute("controls")).toBe(true);
    await waitFor(() => expect(plays).toBe(1)); // it starts at once: the click asked for it
    expect(within(player).getByText("Dusk")).toBeTruthy();
    expect(server.requests).toContain('POST /api/downloads/media-links {"ids":[11]}');

    // One player: another track replaces the first.
    fireEvent.click(within(items[1]).getByRole("button", { name: "Play Midnight" }));
    await waitFor(() => expect(player.querySelector("audio")?.getAttribute("src")).toBe("/api/downloads/12/file?token=t12"));
    expect(screen.getAllByRole("region", { name: "Player" })).toHaveLength(1);
    fireEvent.click(within(player).getByRole("button", { name: "Close player" }));
    expect(screen.queryByRole("region", { name: "Player" })).toBeNull();
  });
});

describe("album helpers", () => {
  it("summarises a set's tracks", () => {
    expect(summaryText({ total: 1, completed: 1, failed: 0, cancelled: 0, skipped: 0, active: 0 })).toBe("1 of 1 track done");
    expect(summaryText({ total: 5, completed: 2, failed: 1, cancelled: 1, skipped: 0, active: 1 })).toBe("2 of 5 tracks done · 1 to go · 1 failed · 1 cancelled");
    expect(summaryText({ total: 3, completed: 1, failed: 0, cancelled: 0, skipped: 2, active: 0 })).toBe(
      "3 of 3 tracks done · 2 already in library",
    );
  });

  it("keeps tracks whose set is on another page, and links only what may have media", () => {
    const rows = visibleRows([tracks[0], album, dl(20, { parent_id: 99 })]);
    expect(rows.map((d) => d.id)).toEqual([10, 20]);
    const listed = { ...album, id: 30, tracks: { total: 2, completed: 0, failed: 0, cancelled: 0, skipped: 0, active: 2 } };
    expect(mediaIds([dl(3), dl(1, { status: "failed" }), album, listed, dl(2, { status: "pending" })])).toEqual([3, 10]);
  });
});
