import { useState, type FormEvent } from "react";
import type { ApiClient } from "../api/client";
import type { TokenResponse } from "../api/types";
import type { Notice } from "../App";
import { describeError, passwordProblem } from "../lib/errors";
import { linkClick } from "../lib/router";

interface Props {
  client: ApiClient;
  mode: "signin" | "register";
  notice: Notice | null;
  onSignedIn: (token: TokenResponse, remember: boolean) => void;
}

export function AuthScreen({ client, mode, notice, onSignedIn }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const shown = error ? { kind: "error" as const, text: error } : info ? { kind: "info" as const, text: info } : notice;

  async function signIn(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await client.login(username.trim(), password);
      onSignedIn(token, remember);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  async function register(e: FormEvent) {
    e.preventDefault();
    const problem = passwordProblem(password);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await client.register({
        username: username.trim(),
        email: email.trim(),
        password,
        ...(fullName.trim() ? { full_name: fullName.trim() } : {}),
      });
      setInfo("Account created — sign in to continue.");
      setPassword("");
      window.history.pushState(null, "", "/signin");
      window.dispatchEvent(new PopStateEvent("popstate"));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const isRegister = mode === "register";
  return (
    <div className="auth-card card">
      <div className="auth-brand">
        <img src="/icon.svg" alt="" width="48" height="48" />
        <h1>NAS Music Downloader</h1>
      </div>
      <h2>{isRegister ? "Create an account" : "Sign in"}</h2>
      {shown && (
        <p className={`message ${shown.kind}`} role={shown.kind === "error" ? "alert" : "status"}>
          {shown.text}
        </p>
      )}
      <form className="stack" onSubmit={isRegister ? register : signIn} noValidate={false}>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        {isRegister && (
          <>
            <label>
              Email
              <input
                name="email"
                type="email"
                autoComplete="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
              />
            </label>
            <label>
              Full name <span className="muted">(optional)</span>
              <input
                name="full_name"
                autoComplete="name"
                value={fullName}
                onChange={(e) => setFullName(e.target.value)}
              />
            </label>
          </>
        )}
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={isRegister ? "new-password" : "current-password"}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-describedby={isRegister ? "pw-hint" : undefined}
          />
        </label>
        {isRegister && (
          <p id="pw-hint" className="hint">
            8 to 72 bytes.
          </p>
        )}
        {!isRegister && (
          <label className="check">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
            Remember me on this device
          </label>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : isRegister ? "Create account" : "Sign in"}
        </button>
      </form>
      <p className="switch">
        {isRegister ? (
          <>
            Already have an account?{" "}
            <a href="/signin" onClick={(e) => { setError(null); setInfo(null); linkClick("/signin")(e); }}>
              Sign in
            </a>
          </>
        ) : (
          <>
            New here?{" "}
            <a href="/register" onClick={(e) => { setError(null); setInfo(null); linkClick("/register")(e); }}>
              Create an account
            </a>
          </>
        )}
      </p>
    </div>
  );
}
