// Plugins: the list for everyone; enable/disable, remove and upload for admins.
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import type { User } from "../api/types";
import { describeError } from "../lib/errors";
import { formatDateTime } from "../lib/format";

interface Props {
  client: ApiClient;
  user: User;
}

const SOURCES: Record<string, string> = {
  built_in: "built in",
  directory: "plugin folder",
  upload: "uploaded",
};

/** An admin action on one plugin (`name`, or "__upload"), with the line shown when it worked. */
interface PluginAction {
  name: string;
  run: () => Promise<unknown>;
  done: string;
}

export function PluginsScreen({ client, user }: Props) {
  const queryClient = useQueryClient();
  const list = useQuery(queries.plugins(client));
  const plugins = list.data;
  const [formError, setFormError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const action = useMutation({
    mutationFn: (a: PluginAction) => a.run(),
    onMutate: () => {
      setFormError(null);
      setInfo(null);
    },
    onSuccess: (_, a) => setInfo(a.done),
    // Busy until the list shows the change.
    onSettled: async () => {
      setRemoving(null);
      await queryClient.invalidateQueries({ queryKey: queryKeys.plugins });
    },
  });
  const busy = action.isPending ? action.variables.name : null;
  const shownError = formError ?? (action.error ? describeError(action.error) : list.error ? describeError(list.error) : null);

  function run(name: string, run: () => Promise<unknown>, done: string) {
    action.mutate({ name, run, done });
  }

  function upload(e: FormEvent) {
    e.preventDefault();
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setFormError("Choose a .wasm file first.");
      return;
    }
    run(
      "__upload",
      async () => {
        const p = await client.uploadPlugin(file);
        if (fileInput.current) fileInput.current.value = "";
        return p;
      },
      `Uploaded ${file.name}.`,
    );
  }

  return (
    <div className="stack-lg">
      <section className="stack" aria-labelledby="plugins-heading">
        <h1 id="plugins-heading">Plugins</h1>
        <p className="muted small">
          Extractors decide which links can be downloaded. The highest priority plugin that matches a link handles it.
        </p>
        {shownError && (
          <p className="message error" role="alert">
            {shownError}
          </p>
        )}
        {info && (
          <p className="message info" role="status">
            {info}
          </p>
        )}
        {!plugins && !shownError && <p className="muted">Loading…</p>}
        {plugins && plugins.length === 0 && <p className="muted">No plugins are loaded.</p>}
        {plugins && plugins.length > 0 && (
          <ul className="list" aria-label="Plugins">
            {plugins.map((p) => (
              <li key={p.name} className="card plugin" data-plugin={p.name} data-enabled={p.enabled}>
                <div className="dl-head">
                  <div className="dl-title">
                    <strong>
                      {p.name} <span className="muted small">v{p.version}</span>
                    </strong>
                    <span className="small">{p.description}</span>
                  </div>
                  <span className={`badge ${p.enabled ? "status-completed" : "status-cancelled"}`}>
                    {p.enabled ? "enabled" : "disabled"}
                  </span>
                </div>
                <p className="small muted">
                  {SOURCES[p.source] ?? p.source} · priority {p.priority} · interface {p.interface_version} · loaded{" "}
                  {formatDateTime(p.loaded_at)}
                </p>
                {p.last_error && (
                  <div className="error-box small" role="note">
                    <strong>Last error:</strong> {p.last_error}
                  </div>
                )}
                <details>
                  <summary>Patterns and hosts</summary>
                  <dl className="details">
                    <dt>Patterns</dt>
                    <dd>
                      {p.patterns.length ? (
                        <ul className="plain">
                          {p.patterns.map((x) => (
                            <li key={x}>
                              <code>{x}</code>
                            </li>
                          ))}
                        </ul>
                      ) : (
                        "—"
                      )}
                    </dd>
                    <dt>Hosts</dt>
                    <dd>{p.hosts.length ? p.hosts.join(", ") : "none"}</dd>
                    <dt>SHA-256</dt>
                    <dd className="break">
                      <code>{p.sha256}</code>
                    </dd>
                  </dl>
                </details>
                {user.is_admin && (
                  <div className="actions">
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy !== null}
                      onClick={() =>
                        run(
                          p.name,
                          () => client.setPluginEnabled(p.name, !p.enabled),
                          `${p.name} ${p.enabled ? "disabled" : "enabled"}.`,
                        )
                      }
                      aria-label={`${p.enabled ? "Disable" : "Enable"} ${p.name}`}
                    >
                      {p.enabled ? "Disable" : "Enable"}
                    </button>
                    {removing === p.name ? (
                      <>
                        <button
                          type="button"
                          className="danger"
                          disabled={busy !== null}
                          onClick={() => run(p.name, () => client.removePlugin(p.name), `${p.name} removed.`)}
                        >
                          Remove {p.name}
                        </button>
                        <button type="button" className="link" onClick={() => setRemoving(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button
                        type="button"
                        className="secondary danger"
                        disabled={busy !== null}
                        onClick={() => setRemoving(p.name)}
                        aria-label={`Remove ${p.name}…`}
                      >
                        Remove…
                      </button>
                    )}
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      {user.is_admin && (
        <section className="card" aria-labelledby="upload-heading">
          <h2 id="upload-heading">Upload a plugin</h2>
          <form className="stack" onSubmit={upload}>
            <label>
              WebAssembly component (.wasm)
              <input ref={fileInput} type="file" name="file" accept=".wasm,application/wasm" />
            </label>
            <p className="hint">A plugin with the same name replaces the loaded one once it passes its checks.</p>
            <button type="submit" className="primary" disabled={busy !== null}>
              {busy === "__upload" ? "Uploading…" : "Upload"}
            </button>
          </form>
        </section>
      )}
    </div>
  );
}
