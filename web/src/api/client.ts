// The typed REST client: `openapi-fetch` calls typed by `schema.d.ts` (paths, parameters,
// bodies and responses all come from the server's OpenAPI document), plus the three things
// every call needs here: the bearer token, readable errors (`ApiError`), and sign-out on 401.
// Screens and queries use the named methods below, never raw paths.
import createFetchClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { openEventStream, type LiveEvent, type StreamState } from "./sse";
import type {
  AuditEntry,
  AuditQuery,
  ConnectionTest,
  Download,
  DownloadFormat,
  DownloadQuery,
  Health,
  ToolsOverview,
  YtdlpRollbackResult,
  YtdlpUpdateBody,
  YtdlpUpdateResult,
  MediaLinkSet,
  MediaServer,
  MediaServerKind,
  MediaServerRequest,
  MessageResponse,
  Page,
  PasswordChangeRequest,
  PreferencesUpdate,
  Plugin,
  RegisterRequest,
  TokenResponse,
  TrackList,
  User,
  UserUpdate,
  Webhook,
  WebhookDelivery,
  WebhookRequest,
  WebhookScope,
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

export const OFFLINE_MESSAGE = "Cannot reach the server. Check your connection and try again.";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One line from a FastAPI-style field error `{loc, msg}` (or a bare string). */
function fieldError(d: unknown): string {
  if (typeof d === "string") return d;
  if (!isRecord(d) || !("msg" in d)) return "";
  const loc = Array.isArray(d.loc) ? d.loc.filter((x) => x !== "body").join(".") : "";
  return loc ? `${loc}: ${String(d.msg)}` : String(d.msg);
}

/**
 * Turns an error body into one readable line. `body` is what openapi-fetch hands back: the
 * parsed JSON when it was JSON (`{detail: string}` or `{detail: [{loc, msg}]}`), else the text.
 */
export function errorMessage(status: number, statusText: string, body: unknown): string {
  const fallback = statusText ? `${status} ${statusText}` : `Request failed (${status})`;
  if (typeof body === "string") {
    // Plain text (e.g. a framework's parse error): short enough to show, else the status line.
    const text = body.trim();
    return text && text.length <= 300 && !text.startsWith("<") ? text : fallback;
  }
  if (!isRecord(body)) return fallback;
  const { detail, message } = body;
  if (typeof detail === "string" && detail.trim()) return detail;
  if (Array.isArray(detail)) {
    const parts = detail.map(fieldError).filter(Boolean);
    if (parts.length) return parts.join("; ");
  }
  if (typeof message === "string" && message.trim()) return message;
  return fallback;
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export interface ClientOptions {
  /** The current bearer token, read on every request. */
  getToken: () => string | null;
  /** Called when an authenticated request answers 401: the token expired or was revoked. */
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
  /** "" in the page (same origin); an absolute origin in tests, where `Request` needs one. */
  baseUrl?: string;
}

/** Calls made before there is a session: no token is sent, and a 401 means bad credentials. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set<keyof paths>(["/auth/login", "/auth/register", "/health"]);
/** A 401 here means a wrong current password, not a dead session. */
const KEEPS_SESSION_ON_401: ReadonlySet<string> = new Set<keyof paths>(["/auth/password"]);

/** What openapi-fetch resolves to: `data` on a 2xx, `error` (parsed JSON, else text) otherwise. */
type Outcome<T> = { data: T; response: Response } | { error: unknown; response: Response };

/**
 * A successful call's body, or an `ApiError` with the server's message. `T` comes from the
 * method's declared return type and tsc checks the generated response type is assignable to it
 * (e.g. the generated `UserResponse` to `User`): checked by the compiler, not a cast.
 */
async function unwrap<T>(pending: Promise<Outcome<NoInfer<T>>>): Promise<T> {
  let result: Outcome<T>;
  try {
    result = await pending;
  } catch (e) {
    // fetch rejects with a TypeError when the network is down; aborts (a superseded query) pass through.
    if (e instanceof TypeError) throw new ApiError(0, OFFLINE_MESSAGE);
    throw e;
  }
  const { response } = result;
  if ("data" in result && response.ok) return result.data;
  throw new ApiError(
    response.status,
    errorMessage(response.status, response.statusText, "error" in result ? result.error : ""),
    parseRetryAfter(response.headers.get("Retry-After")),
  );
}

/** `?q=` and `?status=` mean "no filter": leave them out rather than send empty strings. */
function orUndefined<T>(value: T | "" | null | undefined): T | undefined {
  return value === "" || value === null ? undefined : value;
}

export function createClient(options: ClientOptions) {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const baseUrl = options.baseUrl ?? "";
  const api = createFetchClient<paths>({ baseUrl, fetch: doFetch });

  const auth: Middleware = {
    onRequest({ request, schemaPath }) {
      const token = options.getToken();
      if (token && !PUBLIC_PATHS.has(schemaPath)) request.headers.set("Authorization", `Bearer ${token}`);
      request.headers.set("Accept", "application/json");
      return request;
    },
    onResponse({ request, response, schemaPath }) {
      if (response.status === 401 && request.headers.has("Authorization") && !KEEPS_SESSION_ON_401.has(schemaPath)) {
        options.onUnauthorized?.();
      }
      return undefined;
    },
  };
  api.use(auth);

  type Signal = { signal?: AbortSignal };

  return {
    // --- auth ---
    register: (body: RegisterRequest): Promise<User> => unwrap(api.POST("/auth/register", { body })),
    /** The OAuth2 password grant: a form body, as the spec says (openapi-fetch encodes it for this content type). */
    login: (username: string, password: string): Promise<TokenResponse> =>
      unwrap(
        api.POST("/auth/login", {
          body: { username, password },
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
        }),
      ),
    logout: (): Promise<MessageResponse> => unwrap(api.POST("/auth/logout")),
    me: (o: Signal = {}): Promise<User> => unwrap(api.GET("/auth/me", o)),
    changePassword: (body: PasswordChangeRequest): Promise<TokenResponse> =>
      unwrap(api.POST("/auth/password", { body })),
    /** Changes the account's preferences (its default format). */
    updateMe: (body: PreferencesUpdate): Promise<User> => unwrap(api.PATCH("/auth/me", { body })),

    // --- downloads ---
    /** `created` is false when the same link and format was already queued (200, not 202). */
    createDownload: async (url: string, format?: DownloadFormat) => {
      // Without a format the server applies the account's default.
      const pending = api.POST("/api/download", { body: format ? { url, format } : { url } });
      const download: Download = await unwrap(pending);
      return { download, created: (await pending).response.status !== 200 };
    },
    listDownloads: (q: DownloadQuery = {}, o: Signal = {}): Promise<Page<Download>> =>
      unwrap(
        api.GET("/api/downloads", {
          ...o,
          params: {
            query: { page: q.page ?? 1, per_page: q.per_page ?? 20, status: orUndefined(q.status), q: orUndefined(q.q) },
          },
        }),
      ),
    getDownload: (id: number): Promise<Download> => unwrap(api.GET("/api/downloads/{id}", { params: { path: { id } } })),
    cancelDownload: (id: number): Promise<Download> =>
      unwrap(api.POST("/api/downloads/{id}/cancel", { params: { path: { id } } })),
    retryDownload: (id: number): Promise<Download> =>
      unwrap(api.POST("/api/downloads/{id}/retry", { params: { path: { id } } })),
    deleteDownload: async (id: number, deleteFile: boolean): Promise<void> => {
      await unwrap(api.DELETE("/api/downloads/{id}", { params: { path: { id }, query: { delete_file: deleteFile } } }));
    },
    /** An album, playlist or feed's tracks, in album order. */
    listTracks: (id: number, o: Signal = {}): Promise<TrackList> =>
      unwrap(api.GET("/api/downloads/{id}/tracks", { ...o, params: { path: { id } } })),
    /**
     * Signed, short-lived links to these downloads' audio and covers, for `<audio src>` and
     * `<img src>` (which cannot send the bearer token).
     */
    mediaLinks: (ids: number[], o: Signal = {}): Promise<MediaLinkSet> =>
      unwrap(api.POST("/api/downloads/media-links", { ...o, body: { ids } })),
    /** The live stream of this user's downloads, with this client's token, fetch and 401 handling. */
    downloadEvents: (handlers: {
      onEvent: (event: LiveEvent) => void;
      onOpen?: () => void;
      onStateChange?: (state: StreamState) => void;
    }) =>
      openEventStream({
        url: `${baseUrl}/api/downloads/events`,
        getToken: options.getToken,
        onUnauthorized: options.onUnauthorized,
        fetch: doFetch,
        ...handlers,
      }),

    // --- plugins ---
    listPlugins: (o: Signal = {}): Promise<Plugin[]> => unwrap(api.GET("/api/plugins", o)),
    uploadPlugin: (file: File | Blob, filename = "plugin.wasm"): Promise<Plugin> => {
      const form = new FormData();
      form.append("file", file, file instanceof File ? file.name : filename);
      return unwrap(
        api.POST("/api/admin/plugins", {
          // openapi-typescript types a `format: binary` field as a string, so the typed body only
          // names the file; what is sent is the FormData above (the browser sets the boundary).
          body: { file: file instanceof File ? file.name : filename },
          bodySerializer: () => form,
        }),
      );
    },
    setPluginEnabled: (name: string, enabled: boolean): Promise<Plugin> =>
      unwrap(api.PATCH("/api/admin/plugins/{name}", { params: { path: { name } }, body: { enabled } })),
    removePlugin: async (name: string): Promise<void> => {
      await unwrap(api.DELETE("/api/admin/plugins/{name}", { params: { path: { name } } }));
    },

    // --- admin ---
    listUsers: (page = 1, perPage = 20, o: Signal = {}): Promise<Page<User>> =>
      unwrap(api.GET("/api/admin/users", { ...o, params: { query: { page, per_page: perPage } } })),
    updateUser: (id: number, patch: UserUpdate): Promise<User> =>
      unwrap(api.PATCH("/api/admin/users/{id}", { params: { path: { id } }, body: patch })),
    listAudit: (q: AuditQuery = {}, o: Signal = {}): Promise<Page<AuditEntry>> =>
      unwrap(
        api.GET("/api/admin/audit", {
          ...o,
          params: {
            query: {
              page: q.page ?? 1,
              per_page: q.per_page ?? 50,
              user_id: orUndefined(q.user_id),
              action: orUndefined(q.action),
            },
          },
        }),
      ),

    // --- hand-off: webhooks (the caller's own, or the global ones) and media servers ---
    listWebhooks: (scope: WebhookScope, o: Signal = {}): Promise<Webhook[]> =>
      unwrap(scope === "global" ? api.GET("/api/admin/webhooks", o) : api.GET("/api/webhooks", o)),
    createWebhook: (scope: WebhookScope, body: WebhookRequest): Promise<Webhook> =>
      unwrap(scope === "global" ? api.POST("/api/admin/webhooks", { body }) : api.POST("/api/webhooks", { body })),
    deleteWebhook: async (scope: WebhookScope, id: number): Promise<void> => {
      const params = { path: { id } };
      await unwrap(
        scope === "global"
          ? api.DELETE("/api/admin/webhooks/{id}", { params })
          : api.DELETE("/api/webhooks/{id}", { params }),
      );
    },
    webhookDeliveries: (scope: WebhookScope, id: number, o: Signal = {}): Promise<WebhookDelivery[]> => {
      const params = { path: { id } };
      return unwrap(
        scope === "global"
          ? api.GET("/api/admin/webhooks/{id}/deliveries", { ...o, params })
          : api.GET("/api/webhooks/{id}/deliveries", { ...o, params }),
      );
    },
    listMediaServers: (o: Signal = {}): Promise<MediaServer[]> => unwrap(api.GET("/api/admin/media-servers", o)),
    saveMediaServer: (kind: MediaServerKind, body: MediaServerRequest): Promise<MediaServer> =>
      unwrap(api.PUT("/api/admin/media-servers/{kind}", { params: { path: { kind } }, body })),
    deleteMediaServer: async (kind: MediaServerKind): Promise<void> => {
      await unwrap(api.DELETE("/api/admin/media-servers/{kind}", { params: { path: { kind } } }));
    },
    testMediaServer: (kind: MediaServerKind): Promise<ConnectionTest> =>
      unwrap(api.POST("/api/admin/media-servers/{kind}/test", { params: { path: { kind } } })),
    tools: (o: Signal = {}): Promise<ToolsOverview> => unwrap(api.GET("/api/admin/tools", o)),
    updateYtdlp: (body: YtdlpUpdateBody): Promise<YtdlpUpdateResult> =>
      unwrap(api.POST("/api/admin/tools/ytdlp/update", { body })),
    rollbackYtdlp: (): Promise<YtdlpRollbackResult> => unwrap(api.POST("/api/admin/tools/ytdlp/rollback")),

    health: (o: Signal = {}): Promise<Health> => unwrap(api.GET("/health", o)),
  };
}

export type ApiClient = ReturnType<typeof createClient>;
