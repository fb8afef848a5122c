// An album, playlist or feed: how many of its tracks are done, and its tracks behind a
// disclosure button (loaded when first opened, then kept current by the live stream). Each
// completed track can be played in the page's player; a failed or cancelled one retried.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import { statusLabel, type Download, type TrackSummary } from "../api/types";
import { canRetry, displayTitle, retryLabel } from "../lib/downloads";
import { describeError } from "../lib/errors";
import { formatClock } from "../lib/format";
import { usePlay } from "../lib/player";

/** Tracks that are in the library: downloaded now, or already there. */
export function tracksDone(s: TrackSummary): number {
  return s.completed + s.skipped;
}

/** "3 of 5 tracks done · 1 already in library · 1 failed". */
export function summaryText(s: TrackSummary): string {
  return [
    `${tracksDone(s)} of ${s.total} ${s.total === 1 ? "track" : "tracks"} done`,
    s.skipped ? `${s.skipped} already in library` : null,
    s.active ? `${s.active} to go` : null,
    s.failed ? `${s.failed} failed` : null,
    s.cancelled ? `${s.cancelled} cancelled` : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

export function SetProgress({ set }: { set: Download }) {
  const s = set.tracks;
  if (!s) return null;
  return (
    <div className="progress">
      <progress max={Math.max(1, s.total)} value={tracksDone(s)} aria-label={`Tracks of ${displayTitle(set)} done`} />
      <p className="small progress-text">{summaryText(s)}</p>
    </div>
  );
}

export function SetTracks({ client, set }: { client: ApiClient; set: Download }) {
  const [open, setOpen] = useState(false);
  const tracks = useQuery({ ...queries.tracks(client, set.id), enabled: open });
  const play = usePlay();
  const queryClient = useQueryClient();
  // A set's tracks are not rows of their own while the set is on the page: retry lives here.
  const retry = useMutation({
    mutationFn: (id: number) => client.retryDownload(id),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.tracks(set.id) }),
        queryClient.invalidateQueries({ queryKey: queryKeys.downloadLists }),
      ]),
  });
  const listId = `tracks-${set.id}`;
  const title = displayTitle(set);
  const total = set.tracks?.total ?? 0;

  return (
    <div className="set-tracks">
      <button
        type="button"
        className="secondary"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen(!open)}
      >
        {open ? "Hide tracks" : `Show tracks (${total})`}
      </button>
      {open && (
        <div id={listId} className="tracks-panel">
          {tracks.isPending && <p className="small muted">Loading tracks…</p>}
          {tracks.error && (
            <p className="message error" role="alert">
              {describeError(tracks.error)}
            </p>
          )}
          {retry.error && (
            <p className="message error" role="alert">
              {describeError(retry.error)}
            </p>
          )}
          {tracks.data && tracks.data.items.length === 0 && <p className="small muted">No tracks listed yet.</p>}
          {tracks.data && tracks.data.items.length > 0 && (
            <ol className="tracks" aria-label={`Tracks of ${title}`}>
              {tracks.data.items.map((t, i) => {
                const name = displayTitle(t);
                const details = [t.artist, t.duration != null ? formatClock(t.duration) : null].filter(Boolean).join(" · ");
                return (
                  <li key={t.id} className="track" data-id={t.id} data-status={t.status}>
                    <span className="track-no" aria-hidden="true">
                      {t.track_number ?? i + 1}
                    </span>
                    <span className="track-text">
                      <span className="track-title">{name}</span>
                      <span className="small muted">
                        {details}
                        {details && t.status !== "completed" ? " · " : ""}
                        {t.status !== "completed" ? statusLabel(t.status) : ""}
                      </span>
                    </span>
                    {t.status === "completed" && play && (
                      <button
                        type="button"
                        className="secondary icon-button"
                        aria-label={`Play ${name}`}
                        onClick={() => play({ id: t.id, title: name, subtitle: [t.artist, t.album ?? set.title].filter(Boolean).join(" — ") })}
                      >
                        ▶
                      </button>
                    )}
                    {canRetry(t) && (
                      <button
                        type="button"
                        className="secondary"
                        aria-label={t.status === "skipped" ? `Download ${name} anyway` : `Retry ${name}`}
                        disabled={retry.isPending}
                        onClick={() => retry.mutate(t.id)}
                      >
                        {retryLabel(t)}
                      </button>
                    )}
                  </li>
                );
              })}
            </ol>
          )}
        </div>
      )}
    </div>
  );
}
