import { afterEach, describe, expect, it } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { createLiveCache, type LiveCache } from "../src/api/live";
import { queryKeys } from "../src/api/queries";
import type { Download, DownloadStatus, Page, TrackList } from "../src/api/types";

const dl = (id: number, status: DownloadStatus, percent?: number): Download => ({
  id,
  url: `https://media.example/${id}`,
  format: "best",
  status,
  attempts: 1,
  created_at: "2026-01-01T00:00:00Z",
  progress: percent === undefined ? null : { phase: "downloading", percent },
});
const pageOf = (items: Download[]): Page<Download> => ({ items, total: items.length, page: 1, per_page: 20, pages: 1 });
const event = (d: Download) => ({ event: "download", id: "1", data: JSON.stringify(d) });
const filters = { page: 1, status: "" as const, q: "" };

let live: LiveCache | null = null;
afterEach(() => live?.dispose());

/** A list query whose fetches the test answers by hand. */
function setup() {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const answers: ((page: Page<Download>) => void)[] = [];
  const observe = () =>
    queryClient.fetchQuery({
      queryKey: queryKeys.downloadList(filters),
      queryFn: () => new Promise<Page<Download>>((resolve) => answers.push(resolve)),
    });
  live = createLiveCache(queryClient);
  const shown = () => queryClient.getQueryData<Page<Download>>(queryKeys.downloadList(filters));
  return { queryClient, answers, observe, shown, live };
}

describe("createLiveCache", () => {
  it("re-applies events that arrived while the list was being fetched", async () => {
    const { answers, observe, shown, live } = setup();
    const first = observe();
    answers[0](pageOf([dl(1, "downloading", 10)]));
    await first;
    // A refetch starts (e.g. on reconnect); the server reads the list, then the download completes.
    const second = observe();
    live.handle(event(dl(1, "completed")));
    expect(shown()!.items[0].status).toBe("completed");
    answers[1](pageOf([dl(1, "downloading", 90)])); // older than the event
    await second;
    expect(shown()!.items[0].status).toBe("completed");
  });

  it("ignores malformed events and progress of items shown nowhere after the first refetch", async () => {
    const { queryClient, answers, observe, live } = setup();
    const first = observe();
    answers[0](pageOf([dl(1, "completed")]));
    await first;
    live.handle({ event: "download", id: "2", data: "{not json" });
    live.handle({ event: "download", id: "3", data: '{"id":"x"}' });
    expect(queryClient.getQueryState(queryKeys.downloadList(filters))!.isInvalidated).toBe(false);
    live.handle(event(dl(9, "downloading", 1))); // unknown: refetch
    expect(queryClient.getQueryState(queryKeys.downloadList(filters))!.isInvalidated).toBe(true);
  });

  it("removes a download the server reports deleted from every cached page", async () => {
    const { queryClient, answers, observe, shown, live } = setup();
    const first = observe();
    answers[0](pageOf([dl(2, "completed"), dl(1, "failed")]));
    await first;
    live.handle({ event: "deleted", id: "4", data: '{"id":2}' });
    expect(shown()!.items.map((d) => d.id)).toEqual([1]);
    expect(shown()!.total).toBe(1);
    live.handle({ event: "deleted", id: "5", data: '{"id":"x"}' });
    expect(shown()!.items.map((d) => d.id)).toEqual([1]);
    expect(queryClient.getQueryState(queryKeys.downloadList(filters))!.isInvalidated).toBe(false);
  });

  it("keeps a set's cached track list current, and refreshes the set's summary when a track's status changes", async () => {
    const { queryClient, answers, observe, live } = setup();
    const first = observe();
    const track = { ...dl(11, "downloading", 10), parent_id: 10 };
    answers[0](pageOf([dl(10, "completed"), track]));
    await first;
    queryClient.setQueryData(queryKeys.tracks(10), { items: [track], total: 1 });
    live.handle(event({ ...track, progress: { phase: "downloading", percent: 50 } }));
    const tracks = () => queryClient.getQueryData<TrackList>(queryKeys.tracks(10))!;
    expect(tracks().items[0].progress?.percent).toBe(50);
    // A progress tick is no reason to reload the list; the track finishing is (N of M).
    expect(queryClient.getQueryState(queryKeys.downloadList(filters))!.isInvalidated).toBe(false);
    live.handle(event({ ...track, status: "completed", progress: null }));
    expect(tracks().items[0].status).toBe("completed");
    expect(queryClient.getQueryState(queryKeys.downloadList(filters))!.isInvalidated).toBe(true);
    // A track the cached list does not have yet: that list is fetched again.
    live.handle(event({ ...dl(12, "pending"), parent_id: 10 }));
    expect(queryClient.getQueryState(queryKeys.tracks(10))!.isInvalidated).toBe(true);
  });
});
