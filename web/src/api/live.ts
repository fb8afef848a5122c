// Live download updates into the query cache. The stream's contract: `event: download` carries
// the full download, `event: deleted` carries `{"id": …}` of one that left the history (each with
// an increasing SSE `id`); `event: resync` says the server dropped events for this client. Events sent while disconnected are lost, so every (re)connect and
// every `resync` refetches the lists; a `download` event updates the item where it is cached
// and refetches a list it may now belong to. A set's track also updates the set's cached track
// list, and a track's new status refetches the lists (the set's summary on its row changed).
import { useEffect, useState } from "react";
import { useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import type { ApiClient } from "./client";
import type { LiveEvent, StreamState } from "./sse";
import type { Download, Page, TrackList } from "./types";
import { queryKeys, listFiltersOf } from "./queries";
import { applyUpdate, deletedId, isDownload, mayJoin, removeFromPage } from "../lib/downloads";

export interface LiveCache {
  /** Everything cached may be stale: refetch the download lists. */
  resync: () => void;
  handle: (event: LiveEvent) => void;
  dispose: () => void;
}

/**
 * Applies stream events to the cached download lists.
 *
 * One race is handled here: a refetch (started on connect, say) returns the list as it was when
 * the server read it, which can be older than events that arrived while the request was in
 * flight, e.g. the `completed` event of a download that then shows `downloading` forever. Events
 * received during a list's fetch are therefore applied again, in order, to the fetched page.
 */
export function createLiveCache(queryClient: QueryClient): LiveCache {
  /** Events received while a list (by query hash) was fetching. */
  const duringFetch = new Map<string, Download[]>();
  /** The last status seen for items not on any cached page: progress ticks need no refetch. */
  const lastStatus = new Map<number, string>();

  const resync = () => {
    lastStatus.clear();
    // A fetch already in flight may have read the list before the stream (re)opened; TanStack
    // would share it rather than start another, so cancel it first: the list must be read after.
    const lists = { queryKey: queryKeys.downloadLists };
    void queryClient.cancelQueries(lists).then(() => queryClient.invalidateQueries(lists));
  };

  const apply = (d: Download) => {
    const stale: QueryKey[] = [];
    // What this download's status was before this event, wherever it was last seen.
    let previous: string | undefined = lastStatus.get(d.id);
    for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.downloadLists })) {
      if (query.state.fetchStatus === "fetching") {
        const buffered = duringFetch.get(query.queryHash);
        if (buffered) buffered.push(d);
        else duringFetch.set(query.queryHash, [d]);
      }
      const filters = listFiltersOf(query.queryKey);
      const page = queryClient.getQueryData<Page<Download>>(query.queryKey);
      if (!page || !filters) continue;
      previous ??= page.items.find((x) => x.id === d.id)?.status;
      const next = applyUpdate(page, d);
      if (next) queryClient.setQueryData(query.queryKey, next);
      else if (mayJoin(d, filters) && lastStatus.get(d.id) !== d.status) stale.push(query.queryKey);
    }
    if (d.parent_id != null) {
      previous ??= queryClient.getQueryData<TrackList>(queryKeys.tracks(d.parent_id))?.items.find((x) => x.id === d.id)?.status;
    }
    const statusChanged = previous !== d.status;
    lastStatus.set(d.id, d.status);
    if (d.parent_id != null) {
      applyToTracks(d, d.parent_id);
      // The set's "N of M" lives on its own row: a track that finishes changes it.
      if (statusChanged) for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.downloadLists })) stale.push(query.queryKey);
    }
    for (const queryKey of new Set(stale)) void queryClient.invalidateQueries({ queryKey, exact: true });
  };

  /** A track's update goes into its set's cached track list; a new track refetches it. */
  const applyToTracks = (d: Download, parentId: number) => {
    const key = queryKeys.tracks(parentId);
    const list = queryClient.getQueryData<TrackList>(key);
    if (!list) return;
    const index = list.items.findIndex((t) => t.id === d.id);
    if (index === -1) return void queryClient.invalidateQueries({ queryKey: key, exact: true });
    const items = list.items.slice();
    items[index] = d;
    queryClient.setQueryData<TrackList>(key, { ...list, items });
  };

  const remove = (id: number) => {
    lastStatus.delete(id);
    for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.downloadLists })) {
      const page = queryClient.getQueryData<Page<Download>>(query.queryKey);
      const next = page && removeFromPage(page, id);
      if (next) queryClient.setQueryData(query.queryKey, next);
      // A page fetched meanwhile may still hold it: the next refetch settles that.
    }
  };

  const unsubscribe = queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== "updated") return;
    const buffered = duringFetch.get(event.query.queryHash);
    if (!buffered) return;
    if (event.action.type === "error") duringFetch.delete(event.query.queryHash);
    if (event.action.type !== "success" || event.action.manual) return;
    duringFetch.delete(event.query.queryHash);
    const fetched = queryClient.getQueryData<Page<Download>>(event.query.queryKey);
    if (!fetched) return;
    const replayed = buffered.reduce((page, d) => applyUpdate(page, d) ?? page, fetched);
    if (replayed !== fetched) queryClient.setQueryData(event.query.queryKey, replayed);
  });

  return {
    resync,
    handle(event) {
      if (event.event === "resync") return resync();
      if (event.event !== "download" && event.event !== "deleted") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        return; // a malformed event is skipped; the next refetch corrects the list
      }
      if (event.event === "deleted") {
        const id = deletedId(parsed);
        if (id !== null) remove(id);
      } else if (isDownload(parsed)) apply(parsed);
    },
    dispose() {
      unsubscribe();
      duringFetch.clear();
    },
  };
}

/**
 * Keeps the live stream open while mounted and returns its state. It reconnects only when the
 * token changes (the client and query client are stable): handlers live inside the effect, so a
 * re-render of the page never restarts the stream.
 */
export function useLiveDownloads(client: ApiClient, token: string): StreamState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<StreamState>("connecting");
  useEffect(() => {
    const live = createLiveCache(queryClient);
    const stop = client.downloadEvents({ onOpen: live.resync, onEvent: live.handle, onStateChange: setState });
    return () => {
      stop();
      live.dispose();
    };
    // `token` is read through the client; it is a dependency so a new token reconnects.
  }, [client, queryClient, token]);
  return state;
}
