// Server state: every query key and query the page reads, in one place, so mutations and the
// live stream update or invalidate exactly what they change. TanStack Query owns caching,
// deduplication, out-of-order responses and refetch-on-focus; screens only say what they show.
import { QueryClient, keepPreviousData, queryOptions, type QueryKey } from "@tanstack/react-query";
import { ApiError, type ApiClient } from "./client";
import type { AuditQuery, WebhookScope } from "./types";
import { isDownloadStatus } from "./types";
import type { ListFilters } from "../lib/downloads";

export const DOWNLOADS_PER_PAGE = 20;
/** How long signed media links are used before new ones are asked for (they last ≥ 10 min). */
export const MEDIA_LINKS_FRESH_MS = 5 * 60_000;

export const queryKeys = {
  me: ["me"] as const,
  /** Every cached page of the download list, whatever its filters. */
  downloadLists: ["downloads", "list"] as const,
  downloadList: (filters: ListFilters) => ["downloads", "list", filters] as const,
  /** A set's tracks; `["downloads", "tracks"]` is all of them. */
  tracks: (id: number) => ["downloads", "tracks", id] as const,
  allTracks: ["downloads", "tracks"] as const,
  mediaLinks: (ids: readonly number[]) => ["media-links", ids] as const,
  plugins: ["plugins"] as const,
  users: ["admin", "users"] as const,
  userPage: (page: number, perPage: number) => ["admin", "users", page, perPage] as const,
  audit: (q: Required<AuditQuery>) => ["admin", "audit", q] as const,
  webhooks: (scope: WebhookScope) => ["webhooks", scope] as const,
  deliveries: (scope: WebhookScope, id: number) => ["webhooks", scope, id, "deliveries"] as const,
  mediaServers: ["admin", "media-servers"] as const,
  tools: ["admin", "tools"] as const,
};

/** The filters a download-list key was made with (the live stream decides per cached page). */
export function listFiltersOf(key: QueryKey): ListFilters | null {
  const f: unknown = key[2];
  if (typeof f !== "object" || f === null) return null;
  const { page, status, q }: { page?: unknown; status?: unknown; q?: unknown } = f;
  if (typeof page !== "number" || typeof q !== "string") return null;
  if (status !== "" && !isDownloadStatus(status)) return null;
  return { page, status, q };
}

export const queries = {
  me: (client: ApiClient) => queryOptions({ queryKey: queryKeys.me, queryFn: ({ signal }) => client.me({ signal }) }),

  downloadList: (client: ApiClient, filters: ListFilters) =>
    queryOptions({
      queryKey: queryKeys.downloadList(filters),
      queryFn: ({ signal }) =>
        client.listDownloads(
          { page: filters.page, per_page: DOWNLOADS_PER_PAGE, status: filters.status, q: filters.q.trim() },
          { signal },
        ),
      // A new filter or page keeps showing the old list until the new one arrives.
      placeholderData: keepPreviousData,
    }),

  tracks: (client: ApiClient, id: number) =>
    queryOptions({
      queryKey: queryKeys.tracks(id),
      queryFn: ({ signal }) => client.listTracks(id, { signal }),
    }),

  /** Links for `ids` (sorted, so the same set of rows shares one request). */
  mediaLinks: (client: ApiClient, ids: readonly number[]) =>
    queryOptions({
      queryKey: queryKeys.mediaLinks(ids),
      queryFn: async ({ signal }) => {
        const set = await client.mediaLinks([...ids], { signal });
        return { expiresAt: Date.parse(set.expires_at), byId: new Map(set.items.map((l) => [l.id, l])) };
      },
      enabled: ids.length > 0,
      // The links last at least ten minutes; fetch new ones well before they end.
      staleTime: MEDIA_LINKS_FRESH_MS,
      refetchInterval: MEDIA_LINKS_FRESH_MS,
    }),

  plugins: (client: ApiClient) =>
    queryOptions({
      queryKey: queryKeys.plugins,
      queryFn: async ({ signal }) =>
        (await client.listPlugins({ signal })).sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name)),
    }),

  users: (client: ApiClient, page: number, perPage: number) =>
    queryOptions({
      queryKey: queryKeys.userPage(page, perPage),
      queryFn: ({ signal }) => client.listUsers(page, perPage, { signal }),
      placeholderData: keepPreviousData,
    }),

  tools: (client: ApiClient) =>
    queryOptions({
      queryKey: queryKeys.tools,
      queryFn: ({ signal }) => client.tools({ signal }),
    }),

  audit: (client: ApiClient, q: Required<AuditQuery>) =>
    queryOptions({
      queryKey: queryKeys.audit(q),
      queryFn: ({ signal }) => client.listAudit(q, { signal }),
      placeholderData: keepPreviousData,
    }),

  webhooks: (client: ApiClient, scope: WebhookScope) =>
    queryOptions({
      queryKey: queryKeys.webhooks(scope),
      queryFn: ({ signal }) => client.listWebhooks(scope, { signal }),
    }),

  deliveries: (client: ApiClient, scope: WebhookScope, id: number) =>
    queryOptions({
      queryKey: queryKeys.deliveries(scope, id),
      queryFn: ({ signal }) => client.webhookDeliveries(scope, id, { signal }),
      // Retries happen in the background: keep the list current while it is open.
      refetchInterval: 5_000,
    }),

  mediaServers: (client: ApiClient) =>
    queryOptions({
      queryKey: queryKeys.mediaServers,
      queryFn: ({ signal }) => client.listMediaServers({ signal }),
    }),
};

/** A 4xx will answer the same again; only network failures and 5xx are worth retrying. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
}
