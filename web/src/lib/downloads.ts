// Pure helpers for the live download list, kept out of the component so they can be tested.
import type { Download, DownloadStatus, Page } from "../api/types";

export interface ListFilters {
  page: number;
  status: DownloadStatus | "";
  q: string;
}

export function isActive(d: Pick<Download, "status">): boolean {
  return d.status === "pending" || d.status === "downloading";
}

export function canRetry(d: Pick<Download, "status">): boolean {
  return d.status === "failed" || d.status === "cancelled" || d.status === "skipped";
}

/** What retrying means for this download: a skipped one is downloaded although the library
 * has it. */
export function retryLabel(d: Pick<Download, "status">): string {
  return d.status === "skipped" ? "Download anyway" : "Retry";
}

/**
 * Folds one live update into a cached page: the item on it is replaced. Returns null when the
 * item is not on the page: where it belongs (a new download, one that now matches the filter) is
 * the server's call, so the caller refetches. An item that no longer matches the status filter
 * stays until the next refetch, so it does not vanish under the pointer.
 */
export function applyUpdate(page: Page<Download>, update: Download): Page<Download> | null {
  const index = page.items.findIndex((d) => d.id === update.id);
  if (index === -1) return null;
  const items = page.items.slice();
  items[index] = update;
  return { ...page, items };
}

/** Drops a download the server reports deleted; null when it is not on the page. */
export function removeFromPage(page: Page<Download>, id: number): Page<Download> | null {
  if (!page.items.some((d) => d.id === id)) return null;
  const items = page.items.filter((d) => d.id !== id);
  const total = Math.max(0, page.total - 1);
  return { ...page, items, total, pages: Math.max(1, Math.ceil(total / page.per_page)) };
}

/** Whether an update for an item not on the page may change it (so it is worth a refetch). */
export function mayJoin(update: Pick<Download, "status">, filters: ListFilters): boolean {
  return !filters.status || filters.status === update.status;
}

/** The data of a `deleted` event: `{"id": …}`. */
export function deletedId(value: unknown): number | null {
  if (typeof value !== "object" || value === null) return null;
  const v: { id?: unknown } = value;
  return typeof v.id === "number" ? v.id : null;
}

/** A light check of what arrives on the event stream, instead of trusting `JSON.parse`. */
export function isDownload(value: unknown): value is Download {
  if (typeof value !== "object" || value === null) return false;
  const v: { id?: unknown; url?: unknown; status?: unknown } = value;
  return typeof v.id === "number" && typeof v.url === "string" && typeof v.status === "string";
}

/** "Artist — Title", falling back to the URL while the plugin has not resolved metadata yet. */
export function displayTitle(d: Pick<Download, "title" | "url">): string {
  return d.title?.trim() || d.url;
}

/** The first line of a classified error is the message; the rest (if any) is the hint. */
export function splitError(error: string): { message: string; hint: string | null } {
  const lines = error.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (lines.length <= 1) {
    const m = /^(.*?)(?:\s*(?:Hint|hint):\s*)(.+)$/.exec(error.trim());
    if (m) return { message: m[1].trim(), hint: m[2].trim() };
    return { message: error.trim(), hint: null };
  }
  return { message: lines[0], hint: lines.slice(1).join(" ").replace(/^(hint:\s*)/i, "") };
}

/** The kind of file kept: the chosen format, or for `best` the finished file's extension. */
export function fileKind(d: Pick<Download, "format" | "file_path">): string {
  if (d.format !== "best") return d.format.toUpperCase();
  const ext = /\.([a-z0-9]{2,5})$/i.exec(d.file_path ?? "")?.[1];
  return ext ? ext.toUpperCase() : "Best";
}

/** The rows a page shows: a set's tracks go inside the set's row when the set is on the page. */
export function visibleRows<T extends Pick<Download, "id" | "parent_id">>(items: T[]): T[] {
  const here = new Set(items.map((d) => d.id));
  return items.filter((d) => d.parent_id == null || !here.has(d.parent_id));
}

/** The rows that may have a file or a cover to link to, sorted (one request per set of rows). */
export function mediaIds(items: Pick<Download, "id" | "status" | "tracks">[]): number[] {
  return items
    // A set is "completed" as soon as it is listed; its cover is its first finished track's.
    .filter((d) => (d.tracks ? d.tracks.completed > 0 : d.status === "completed"))
    .map((d) => d.id)
    .sort((a, b) => a - b);
}
