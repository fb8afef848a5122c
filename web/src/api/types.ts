// The REST contract's types, taken from `schema.d.ts`, which `npm run gen:api` generates from
// the server's /openapi.json (committed as web/openapi.json; `npm run check:api` fails on drift).
// When the server changes its API: `npm run fetch:api && npm run gen:api`, then `tsc` shows
// every place in the page that has to follow.
import type { components } from "./schema";

type Schemas = components["schemas"];

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * A response object as it arrives. poem-openapi declares an `Option` field as optional
 * (`plugin?: string`) but always sends it, as `null` when empty; this says so.
 */
export type Wire<T> = Simplify<
  { [K in Exclude<keyof T, OptionalKeys<T>>]: T[K] } & {
    [K in OptionalKeys<T>]-?: Exclude<T[K], undefined> | null;
  }
>;

export type DownloadFormat = Schemas["DownloadFormat"];
export const DOWNLOAD_FORMATS: DownloadFormat[] = ["best", "mp3", "m4a", "opus", "flac"];

/** What `Download.status` holds in the list (the spec types it as a documented string). */
export type DownloadStatus = "pending" | "downloading" | "completed" | "failed" | "cancelled";
export const DOWNLOAD_STATUSES: DownloadStatus[] = [
  "pending",
  "downloading",
  "completed",
  "failed",
  "cancelled",
];

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
export type Download = Simplify<Omit<Wire<Schemas["Download"]>, "progress"> & { progress: Progress | null }>;

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
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

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
