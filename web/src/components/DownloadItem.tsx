import { useState } from "react";
import type { ApiClient } from "../api/client";
import type { Download } from "../api/types";
import { canRetry, displayTitle, fileKind, isActive, retryLabel, splitError } from "../lib/downloads";
import { formatBytes, formatClock, formatDateTime, formatEta, formatPercent, formatRelative, formatSpeed } from "../lib/format";
import { usePlay } from "../lib/player";
import { Cover } from "./Cover";
import { SetProgress, SetTracks } from "./SetTracks";

interface Props {
  client: ApiClient;
  download: Download;
  /** The signed link to its cover, once the page has one. */
  coverUrl?: string;
  busy: boolean;
  /** Cancel was asked for while it ran; the worker is stopping it. */
  cancelling?: boolean;
  onCancel: () => void;
  onRetry: () => void;
  onDelete: (deleteFile: boolean) => void;
}

const PHASES: Record<string, string> = {
  resolving: "Resolving",
  downloading: "Downloading",
  converting: "Converting",
  tagging: "Tagging",
  finalizing: "Finalizing",
};

function ProgressLine({ d }: { d: Download }) {
  if (d.status === "pending") return <p className="muted small">Waiting in queue…</p>;
  const p = d.progress;
  const percent = p?.percent ?? (p?.total_bytes && p.downloaded_bytes != null ? (100 * p.downloaded_bytes) / p.total_bytes : null);
  const parts = [
    p?.phase ? PHASES[p.phase] ?? p.phase : "Starting",
    percent !== null ? formatPercent(percent) : null,
    p?.downloaded_bytes != null && (p.downloaded_bytes > 0 || p.total_bytes)
      ? p.total_bytes
        ? `${formatBytes(p.downloaded_bytes)} of ${formatBytes(p.total_bytes)}`
        : formatBytes(p.downloaded_bytes)
      : null,
    p?.speed != null ? formatSpeed(p.speed) : null,
    p?.eta != null ? formatEta(p.eta) : null,
  ].filter(Boolean);
  return (
    <div className="progress">
      <progress
        max={100}
        value={percent ?? undefined}
        aria-label={`Progress of ${displayTitle(d)}`}
      />
      <p className="small progress-text">{parts.join(" · ")}</p>
    </div>
  );
}

export function DownloadItem({ client, download: d, coverUrl, busy, cancelling = false, onCancel, onRetry, onDelete }: Props) {
  const [open, setOpen] = useState(false);
  const play = usePlay();
  const isSet = d.tracks != null;
  // A set's cover is its first finished track's: ask again (a new URL, past any cached 404)
  // as more tracks finish.
  const coverSrc = coverUrl && isSet ? `${coverUrl}&v=${d.tracks?.completed ?? 0}` : coverUrl;
  const [confirming, setConfirming] = useState(false);
  const detailsId = `dl-details-${d.id}`;
  const error = d.error ? splitError(d.error) : null;
  // An album's own row is titled by the album: do not repeat it.
  const subtitle = [d.artist, d.album !== d.title ? d.album : null].filter(Boolean).join(" — ");

  return (
    <li
      className={`card dl${isSet ? " dl-set" : ""}`}
      data-status={d.status}
      data-id={d.id}
      data-url={d.url}
      aria-busy={busy || undefined}
    >
      <div className="dl-head">
        {(isSet || d.status === "completed") && <Cover src={coverSrc} size={isSet ? "large" : "thumb"} />}
        <div className="dl-title">
          <strong>{displayTitle(d)}</strong>
          {subtitle && <span className="small">{subtitle}</span>}
          {d.title && (
            <span className="small muted url" title={d.url}>
              {d.url}
            </span>
          )}
        </div>
        <span className={`badge status-${d.status}`}>{d.status}</span>
      </div>

      {isSet && <SetProgress set={d} />}
      {isActive(d) && !isSet && <ProgressLine d={d} />}
      {d.status === "completed" && !isSet && (
        <p className="small muted">
          {[fileKind(d), formatBytes(d.file_size), d.duration != null ? formatClock(d.duration) : null, formatRelative(d.completed_at)]
            .filter(Boolean)
            .join(" · ")}
        </p>
      )}
      {error && d.status === "failed" && (
        <div className="error-box small" role="note">
          <strong>{error.message}</strong>
          {error.hint && <span> {error.hint}</span>}
        </div>
      )}

      {isSet && <SetTracks client={client} set={d} />}

      <div className="actions">
        {d.status === "completed" && d.file_path && play && (
          <button
            type="button"
            className="primary"
            aria-label={`Play ${displayTitle(d)}`}
            onClick={() => play({ id: d.id, title: displayTitle(d), subtitle: subtitle || undefined })}
          >
            ▶ Play
          </button>
        )}
        <button
          type="button"
          className="secondary"
          aria-expanded={open}
          aria-controls={detailsId}
          onClick={() => setOpen(!open)}
        >
          {open ? "Hide details" : "Details"}
        </button>
        {isActive(d) && (
          <button type="button" className="secondary" disabled={busy || cancelling} onClick={onCancel}>
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {canRetry(d) && (
          <button type="button" className="secondary" disabled={busy} onClick={onRetry}>
            {retryLabel(d)}
          </button>
        )}
        {!isActive(d) && !confirming && (
          <button type="button" className="secondary danger" disabled={busy} onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </div>
      {confirming && (
        <div className="confirm" role="group" aria-label={`Delete ${displayTitle(d)}`}>
          <span className="small">Remove from history:</span>
          <div className="actions">
            <button type="button" className="secondary" disabled={busy} onClick={() => onDelete(false)}>
              Keep file
            </button>
            {d.file_path && (
              <button type="button" className="danger" disabled={busy} onClick={() => onDelete(true)}>
                Delete file too
              </button>
            )}
            <button type="button" className="link" onClick={() => setConfirming(false)}>
              Back
            </button>
          </div>
        </div>
      )}

      {open && (
        <dl className="details" id={detailsId}>
          <dt>Title</dt>
          <dd>{d.title ?? "—"}</dd>
          <dt>Artist</dt>
          <dd>{d.artist ?? "—"}</dd>
          <dt>Album</dt>
          <dd>{d.album ?? "—"}</dd>
          <dt>Duration</dt>
          <dd>{formatClock(d.duration)}</dd>
          <dt>Format</dt>
          <dd>{d.format === "best" ? `best available${d.file_path ? ` (${fileKind(d)})` : ""}` : d.format}</dd>
          <dt>Source</dt>
          <dd className="break">
            <a href={d.url} target="_blank" rel="noreferrer noopener">
              {d.url}
            </a>
          </dd>
          <dt>Plugin</dt>
          <dd>{d.plugin ?? "—"}</dd>
          <dt>File</dt>
          <dd className="break">{d.file_path ?? "—"}</dd>
          <dt>Size</dt>
          <dd>{formatBytes(d.file_size)}</dd>
          <dt>Attempts</dt>
          <dd>{d.attempts}</dd>
          {d.parent_id != null && (
            <>
              <dt>Playlist job</dt>
              <dd>#{d.parent_id}</dd>
            </>
          )}
          <dt>Requested</dt>
          <dd>{formatDateTime(d.created_at)}</dd>
          <dt>Started</dt>
          <dd>{formatDateTime(d.started_at)}</dd>
          <dt>Finished</dt>
          <dd>{formatDateTime(d.completed_at)}</dd>
          {d.error && (
            <>
              <dt>Error</dt>
              <dd className="break">{d.error}</dd>
            </>
          )}
        </dl>
      )}
    </li>
  );
}
