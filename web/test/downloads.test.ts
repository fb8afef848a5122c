import { describe, expect, it } from "vitest";
import type { Download, Page } from "../src/api/types";
import { applyUpdate, fileKind, splitError } from "../src/lib/downloads";

function dl(id: number, extra: Partial<Download> = {}): Download {
  return {
    id,
    url: `https://a.example/${id}`,
    plugin: "direct-media",
    title: null,
    artist: null,
    album: null,
    duration: null,
    format: "best",
    status: "pending",
    progress: null,
    file_path: null,
    file_size: null,
    error: null,
    attempts: 0,
    parent_id: null,
    created_at: "2026-01-01T00:00:00Z",
    started_at: null,
    completed_at: null,
    ...extra,
  };
}

const pageOf = (items: Download[], per_page = 3): Page<Download> => ({ items, total: items.length, page: 1, per_page, pages: 1 });
const all = { page: 1, status: "" as const, q: "" };

describe("applyUpdate", () => {
  it("replaces an item already shown", () => {
    const p = applyUpdate(pageOf([dl(2), dl(1)]), dl(1, { status: "completed" }), all)!;
    expect(p.items.map((d) => [d.id, d.status])).toEqual([[2, "pending"], [1, "completed"]]);
  });

  it("adds a new item at the top of an unfiltered first page, keeping the page size", () => {
    const p = applyUpdate(pageOf([dl(3), dl(2), dl(1)]), dl(4), all)!;
    expect(p.items.map((d) => d.id)).toEqual([4, 3, 2]);
    expect(p.total).toBe(4);
    expect(p.pages).toBe(2);
  });

  it("leaves filtered or later pages alone", () => {
    const start = pageOf([dl(1)]);
    expect(applyUpdate(start, dl(9), { ...all, page: 2 })).toBe(start);
    expect(applyUpdate(start, dl(9), { ...all, q: "x" })).toBe(start);
    expect(applyUpdate(start, dl(9), { ...all, status: "failed" })).toBe(start);
    expect(applyUpdate(start, dl(9, { status: "failed" }), { ...all, status: "failed" })!.items[0].id).toBe(9);
  });

  it("drops an item the server reports deleted, and never adds one", () => {
    const start = { ...pageOf([dl(3), dl(2), dl(1)]), total: 4, pages: 2 };
    const p = applyUpdate(start, dl(2, { status: "deleted" }), all)!;
    expect(p.items.map((d) => d.id)).toEqual([3, 1]);
    expect(p.total).toBe(3);
    expect(p.pages).toBe(1);
    // Already gone (a reload beat the event): nothing changes, nothing comes back.
    expect(applyUpdate(p, dl(2, { status: "deleted" }), all)).toBe(p);
  });

  it("tolerates no page yet", () => {
    expect(applyUpdate(null, dl(1), all)).toBeNull();
  });
});

describe("splitError", () => {
  it("splits message and hint on lines or a Hint: marker", () => {
    expect(splitError("Host refused (403).\nHint: open it in a browser.")).toEqual({
      message: "Host refused (403).",
      hint: "open it in a browser.",
    });
    expect(splitError("Timed out. Hint: try again later.")).toEqual({ message: "Timed out.", hint: "try again later." });
    expect(splitError("Something broke")).toEqual({ message: "Something broke", hint: null });
  });
});

describe("fileKind", () => {
  it("names the chosen format, or the finished file's type for best", () => {
    expect(fileKind(dl(1, { format: "flac", file_path: "a/b.flac" }))).toBe("FLAC");
    expect(fileKind(dl(1, { format: "best", file_path: "Artist/Song.opus" }))).toBe("OPUS");
    expect(fileKind(dl(1, { format: "best", file_path: null }))).toBe("Best");
  });
});
