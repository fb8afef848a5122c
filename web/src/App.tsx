import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, createClient, type ApiClient } from "./api/client";
import { describeError } from "./lib/errors";
import { queries } from "./api/queries";
import {
  SESSION_EXPIRED_MESSAGE,
  browserStores,
  clearSession,
  createSession,
  loadSession,
  msUntilExpiry,
  saveSession,
  type StoredSession,
} from "./lib/session";
import { PENDING_SHARE_KEY, extractSharedUrl } from "./lib/share";
import { linkClick, navigate, usePath } from "./lib/router";
import { AuthScreen } from "./screens/AuthScreen";
import { DownloadsScreen } from "./screens/DownloadsScreen";
import { PluginsScreen } from "./screens/PluginsScreen";
import { AdminScreen } from "./screens/AdminScreen";
import { AccountScreen } from "./screens/AccountScreen";
import { Icon, type IconName } from "./components/Icon";

export interface Notice {
  kind: "info" | "error";
  text: string;
}

/**
 * Runs once, before the first render: a shared link is parked until there is a session, then
 * prefills the download form; it is never submitted without a click (SEC-47).
 */
function takeShareFromLocation(): Notice | null {
  if (window.location.pathname !== "/share") return null;
  const url = extractSharedUrl(new URLSearchParams(window.location.search));
  window.history.replaceState(null, "", "/");
  if (!url) return { kind: "error", text: "The shared item did not contain a link." };
  try {
    window.sessionStorage.setItem(PENDING_SHARE_KEY, url);
  } catch {
    /* storage disabled: the link is lost, but say so below */
    return { kind: "error", text: "Could not keep the shared link; paste it instead." };
  }
  return null;
}

const initial = (() => {
  const shareNotice = takeShareFromLocation();
  const loaded = loadSession(browserStores());
  const notice: Notice | null =
    shareNotice ??
    (loaded.kind === "expired" ? { kind: "info", text: SESSION_EXPIRED_MESSAGE } : null);
  return { session: loaded.kind === "valid" ? loaded.session : null, notice };
})();

export function App() {
  const stores = useMemo(browserStores, []);
  const queryClient = useQueryClient();
  const [session, setSession] = useState<StoredSession | null>(initial.session);
  const [notice, setNotice] = useState<Notice | null>(initial.notice);
  const tokenRef = useRef<string | null>(initial.session?.token ?? null);
  const path = usePath();

  const endSession = useCallback(
    (message: Notice | null) => {
      clearSession(stores);
      tokenRef.current = null;
      setSession(null);
      // Nothing of this account stays cached for the next one.
      queryClient.clear();
      setNotice(message);
      navigate("/signin", true);
    },
    [stores, queryClient],
  );

  const client: ApiClient = useMemo(
    () =>
      createClient({
        getToken: () => tokenRef.current,
        onUnauthorized: () => endSession({ kind: "info", text: SESSION_EXPIRED_MESSAGE }),
      }),
    [endSession],
  );

  const startSession = useCallback(
    (token: string, expiresIn: number, remember: boolean) => {
      const s = createSession(token, expiresIn, remember);
      saveSession(stores, s);
      tokenRef.current = s.token;
      setSession(s);
      setNotice(null);
    },
    [stores],
  );

  // Who am I? Also proves the stored token is still accepted (a 401 ends the session).
  const me = useQuery({ ...queries.me(client), enabled: session !== null });
  const user = session ? me.data : undefined;
  const userError = me.error && !(me.error instanceof ApiError && me.error.status === 401) ? describeError(me.error) : null;

  // Sign out when the token's lifetime runs out, rather than on the next failing click.
  useEffect(() => {
    if (!session) return;
    const t = window.setTimeout(
      () => endSession({ kind: "info", text: SESSION_EXPIRED_MESSAGE }),
      msUntilExpiry(session),
    );
    return () => window.clearTimeout(t);
  }, [session, endSession]);

  // After an in-app navigation, move focus to the new screen so keyboard and screen-reader
  // users start there (not on the first load, where the browser's own focus is right).
  const firstPath = useRef(true);
  useEffect(() => {
    if (firstPath.current) {
      firstPath.current = false;
      return;
    }
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [path]);

  const signOut = useCallback(async () => {
    try {
      await client.logout();
    } catch {
      /* the token may already be gone; sign out locally either way */
    }
    endSession({ kind: "info", text: "You have signed out." });
  }, [client, endSession]);

  if (!session) {
    return (
      <div className="app signed-out">
        <main className="auth-main" id="main">
          <AuthScreen
            client={client}
            mode={path === "/register" ? "register" : "signin"}
            notice={notice}
            onSignedIn={(t, remember) => {
              startSession(t.access_token, t.expires_in, remember);
              navigate("/", true);
            }}
          />
        </main>
      </div>
    );
  }

  if (!user) {
    return (
      <div className="app">
        <main className="center-main" id="main">
          {userError ? (
            <div className="card stack" role="alert">
              <p>{userError}</p>
              <div className="row">
                <button type="button" onClick={() => void me.refetch()}>
                  Try again
                </button>
                <button type="button" className="secondary" onClick={() => endSession(null)}>
                  Sign out
                </button>
              </div>
            </div>
          ) : (
            <p className="muted" aria-live="polite">
              Loading…
            </p>
          )}
        </main>
      </div>
    );
  }

  const section = path.split("/")[1] || "downloads";
  const tabs: { key: IconName; label: string; href: string }[] = [
    { key: "downloads", label: "Downloads", href: "/" },
    { key: "plugins", label: "Plugins", href: "/plugins" },
    ...(user.is_admin ? [{ key: "admin" as const, label: "Admin", href: "/admin" }] : []),
    { key: "account", label: "Account", href: "/account" },
  ];

  let screen: React.ReactNode;
  switch (section) {
    case "plugins":
      screen = <PluginsScreen client={client} user={user} />;
      break;
    case "admin":
      screen = user.is_admin ? (
        <AdminScreen client={client} user={user} tab={adminTab(path.split("/")[2])} />
      ) : (
        <p>Only admins can see this page.</p>
      );
      break;
    case "account":
      screen = (
        <AccountScreen
          client={client}
          user={user}
          onSignOut={signOut}
          onNewToken={(t) => startSession(t.access_token, t.expires_in, session.remember)}
        />
      );
      break;
    default:
      screen = <DownloadsScreen client={client} token={session.token} />;
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="/" onClick={linkClick("/")}>
          <img src="/icon.svg" alt="" width="28" height="28" />
          <span>NAS Music</span>
        </a>
        <nav className="tabs" aria-label="Main">
          {tabs.map((t) => (
            <a
              key={t.key}
              href={t.href}
              onClick={linkClick(t.href)}
              aria-current={section === t.key ? "page" : undefined}
            >
              <Icon name={t.key} />
              <span>{t.label}</span>
            </a>
          ))}
        </nav>
        <span className="who" title={user.email}>
          {user.username}
          {user.is_admin ? " · admin" : ""}
        </span>
      </header>
      {notice && (
        <div className={`banner ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
          <span>{notice.text}</span>
          <button type="button" className="link" onClick={() => setNotice(null)} aria-label="Dismiss message">
            ✕
          </button>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {screen}
      </main>
    </div>
  );
}

/** The Admin screen's section from the path's second part (`/admin/audit`, `/admin/hand-off`,
 * `/admin/tools`). */
function adminTab(segment: string | undefined): "users" | "audit" | "handoff" | "tools" {
  if (segment === "audit") return "audit";
  if (segment === "hand-off") return "handoff";
  if (segment === "tools") return "tools";
  return "users";
}
