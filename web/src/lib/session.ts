// Where the bearer token lives: always in memory, and in localStorage ("remember me") or
// sessionStorage (this tab only). Expiry is checked on load so a stale token never reaches
// the server as a "signed-in" page.

export const SESSION_KEY = "nmd.session";
export const SESSION_EXPIRED_MESSAGE = "Your session expired — please sign in again";

export interface StoredSession {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  remember: boolean;
}

export interface SessionStores {
  local: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  session: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
}

/** Browsers may throw on storage access (privacy modes); a missing store just means memory only. */
export function browserStores(): SessionStores {
  const get = (name: "localStorage" | "sessionStorage") => {
    try {
      return window[name];
    } catch {
      return null;
    }
  };
  return { local: get("localStorage"), session: get("sessionStorage") };
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

export function createSession(
  token: string,
  expiresInSeconds: number,
  remember: boolean,
  now = Date.now(),
): StoredSession {
  return { token, expiresAt: now + Math.max(0, expiresInSeconds) * 1000, remember };
}

export function saveSession(stores: SessionStores, session: StoredSession): void {
  clearSession(stores);
  const target = session.remember ? stores.local : stores.session;
  safe(() => target?.setItem(SESSION_KEY, JSON.stringify(session)));
}

export function clearSession(stores: SessionStores): void {
  safe(() => stores.local?.removeItem(SESSION_KEY));
  safe(() => stores.session?.removeItem(SESSION_KEY));
}

export type LoadResult =
  | { kind: "none" }
  | { kind: "expired" }
  | { kind: "valid"; session: StoredSession };

function parse(raw: string | null): StoredSession | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.token !== "string" || !v.token || typeof v.expiresAt !== "number") return null;
    return { token: v.token, expiresAt: v.expiresAt, remember: Boolean(v.remember) };
  } catch {
    return null;
  }
}

/** Reads the stored session (this tab's first, then the remembered one) and drops it if expired. */
export function loadSession(stores: SessionStores, now = Date.now()): LoadResult {
  const raw =
    safe(() => stores.session?.getItem(SESSION_KEY) ?? null) ??
    safe(() => stores.local?.getItem(SESSION_KEY) ?? null);
  if (!raw) return { kind: "none" };
  const session = parse(raw);
  if (!session) {
    clearSession(stores);
    return { kind: "none" };
  }
  // A few seconds of margin: a token about to expire would fail on the first request anyway.
  if (session.expiresAt - 5_000 <= now) {
    clearSession(stores);
    return { kind: "expired" };
  }
  return { kind: "valid", session };
}

/** Milliseconds until the session should end, clamped to what setTimeout accepts. */
export function msUntilExpiry(session: StoredSession, now = Date.now()): number {
  return Math.min(2_147_483_647, Math.max(0, session.expiresAt - now));
}
