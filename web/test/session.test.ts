import { describe, expect, it } from "vitest";
import {
  SESSION_KEY,
  clearSession,
  createSession,
  loadSession,
  msUntilExpiry,
  saveSession,
  type SessionStores,
} from "../src/lib/session";

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

function stores() {
  const local = new MemoryStorage();
  const session = new MemoryStorage();
  return { local, session, stores: { local, session } as SessionStores };
}

const NOW = 1_700_000_000_000;

describe("session storage", () => {
  it("keeps a remembered session in localStorage only", () => {
    const s = stores();
    saveSession(s.stores, createSession("abc", 3600, true, NOW));
    expect(s.local.getItem(SESSION_KEY)).toContain("abc");
    expect(s.session.getItem(SESSION_KEY)).toBeNull();
  });

  it("keeps an unremembered session in sessionStorage only, replacing a remembered one", () => {
    const s = stores();
    saveSession(s.stores, createSession("old", 3600, true, NOW));
    saveSession(s.stores, createSession("new", 3600, false, NOW));
    expect(s.local.getItem(SESSION_KEY)).toBeNull();
    expect(s.session.getItem(SESSION_KEY)).toContain("new");
  });

  it("loads a valid session with its expiry", () => {
    const s = stores();
    saveSession(s.stores, createSession("abc", 3600, true, NOW));
    const r = loadSession(s.stores, NOW + 1000);
    expect(r).toEqual({ kind: "valid", session: { token: "abc", expiresAt: NOW + 3_600_000, remember: true } });
  });

  it("reports an expired session and forgets it", () => {
    const s = stores();
    saveSession(s.stores, createSession("abc", 60, true, NOW));
    expect(loadSession(s.stores, NOW + 61_000)).toEqual({ kind: "expired" });
    expect(s.local.getItem(SESSION_KEY)).toBeNull();
    expect(loadSession(s.stores, NOW + 61_000)).toEqual({ kind: "none" });
  });

  it("treats a session about to expire as expired", () => {
    const s = stores();
    saveSession(s.stores, createSession("abc", 60, false, NOW));
    expect(loadSession(s.stores, NOW + 57_000).kind).toBe("expired");
  });

  it("drops garbage in storage", () => {
    const s = stores();
    s.local.setItem(SESSION_KEY, "{not json");
    expect(loadSession(s.stores, NOW)).toEqual({ kind: "none" });
    expect(s.local.getItem(SESSION_KEY)).toBeNull();
    s.session.setItem(SESSION_KEY, JSON.stringify({ token: 5 }));
    expect(loadSession(s.stores, NOW)).toEqual({ kind: "none" });
  });

  it("works with no storage at all (memory only)", () => {
    const none: SessionStores = { local: null, session: null };
    saveSession(none, createSession("abc", 60, true, NOW));
    expect(loadSession(none, NOW)).toEqual({ kind: "none" });
  });

  it("survives a storage that throws", () => {
    const throwing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const s: SessionStores = { local: throwing, session: throwing };
    expect(() => saveSession(s, createSession("abc", 60, true, NOW))).not.toThrow();
    expect(loadSession(s, NOW)).toEqual({ kind: "none" });
  });

  it("clears both stores", () => {
    const s = stores();
    s.local.setItem(SESSION_KEY, "x");
    s.session.setItem(SESSION_KEY, "y");
    clearSession(s.stores);
    expect(s.local.data.size + s.session.data.size).toBe(0);
  });

  it("clamps the time to expiry to what setTimeout accepts", () => {
    expect(msUntilExpiry(createSession("a", 60, false, NOW), NOW)).toBe(60_000);
    expect(msUntilExpiry(createSession("a", 10 ** 9, false, NOW), NOW)).toBe(2_147_483_647);
    expect(msUntilExpiry(createSession("a", 60, false, NOW), NOW + 120_000)).toBe(0);
  });
});
