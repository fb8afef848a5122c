// Webhooks: the signed-in user's own (Account screen) or the global ones (Admin screen):
// list, add, delete, and each one's latest deliveries. Secrets are write-only: the server
// only says whether one is set.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import { WEBHOOK_EVENTS, webhookEventLabel, type Webhook, type WebhookEvent, type WebhookScope } from "../api/types";
import { describeError } from "../lib/errors";
import { formatRelative } from "../lib/format";

interface Props {
  client: ApiClient;
  scope: WebhookScope;
}

export function WebhookSettings({ client, scope }: Props) {
  const queryClient = useQueryClient();
  const list = useQuery(queries.webhooks(client, scope));
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["completed", "album_completed"]);
  const refresh = () => queryClient.invalidateQueries({ queryKey: queryKeys.webhooks(scope) });

  const create = useMutation({
    mutationFn: () => client.createWebhook(scope, { url: url.trim(), events, secret: secret || undefined }),
    onSuccess: () => {
      setUrl("");
      setSecret("");
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => client.deleteWebhook(scope, id),
    onSuccess: () => void refresh(),
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate();
  }

  const failure = create.error ?? remove.error ?? list.error;
  const headingId = `webhooks-${scope}-heading`;
  return (
    <section className="card stack" aria-labelledby={headingId}>
      <h2 id={headingId}>{scope === "global" ? "Global webhooks" : "Webhooks"}</h2>
      <p className="small muted">
        {scope === "global"
          ? "A signed JSON POST for every user's downloads."
          : "A signed JSON POST to your URL when your downloads end."}{" "}
        The payload schema is in the README.
      </p>
      {failure && (
        <p className="message error" role="alert">
          {describeError(failure)}
        </p>
      )}
      {list.data && list.data.length === 0 && <p className="muted">No webhooks yet.</p>}
      {list.data && list.data.length > 0 && (
        <ul className="list" aria-label={scope === "global" ? "Global webhooks" : "Your webhooks"}>
          {list.data.map((hook) => (
            <WebhookItem
              key={hook.id}
              client={client}
              scope={scope}
              hook={hook}
              busy={remove.isPending && remove.variables === hook.id}
              onDelete={() => remove.mutate(hook.id)}
            />
          ))}
        </ul>
      )}
      <form className="stack" onSubmit={submit}>
        <label>
          URL
          <input type="url" required placeholder="https://…" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          Secret (optional; signs each delivery)
          <input type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} />
        </label>
        <fieldset className="stack">
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((event) => (
            <label key={event} className="check">
              <input
                type="checkbox"
                checked={events.includes(event)}
                onChange={(e) =>
                  setEvents((now) => (e.target.checked ? [...now, event] : now.filter((x) => x !== event)))
                }
              />
              {webhookEventLabel(event)}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="secondary" disabled={create.isPending || events.length === 0}>
          {create.isPending ? "Adding…" : "Add webhook"}
        </button>
      </form>
    </section>
  );
}

function WebhookItem({
  client,
  scope,
  hook,
  busy,
  onDelete,
}: {
  client: ApiClient;
  scope: WebhookScope;
  hook: Webhook;
  busy: boolean;
  onDelete: () => void;
}) {
  const [open, setOpen] = useState(false);
  const deliveries = useQuery({ ...queries.deliveries(client, scope, hook.id), enabled: open });
  return (
    <li className="card" data-webhook={hook.id}>
      <div className="dl-head">
        <div className="dl-title">
          <strong className="break">{hook.url}</strong>
          <span className="small muted">
            {hook.events.map(webhookEventLabel).join(" · ")}
            {hook.has_secret ? " · signed" : ""}
            {hook.enabled ? "" : " · disabled"}
          </span>
        </div>
        <span className="badges">
          <button type="button" className="secondary" onClick={() => setOpen(!open)} aria-expanded={open}>
            {open ? "Hide deliveries" : "Last deliveries"}
          </button>
          <button type="button" className="danger" disabled={busy} onClick={onDelete}>
            Delete
          </button>
        </span>
      </div>
      {open && deliveries.data && deliveries.data.length === 0 && <p className="small muted">Nothing sent yet.</p>}
      {open && deliveries.data && deliveries.data.length > 0 && (
        <ul className="small" aria-label="Last deliveries">
          {deliveries.data.map((d) => (
            <li key={d.id}>
              <span className={`badge status-${d.status === "delivered" ? "completed" : d.status === "failed" ? "failed" : "pending"}`}>
                {d.status}
              </span>{" "}
              {webhookEventLabel(d.event)} · {d.attempts} attempt{d.attempts === 1 ? "" : "s"}
              {d.last_status_code !== null ? ` · HTTP ${d.last_status_code}` : ""}
              {d.last_error ? ` · ${d.last_error}` : ""} · {formatRelative(d.created_at)}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
