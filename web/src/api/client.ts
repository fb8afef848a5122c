// A small typed fetch client for the server's REST API. Relative URLs only: the page is
// served by the server itself (or proxied by Vite in development).
import type {
  AuditEntry,
  AuditQuery,
  Download,
  DownloadFormat,
  DownloadQuery,
  Health,
  MessageResponse,
  Page,
  PasswordChangeRequest,
  Plugin,
  RegisterRequest,
  TokenResponse,
  User,
  UserUpdate,
} from "./types";

/** An error answered by the server (or a network failure, status 0), with a message for people. */
export class ApiError extends Error {
  readonly status: number;
  /** Seconds, from `Retry-After` (429). */
  readonly retryAfter: number | null;

  constructor(status: number, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export interface ClientOptions {
  /** The current bearer token, read on every request. */
  getToken: () => string | null;
  /** Called when an authenticated request answers 401: the token expired or was revoked. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  baseUrl?: string;
}

type Body =
  | { json: unknown }
  | { form: Record<string, string> }
  | { multipart: FormData }
  | undefined;

interface RequestOptions {
  method?: string;
  body?: Body;
  query?: Record<string, string | number | boolean | null | undefined>;
  /** Requests made before there is a session (sign-in, register) never trigger sign-out. */
  anonymous?: boolean;
  /** A 401 here means a wrong password, not a dead session (POST /auth/password). */
  keepSessionOn401?: boolean;
}

/** Turns `{detail}` (or anything else a server or proxy might answer) into one readable line. */
export function errorMessage(status: number, statusText: string, bodyText: string): string {
  const fallback = statusText ? `${status} ${statusText}` : `Request failed (${status})`;
  if (!bodyText.trim()) return fallback;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === "object" && "detail" in parsed) {
      const detail = (parsed as { detail: unknown }).detail;
      if (typeof detail === "string" && detail.trim()) return detail;
      // A list of field errors, in the common `[{loc, msg}]` shape.
      if (Array.isArray(detail)) {
        const parts = detail
          .map((d) => {
            if (typeof d === "string") return d;
            if (d && typeof d === "object" && "msg" in d) {
              const loc = Array.isArray((d as { loc?: unknown }).loc)
                ? (d as { loc: unknown[] }).loc.filter((x) => x !== "body").join(".")
                : "";
              return loc ? `${loc}: ${String((d as { msg: unknown }).msg)}` : String((d as { msg: unknown }).msg);
            }
            return "";
          })
          .filter(Boolean);
        if (parts.length) return parts.join("; ");
      }
    }
    if (parsed && typeof parsed === "object" && "message" in parsed) {
      const message = (parsed as { message: unknown }).message;
      if (typeof message === "string" && message.trim()) return message;
    }
    return fallback;
  } catch {
    // Plain text (e.g. a framework's parse error): short enough to show, else the status line.
    const text = bodyText.trim();
    return text.length <= 300 && !text.startsWith("<") ? text : fallback;
  }
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = options.baseUrl ?? "";

  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return (await requestWithStatus<T>(path, opts)).body;
  }

  async function requestWithStatus<T>(path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = options.getToken();
    if (token && !opts.anonymous) headers.Authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (opts.body && "json" in opts.body) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body.json);
    } else if (opts.body && "form" in opts.body) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(opts.body.form).toString();
    } else if (opts.body && "multipart" in opts.body) {
      body = opts.body.multipart; // the browser sets the boundary
    }

    let response: Response;
    try {
      response = await doFetch(base + path + queryString(opts.query), {
        method: opts.method ?? "GET",
        headers,
        body,
      });
    } catch {
      throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
    }

    if (response.ok) {
      if (response.status === 204) return { status: 204, body: undefined as T };
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    const text = await response.text().catch(() => "");
    if (response.status === 401 && !opts.anonymous && !opts.keepSessionOn401 && token) {
      options.onUnauthorized?.();
    }
    throw new ApiError(
      response.status,
      errorMessage(response.status, response.statusText, text),
      parseRetryAfter(response.headers.get("Retry-After")),
    );
  }

  return {
    request,

    // --- auth ---
    register: (body: RegisterRequest) =>
      request<User>("/auth/register", { method: "POST", body: { json: body }, anonymous: true }),
    login: (username: string, password: string) =>
      request<TokenResponse>("/auth/login", {
        method: "POST",
        body: { form: { username, password } },
        anonymous: true,
      }),
    logout: () => request<MessageResponse>("/auth/logout", { method: "POST" }),
    me: () => request<User>("/auth/me"),
    changePassword: (body: PasswordChangeRequest) =>
      request<TokenResponse>("/auth/password", {
        method: "POST",
        body: { json: body },
        keepSessionOn401: true,
      }),

    // --- downloads ---
    /** `created` is false when the same link and format was already queued (200, not 202). */
    createDownload: async (url: string, format?: DownloadFormat) => {
      const { status, body } = await requestWithStatus<Download>("/api/download", {
        method: "POST",
        body: { json: format && format !== "best" ? { url, format } : { url } },
      });
      return { download: body, created: status !== 200 };
    },
    listDownloads: (q: DownloadQuery = {}) =>
      request<Page<Download>>("/api/downloads", {
        query: { page: q.page ?? 1, per_page: q.per_page ?? 20, status: q.status, q: q.q },
      }),
    getDownload: (id: number) => request<Download>(`/api/downloads/${id}`),
    cancelDownload: (id: number) =>
      request<Download>(`/api/downloads/${id}/cancel`, { method: "POST" }),
    retryDownload: (id: number) =>
      request<Download>(`/api/downloads/${id}/retry`, { method: "POST" }),
    deleteDownload: (id: number, deleteFile: boolean) =>
      request<void>(`/api/downloads/${id}`, {
        method: "DELETE",
        query: { delete_file: deleteFile },
      }),

    // --- plugins ---
    listPlugins: () => request<Plugin[]>("/api/plugins"),
    uploadPlugin: (file: File | Blob, filename = "plugin.wasm") => {
      const form = new FormData();
      form.append("file", file, file instanceof File ? file.name : filename);
      return request<Plugin>("/api/admin/plugins", { method: "POST", body: { multipart: form } });
    },
    setPluginEnabled: (name: string, enabled: boolean) =>
      request<Plugin>(`/api/admin/plugins/${encodeURIComponent(name)}`, {
        method: "PATCH",
        body: { json: { enabled } },
      }),
    removePlugin: (name: string) =>
      request<void>(`/api/admin/plugins/${encodeURIComponent(name)}`, { method: "DELETE" }),

    // --- admin ---
    listUsers: (page = 1, perPage = 20) =>
      request<Page<User>>("/api/admin/users", { query: { page, per_page: perPage } }),
    updateUser: (id: number, patch: UserUpdate) =>
      request<User>(`/api/admin/users/${id}`, { method: "PATCH", body: { json: patch } }),
    listAudit: (q: AuditQuery = {}) =>
      request<Page<AuditEntry>>("/api/admin/audit", {
        query: { page: q.page ?? 1, per_page: q.per_page ?? 50, user_id: q.user_id, action: q.action },
      }),

    health: () => request<Health>("/health", { anonymous: true }),
  };
}

export type ApiClient = ReturnType<typeof createClient>;
