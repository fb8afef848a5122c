// The REST contract's types, taken from `schema.d.ts`, which `npm run gen:api` generates from
// the server's /openapi.json (committed as web/openapi.json; `npm run check:api` fails on drift).
// When the server changes its API: `npm run fetch:api && npm run gen:api`, then `tsc` shows
// every place in the page that has to follow.
import type { components } from "./schema";

type Schemas = components["schemas"];


/** Enumerated by the schema (`DownloadFormat`). */
export type DownloadFormat = Schemas["DownloadFormat"];
const FORMAT_LABELS = {
  best: "Best available",
  mp3: "MP3",
  m4a: "M4A",
  opus: "OPUS",
  flac: "FLAC",
} as const satisfies Record<DownloadFormat, string>;
// tsc fails above if the schema's enum gains or loses a value.
export const DOWNLOAD_FORMATS = Object.keys(FORMAT_LABELS) as (keyof typeof FORMAT_LABELS)[];
export function formatLabel(format: DownloadFormat): string {
  return FORMAT_LABELS[format];
}
export function isDownloadFormat(value: unknown): value is DownloadFormat {
  return typeof value === "string" && Object.hasOwn(FORMAT_LABELS, value);
}

/** Enumerated by the schema (`DownloadStatus`). */
export type DownloadStatus = Schemas["DownloadStatus"];
const STATUS_LABELS = {
  pending: "Pending",
  downloading: "Downloading",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  skipped: "Already in library",
} as const satisfies Record<DownloadStatus, string>;
export const DOWNLOAD_STATUSES = Object.keys(STATUS_LABELS) as DownloadStatus[];
export function statusLabel(status: DownloadStatus): string {
  return STATUS_LABELS[status];
}
export function isDownloadStatus(value: unknown): value is DownloadStatus {
  return typeof value === "string" && Object.hasOwn(STATUS_LABELS, value);
}

export type User = Schemas["UserResponse"];
export type TokenResponse = Schemas["TokenResponse"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type PasswordChangeRequest = Schemas["PasswordChangeRequest"];
export type PreferencesUpdate = Schemas["PreferencesUpdate"];
export type UserUpdate = Schemas["UserUpdate"];
export type MessageResponse = Schemas["MessageResponse"];

/** Live progress; only present while a download runs. */
export type Progress = Schemas["ProgressView"];

/** A download, from REST and from the event stream's `download` events. */
export type Download = Schemas["Download"];

/** A set's tracks (`GET /api/downloads/{id}/tracks`). */
export type TrackList = Schemas["TrackList"];
/** How a set's tracks stand: `completed` of `total`. */
export type TrackSummary = Schemas["TrackSummary"];

/** Signed links to a download's audio and cover; they expire at `expires_at`. */
export type MediaLink = Schemas["MediaLink"];
export type MediaLinkSet = Schemas["MediaLinkSet"];

/** The pagination envelope the server uses for downloads, users and the audit log. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
  pages: number;
}

export interface DownloadQuery {
  page?: number;
  per_page?: number;
  status?: DownloadStatus | "";
  q?: string;
}

export type Plugin = Schemas["Plugin"];

/** Enumerated by the schema (`AuditAction`). */
export type AuditAction = Schemas["AuditAction"];
const AUDIT_ACTION_SET = {
  user_registered: true,
  login_succeeded: true,
  login_failed: true,
  login_throttled: true,
  logout: true,
  password_changed: true,
  user_updated: true,
  download_requested: true,
  download_cancelled: true,
  download_retried: true,
  download_deleted: true,
  plugin_uploaded: true,
  plugin_enabled: true,
  plugin_disabled: true,
  plugin_removed: true,
  library_rescanned: true,
  webhook_created: true,
  webhook_updated: true,
  webhook_deleted: true,
  media_server_updated: true,
  media_server_deleted: true,
  tool_updated: true,
  tool_update_refused: true,
  tool_rolled_back: true,
} as const satisfies Record<AuditAction, true>;
// tsc fails above if the schema's enum gains or loses a value.
export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION_SET) as AuditAction[];
export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === "string" && Object.hasOwn(AUDIT_ACTION_SET, value);
}

export type AuditEntry = Schemas["AuditEntry"];

export interface AuditQuery {
  page?: number;
  per_page?: number;
  user_id?: number | "";
  action?: AuditAction | "";
}

export type Health = Schemas["Health"];

/** Enumerated by the schema (`WebhookEvent`). */
export type WebhookEvent = Schemas["WebhookEvent"];
const WEBHOOK_EVENT_LABELS = {
  completed: "Download completed",
  failed: "Download failed",
  album_completed: "Album completed",
} as const satisfies Record<WebhookEvent, string>;
export const WEBHOOK_EVENTS = Object.keys(WEBHOOK_EVENT_LABELS) as WebhookEvent[];
export function webhookEventLabel(event: WebhookEvent): string {
  return WEBHOOK_EVENT_LABELS[event];
}

/** A user's own webhooks, or the global ones (admins). */
export type WebhookScope = "user" | "global";
export type Webhook = Schemas["WebhookView"];
export type WebhookRequest = Schemas["WebhookRequest"];
export type WebhookDelivery = Schemas["DeliveryView"];

/** Enumerated by the schema (`MediaServerKind`). */
export type MediaServerKind = Schemas["MediaServerKind"];
const MEDIA_SERVER_LABELS = {
  subsonic: "Navidrome / Subsonic",
  jellyfin: "Jellyfin",
} as const satisfies Record<MediaServerKind, string>;
export const MEDIA_SERVER_KINDS = Object.keys(MEDIA_SERVER_LABELS) as MediaServerKind[];
export function mediaServerLabel(kind: MediaServerKind): string {
  return MEDIA_SERVER_LABELS[kind];
}
export type MediaServer = Schemas["MediaServerView"];
export type MediaServerRequest = Schemas["MediaServerRequest"];
export type ConnectionTest = Schemas["ConnectionTest"];

/** The download tools and the managed yt-dlp (admins only). */
export type ToolsOverview = Schemas["ToolsOverview"];
export type YtdlpUpdateBody = Schemas["YtdlpUpdateBody"];
export type YtdlpUpdateResult = Schemas["YtdlpUpdateResult"];
export type YtdlpRollbackResult = Schemas["YtdlpRollbackResult"];
/** Enumerated by the schema (`UpdateStep`): where a refused update stopped. */
export type UpdateStep = Schemas["UpdateStep"];
const STEP_LABELS = {
  install: "installing",
  version: "yt-dlp --version",
  listing: "the test listing",
  download: "the test download",
  switch: "recording the switch",
} as const satisfies Record<UpdateStep, string>;
export function updateStepLabel(step: UpdateStep): string {
  return STEP_LABELS[step];
}

// The envelopes must stay what `Page<T>` says; tsc fails here if the server changes them.
type Assert<T extends true> = T;
type SamePage<P, T> = P extends Page<T> ? (Page<T> extends P ? true : false) : false;
export type _PagesMatch = [
  Assert<SamePage<Schemas["DownloadPage"], Schemas["Download"]>>,
  Assert<SamePage<Schemas["UserPage"], Schemas["UserResponse"]>>,
  Assert<SamePage<Schemas["AuditPage"], Schemas["AuditEntry"]>>,
];
