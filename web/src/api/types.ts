// The REST contract's types, taken from `schema.d.ts`, which `npm run gen:api` generates from
// the server's /openapi.json (committed as web/openapi.json; `npm run check:api` fails on drift).
// When the server changes its API: `npm run fetch:api && npm run gen:api`, then `tsc` shows
// every place in the page that has to follow.
import type { components } from "./schema";

type Schemas = components["schemas"];

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A response object as it may arrive: an optional field can be absent *or* `null`.
 *
 * The current document declares an `Option` field only as optional (`title?: string`), but the
 * server sends `null` for it. This widens every optional field to `?: T | null`, so the page
 * must handle both (`??`, `!= null`). It is a supertype of the generated type, so the client
 * returns generated data as `Wire<…>` without a cast.
 *
 * It goes once the document marks these fields `nullable: true` (openapi-typescript then
 * generates `T | null` itself): replace `Wire<X>` by `X`.
 */
export type Wire<T> = Simplify<
  { [K in Exclude<keyof T, OptionalKeys<T>>]: T[K] } & {
    [K in OptionalKeys<T>]?: T[K] | null;
  }
>;

/**
 * The generated union when the schema has one, else `Fallback`. The spec still types
 * `Download.status` as a documented string; once the server derives `poem_openapi::Enum` for it,
 * the generated union takes over here and tsc checks the lists below against it.
 */
type UnionFromSchema<T, Fallback extends string> = string extends T ? Fallback : T;

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

/** What `Download.status` holds in the list (the spec types it as a documented string). */
export type DownloadStatus = UnionFromSchema<
  Schemas["Download"]["status"],
  "pending" | "downloading" | "completed" | "failed" | "cancelled"
>;
const STATUS_LABELS = {
  pending: "Pending",
  downloading: "Downloading",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
} as const satisfies Record<DownloadStatus, string>;
export const DOWNLOAD_STATUSES = Object.keys(STATUS_LABELS) as DownloadStatus[];
export function statusLabel(status: DownloadStatus): string {
  return STATUS_LABELS[status];
}
export function isDownloadStatus(value: unknown): value is DownloadStatus {
  return typeof value === "string" && Object.hasOwn(STATUS_LABELS, value);
}

export type User = Wire<Schemas["UserResponse"]>;
export type TokenResponse = Schemas["TokenResponse"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type PasswordChangeRequest = Schemas["PasswordChangeRequest"];
export type UserUpdate = Schemas["UserUpdate"];
export type MessageResponse = Schemas["MessageResponse"];

/** Live progress; only present while a download runs. `phase`: resolving, downloading, converting, tagging or finalizing. */
export type Progress = Wire<Schemas["ProgressView"]>;

/**
 * A download, from REST and from the event stream. `status` is one of `DownloadStatus`, or
 * `deleted` in the event sent when it leaves the history.
 */
export type Download = Simplify<Omit<Wire<Schemas["Download"]>, "progress"> & { progress?: Progress | null }>;

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

/** `source`: `built_in`, `directory` or `upload`. */
export type Plugin = Wire<Schemas["Plugin"]>;

/** Every action the server's audit log records (server/src/audit.rs); the spec types it as a string. */
export const AUDIT_ACTIONS = [
  "user_registered",
  "login_succeeded",
  "login_failed",
  "login_throttled",
  "logout",
  "password_changed",
  "user_updated",
  "download_requested",
  "download_cancelled",
  "download_retried",
  "download_deleted",
  "plugin_uploaded",
  "plugin_enabled",
  "plugin_disabled",
  "plugin_removed",
] as const;
export type AuditAction = UnionFromSchema<Schemas["AuditEntry"]["action"], (typeof AUDIT_ACTIONS)[number]>;

export type AuditEntry = Wire<Schemas["AuditEntry"]>;

export interface AuditQuery {
  page?: number;
  per_page?: number;
  user_id?: number | "";
  action?: string;
}

export type Health = Wire<Schemas["Health"]>;

// The envelopes must stay what `Page<T>` says; tsc fails here if the server changes them.
type Assert<T extends true> = T;
type SamePage<P, T> = P extends Page<T> ? (Page<T> extends P ? true : false) : false;
export type _PagesMatch = [
  Assert<SamePage<Schemas["DownloadPage"], Schemas["Download"]>>,
  Assert<SamePage<Schemas["UserPage"], Schemas["UserResponse"]>>,
  Assert<SamePage<Schemas["AuditPage"], Schemas["AuditEntry"]>>,
];
