// Admin: user accounts (enable/disable, admin rights), the audit log, the hand-off (global
// webhooks and media-server rescans), and the download tools.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queries, queryKeys } from "../api/queries";
import { AUDIT_ACTIONS, isAuditAction, type AuditAction, type Page, type User, type UserUpdate } from "../api/types";
import { Pager } from "../components/Pager";
import { describeError } from "../lib/errors";
import { formatDateTime, formatRelative } from "../lib/format";
import { linkClick } from "../lib/router";
import { MediaServerSettings } from "./MediaServerSettings";
import { WebhookSettings } from "./WebhookSettings";
import { ToolsSection } from "./ToolsSection";

interface Props {
  client: ApiClient;
  user: User;
  tab: "users" | "audit" | "handoff" | "tools";
}

export function AdminScreen({ client, user, tab }: Props) {
  return (
    <div className="stack-lg">
      <h1>Admin</h1>
      <nav className="subtabs" aria-label="Admin sections">
        <a href="/admin" onClick={linkClick("/admin")} aria-current={tab === "users" ? "page" : undefined}>
          Users
        </a>
        <a href="/admin/audit" onClick={linkClick("/admin/audit")} aria-current={tab === "audit" ? "page" : undefined}>
          Audit log
        </a>
        <a
          href="/admin/hand-off"
          onClick={linkClick("/admin/hand-off")}
          aria-current={tab === "handoff" ? "page" : undefined}
        >
          Webhooks &amp; rescans
        </a>
        <a href="/admin/tools" onClick={linkClick("/admin/tools")} aria-current={tab === "tools" ? "page" : undefined}>
          Tools
        </a>
      </nav>
      {tab === "users" && <Users client={client} me={user} />}
      {tab === "audit" && <Audit client={client} />}
      {tab === "handoff" && (
        <>
          <WebhookSettings client={client} scope="global" />
          <MediaServerSettings client={client} />
        </>
      )}
      {tab === "tools" && <ToolsSection client={client} />}
    </div>
  );
}

