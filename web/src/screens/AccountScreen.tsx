import { useState, type FormEvent } from "react";
import type { ApiClient } from "../api/client";
import type { TokenResponse, User } from "../api/types";
import { describeError, passwordProblem } from "../lib/errors";
import { formatDateTime } from "../lib/format";
import { DefaultFormat } from "../components/DefaultFormat";
import { WebhookSettings } from "./WebhookSettings";

interface Props {
  client: ApiClient;
  user: User;
  onSignOut: () => void;
  onNewToken: (token: TokenResponse) => void;
}

export function AccountScreen({ client, user, onSignOut, onNewToken }: Props) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [revokeOthers, setRevokeOthers] = useState(true);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: "info" | "error"; text: string } | null>(null);

  async function changePassword(e: FormEvent) {
    e.preventDefault();
    const problem = passwordProblem(next);
    if (problem) {
      setMessage({ kind: "error", text: problem });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const token = await client.changePassword({
        current_password: current,
        new_password: next,
        revoke_other_sessions: revokeOthers,
      });
      onNewToken(token);
      setCurrent("");
      setNext("");
      setMessage({ kind: "info", text: "Password changed." });
    } catch (err) {
      setMessage({ kind: "error", text: describeError(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="stack-lg">
      <section className="card" aria-labelledby="account-heading">
        <h1 id="account-heading">Account</h1>
        <dl className="details">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Name</dt>
          <dd>{user.full_name ?? "—"}</dd>
          <dt>Email</dt>
          <dd className="break">
            {/* A long address wraps after the @ rather than before its last letter. */}
            {user.email.split("@").map((part, i) => (
              <span key={i}>
                {i > 0 && (
                  <>
                    @<wbr />
                  </>
                )}
                {part}
              </span>
            ))}
          </dd>
          <dt>Role</dt>
          <dd>{user.is_admin ? "Admin" : "Listener"}</dd>
          <dt>Member since</dt>
          <dd>{formatDateTime(user.created_at)}</dd>
        </dl>
        <button type="button" className="primary sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </section>

      <DefaultFormat client={client} user={user} />

      <section className="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <form className="stack" onSubmit={changePassword}>
          <label>
            Current password
            <input
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </label>
          <label>
            New password
            <input
              type="password"
              autoComplete="new-password"
              required
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={revokeOthers} onChange={(e) => setRevokeOthers(e.target.checked)} />
            Sign out my other devices
          </label>
          {message && (
            <p className={`message ${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>
              {message.text}
            </p>
          )}
          <button type="submit" className="secondary" disabled={busy}>
            {busy ? "Saving…" : "Change password"}
          </button>
        </form>
      </section>

      <WebhookSettings client={client} scope="user" />
    </div>
  );
}
