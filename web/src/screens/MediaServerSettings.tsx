// Admin: the media servers told to rescan when music arrives (Navidrome/Subsonic, Jellyfin),
// with "Test connection", which shows what the server answered. The password or API key is
// write-only: leave it empty to keep the stored one.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import {
  MEDIA_SERVER_KINDS,
  mediaServerLabel,
  type ConnectionTest,
  type MediaServer,
  type MediaServerKind,
} from "../api/types";
import { describeError } from "../lib/errors";

export function MediaServerSettings({ client }: { client: ApiClient }) {
  const list = useQuery(queries.mediaServers(client));
  return (
    <section className="stack" aria-labelledby="media-servers-heading">
      <h2 id="media-servers-heading">Media servers</h2>
      <p className="small muted">
        One rescan when an album has finished, or when singles stop arriving for 30 seconds. The library path is the
        media server's path for this server's download folder.
      </p>
      {list.error && (
        <p className="message error" role="alert">
          {describeError(list.error)}
        </p>
      )}
      {list.data &&
        MEDIA_SERVER_KINDS.map((kind) => (
          <MediaServerForm key={kind} client={client} kind={kind} saved={list.data.find((s) => s.kind === kind)} />
        ))}
    </section>
  );
}

function MediaServerForm({ client, kind, saved }: { client: ApiClient; kind: MediaServerKind; saved?: MediaServer }) {
  const queryClient = useQueryClient();
  const [baseUrl, setBaseUrl] = useState(saved?.base_url ?? "");
  const [username, setUsername] = useState(saved?.username ?? "");
  const [secret, setSecret] = useState("");
  const [libraryPath, setLibraryPath] = useState(saved?.library_path ?? "/music");
  const [libraryId, setLibraryId] = useState(saved?.library_id != null ? String(saved.library_id) : "");
  const [enabled, setEnabled] = useState(saved?.enabled ?? true);
  const [tested, setTested] = useState<ConnectionTest | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.mediaServers });

  const save = useMutation({
    mutationFn: () =>
      client.saveMediaServer(kind, {
        base_url: baseUrl.trim(),
        username: kind === "subsonic" ? username.trim() : undefined,
        secret: secret || undefined,
        library_path: libraryPath.trim(),
        // Navidrome's library number: scans then name just the folders that changed.
        library_id: kind === "subsonic" && libraryId.trim() ? Number(libraryId) : undefined,
        enabled,
      }),
    onSuccess: () => {
      setSecret("");
      void refresh();
    },
  });
  const remove = useMutation({ mutationFn: () => client.deleteMediaServer(kind), onSuccess: () => void refresh() });
  const test = useMutation({ mutationFn: () => client.testMediaServer(kind), onSuccess: setTested });

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate();
  }

  const failure = save.error ?? remove.error ?? test.error;
  const headingId = `media-server-${kind}`;
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby={headingId}>
      <h3 id={headingId}>{mediaServerLabel(kind)}</h3>
      <label>
        Server URL
        <input type="url" required placeholder="http://…" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
      </label>
      {kind === "subsonic" && (
        <label>
          User (Navidrome: an admin)
          <input autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
      )}
      <label>
        {kind === "subsonic" ? "Password" : "API key"}
        {saved?.has_secret ? " (stored; leave empty to keep it)" : ""}
        <input type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
      </label>
      <label>
        Library path on the media server
        <input required value={libraryPath} onChange={(e) => setLibraryPath(e.target.value)} />
      </label>
      {kind === "subsonic" && (
        <label>
          Library number (Navidrome; optional: scan only the new folders)
          <input
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            value={libraryId}
            onChange={(e) => setLibraryId(e.target.value)}
          />
        </label>
      )}
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Rescan when music arrives
      </label>
      {failure && (
        <p className="message error" role="alert">
          {describeError(failure)}
        </p>
      )}
      {tested && (
        <p className={`message ${tested.ok ? "info" : "error"}`} role="status">
          {tested.ok ? "Connected" : "Not connected"}
          {tested.status !== null ? ` · HTTP ${tested.status}` : ""}
          {tested.summary ? ` · ${tested.summary}` : ""}
        </p>
      )}
      <div className="badges">
        <button type="submit" className="secondary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
        {saved && (
          <>
            <button type="button" className="secondary" disabled={test.isPending} onClick={() => test.mutate()}>
              {test.isPending ? "Testing…" : "Test connection"}
            </button>
            <button type="button" className="secondary danger" disabled={remove.isPending} onClick={() => remove.mutate()}>
              Remove
            </button>
          </>
        )}
      </div>
    </form>
  );
}