function Users({ client, me }: { client: ApiClient; me: User }) {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const list = useQuery(queries.users(client, page, 20));
  const data = list.data;

  const update = useMutation({
    mutationFn: ({ u, patch }: { u: User; patch: UserUpdate }) => client.updateUser(u.id, patch),
    onSuccess: (updated) => {
      // The changed account in every cached page of users (the audit filter's list too).
      queryClient.setQueriesData<Page<User>>({ queryKey: queryKeys.users }, (d) =>
        d ? { ...d, items: d.items.map((x) => (x.id === updated.id ? updated : x)) } : d,
      );
    },
  });
  const busy = update.isPending ? update.variables.u.id : null;
  const failure = update.error ?? list.error;
  const error = failure ? describeError(failure) : null;

  return (
    <section className="stack" aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      {error && (
        <p className="message error" role="alert">
          {error}
        </p>
      )}
      {!data && !error && <p className="muted">Loading…</p>}
      {data && (
        <ul className="list" aria-label="Users">
          {data.items.map((u) => (
            <li key={u.id} className="card user" data-username={u.username}>
              <div className="dl-head">
                <div className="dl-title">
                  <strong>
                    {u.username} {u.id === me.id && <span className="muted small">(you)</span>}
                  </strong>
                  <span className="small">{[u.full_name, u.email].filter(Boolean).join(" · ")}</span>
                  <span className="small muted">
                    Joined {formatDateTime(u.created_at)} · last sign-in {u.last_login ? formatRelative(u.last_login) : "never"}
                  </span>
                </div>
                <span className="badges">
                  {u.is_admin && <span className="badge status-downloading">admin</span>}
                  <span className={`badge ${u.is_active ? "status-completed" : "status-failed"}`}>
                    {u.is_active ? "active" : "disabled"}
                  </span>
                </span>
              </div>
              <div className="actions">
                <button
                  type="button"
                  className={u.is_active ? "secondary danger" : "secondary"}
                  disabled={busy !== null || u.id === me.id}
                  onClick={() => update.mutate({ u, patch: { is_active: !u.is_active } })}
                  aria-label={`${u.is_active ? "Disable" : "Enable"} ${u.username}`}
                >
                  {u.is_active ? "Disable" : "Enable"}
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={busy !== null || u.id === me.id}
                  onClick={() => update.mutate({ u, patch: { is_admin: !u.is_admin } })}
                  aria-label={`${u.is_admin ? "Remove admin from" : "Make admin:"} ${u.username}`}
                >
                  {u.is_admin ? "Remove admin" : "Make admin"}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      {data && <Pager label="User pages" page={data.page} pages={data.pages} total={data.total} onPage={setPage} />}
    </section>
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The details worth a line: a field the server left `null` (e.g. an unchanged flag) is skipped. */
function shownDetails(details: Record<string, unknown>): [string, unknown][] {
  return Object.entries(details).filter(([, v]) => v !== null && v !== undefined);
}

function actionLabel(action: string): string {
  return action.replace(/_/g, " ");
}

function Audit({ client }: { client: ApiClient }) {
  const [page, setPage] = useState(1);
  const [action, setAction] = useState<AuditAction | "">("");
  const [userId, setUserId] = useState<number | "">("");
  // A failure leaves the filter with only "Everyone".
  const users = useQuery(queries.users(client, 1, 100)).data?.items ?? [];
  const list = useQuery(queries.audit(client, { page, per_page: 25, action, user_id: userId }));
  const data = list.data;
  const error = list.error ? describeError(list.error) : null;

  return (
    <section className="stack" aria-labelledby="audit-heading">
      <div className="row spread">
        <h2 id="audit-heading">Audit log</h2>
        <button type="button" className="secondary" onClick={() => void list.refetch()}>
          Refresh
        </button>
      </div>
      <div className="row filters">
        <label className="inline grow">
          User
          <select
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value ? Number(e.target.value) : "");
              setPage(1);
            }}
          >
            <option value="">Everyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </label>
        <label className="inline grow">
          Action
          <select
            value={action}
            onChange={(e) => {
              setAction(isAuditAction(e.target.value) ? e.target.value : "");
              setPage(1);
            }}
          >
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="message error" role="alert">
          {error}
        </p>
      )}
      {!data && !error && <p className="muted">Loading…</p>}
      {data && data.items.length === 0 && <p className="muted">No entries match.</p>}
      {data && data.items.length > 0 && (
        <ul className="list audit" aria-label="Audit entries">
          {data.items.map((a) => (
            <li key={a.id} className="card audit-entry" data-action={a.action}>
              <div className="dl-head">
                <div className="dl-title">
                  <strong>{actionLabel(a.action)}</strong>
                  <span className="small">
                    {a.username ?? (a.user_id != null ? `user #${a.user_id}` : "anonymous")}
                    {a.ip_address ? ` · ${a.ip_address}` : ""}
                  </span>
                </div>
                <time className="small muted" dateTime={a.created_at} title={formatDateTime(a.created_at)}>
                  {formatRelative(a.created_at)}
                </time>
              </div>
              {isRecord(a.details) && shownDetails(a.details).length > 0 && (
                <dl className="details compact">
                  {shownDetails(a.details).map(([k, v]) => (
                    <div key={k} className="kv">
                      <dt>{k}</dt>
                      <dd className="break">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
                    </div>
                  ))}
                </dl>
              )}
              {a.details !== null && a.details !== undefined && !isRecord(a.details) && (
                <p className="small break">{JSON.stringify(a.details)}</p>
              )}
              {a.user_agent && (
                <p className="small muted ua" title={a.user_agent}>
                  {a.user_agent}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      {data && <Pager label="Audit pages" page={data.page} pages={data.pages} total={data.total} onPage={setPage} />}
    </section>
  );
}
