// Admin → Tools: the yt-dlp (and yt-dlp-ejs, JavaScript runtime) in use, the newest release,
// and the managed yt-dlp's Update (smoke-tested on the server before it switches) and Rollback.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import { updateStepLabel, type YtdlpUpdateResult } from "../api/types";
import { describeError } from "../lib/errors";
import { formatDateTime } from "../lib/format";

/** One line saying how an update ended. */
export function describeUpdate(r: YtdlpUpdateResult): string {
  if (r.switched) {
    return `Switched to yt-dlp ${r.to_version ?? "?"}${r.from_version ? ` (was ${r.from_version})` : ""}.`;
  }
  const step = r.failed_step ? updateStepLabel(r.failed_step) : "the update";
  return `Refused at ${step}: ${r.reason ?? "no reason given"}. Nothing changed.`;
}

export function ToolsSection({ client }: { client: ApiClient }) {
  const queryClient = useQueryClient();
  const tools = useQuery(queries.tools(client));
  const [version, setVersion] = useState("");
  const [nightly, setNightly] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.tools });

  const update = useMutation({
    mutationFn: () =>
      client.updateYtdlp({ version: version.trim() || undefined, channel: nightly ? "nightly" : "stable" }),
    onSuccess: (r) => setNote(describeUpdate(r)),
    onSettled: refresh,
  });
  const rollback = useMutation({
    mutationFn: () => client.rollbackYtdlp(),
    onSuccess: (r) => setNote(`Rolled back to yt-dlp ${r.to_version}.`),
    onSettled: refresh,
  });
  const busy = update.isPending || rollback.isPending;
  const failure = update.error ?? rollback.error ?? tools.error;
  const t = tools.data;

  return (
    <section className="stack" aria-labelledby="tools-heading">
      <h2 id="tools-heading">Tools</h2>
      {failure && (
        <p className="message error" role="alert">
          {describeError(failure)}
        </p>
      )}
      {!t && !failure && <p className="muted">Loading…</p>}
      {t && (
        <dl className="card">
          <dt>yt-dlp</dt>
          <dd>
            {t.ytdlp_version ?? "not running"} {t.active.id ? "(managed)" : "(from the tool folder)"}
          </dd>
          <dt>Newest release</dt>
          <dd>{t.newest_ytdlp ?? "unknown (package index not reachable)"}</dd>
          <dt>yt-dlp-ejs</dt>
          <dd>{t.ejs_version ?? "missing"}</dd>
          <dt>JavaScript runtime</dt>
          <dd>{t.js_runtime_version ?? "missing"}</dd>
          <dt>Previous</dt>
          <dd>{t.previous ? (t.previous.version ?? "unknown version") : "none"}</dd>
          {t.last_update && (
            <>
              <dt>Last update</dt>
              <dd>
                {describeUpdate(t.last_update)} <span className="muted small">{formatDateTime(t.last_update.at)}</span>
              </dd>
            </>
          )}
        </dl>
      )}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          setNote(null);
          update.mutate();
        }}
      >
        <label>
          Version <input value={version} onChange={(e) => setVersion(e.target.value)} placeholder="newest" maxLength={64} />
        </label>
        <label>
          <input type="checkbox" checked={nightly} onChange={(e) => setNightly(e.target.checked)} /> Nightly
        </label>
        <button type="submit" disabled={busy || t?.updating}>
          {update.isPending ? "Updating…" : "Update"}
        </button>
        <button
          type="button"
          disabled={busy || t?.updating || !t?.previous}
          onClick={() => {
            setNote(null);
            rollback.mutate();
          }}
        >
          {rollback.isPending ? "Rolling back…" : "Roll back"}
        </button>
      </form>
      {note && (
        <p className="message" role="status">
          {note}
        </p>
      )}
      <p className="muted small">
        An update installs into a new environment and switches only when a test listing and download pass; running
        downloads keep their yt-dlp.
      </p>
    </section>
  );
}
