import { describe, expect, it } from "vitest";
import type { Download, Page } from "../src/api/types";
import { applyUpdate, deletedId, fileKind, isDownload, mayJoin, removeFromPage, splitError } from "../src/lib/downloads";

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
  it("replaces an item on the page", () => {
    const p = applyUpdate(pageOf([dl(2), dl(1)]), dl(1, { status: "completed" }))!;
    expect(p.items.map((d) => [d.id, d.status])).toEqual([[2, "pending"], [1, "completed"]]);
  });

  it("answers null for an item not on the page: the caller decides whether to refetch", () => {
    expect(applyUpdate(pageOf([dl(3), dl(2)]), dl(4))).toBeNull();
  });

  it("drops an item the server reports deleted", () => {
    const start = { ...pageOf([dl(3), dl(2), dl(1)]), total: 4, pages: 2 };
    const p = removeFromPage(start, 2)!;
    expect(p.items.map((d) => d.id)).toEqual([3, 1]);
    expect(p.total).toBe(3);
    expect(p.pages).toBe(1);
    expect(removeFromPage(p, 2)).toBeNull();
  });

  it("reads the id of a deleted event and nothing else", () => {
    expect(deletedId({ id: 7 })).toBe(7);
    expect(deletedId({ id: "7" })).toBeNull();
    expect(deletedId(null)).toBeNull();
  });

  it("reads fields the server sends as null or leaves out alike", () => {
    const { title: _t, progress: _p, ...absent } = dl(5);
    expect(applyUpdate(pageOf([dl(5)]), absent)!.items[0].title ?? null).toBeNull();
  });
});

describe("mayJoin", () => {
  it("is true unless the item fails the status filter", () => {
    expect(mayJoin(dl(1), all)).toBe(true);
    expect(mayJoin(dl(1, { status: "failed" }), { ...all, status: "completed" })).toBe(false);
    expect(mayJoin(dl(1, { status: "failed" }), { ...all, status: "failed" })).toBe(true);
  });
});

describe("isDownload", () => {
  it("accepts what the stream sends and rejects anything else", () => {
    expect(isDownload(dl(1))).toBe(true);
    expect(isDownload({ id: "1", url: "x", status: "pending" })).toBe(false);
    expect(isDownload(null)).toBe(false);
    expect(isDownload([])).toBe(false);
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
