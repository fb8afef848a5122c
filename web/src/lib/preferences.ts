// The download form's format: the one last chosen in this browser, else the account's default
// (`default_format`, set on the Account screen and kept by the server for every client).
import { isDownloadFormat, type DownloadFormat } from "../api/types";

const FORMAT_KEY = "nmd.format";

/** The format last chosen in this browser's download form, if any. */
export function savedFormat(): DownloadFormat | null {
  try {
    const f = window.localStorage.getItem(FORMAT_KEY);
    return isDownloadFormat(f) ? f : null;
  } catch {
    return null;
  }
}

export function saveFormat(format: DownloadFormat): void {
  try {
    window.localStorage.setItem(FORMAT_KEY, format);
  } catch {
    /* not remembered; fine */
  }
}

/** After the account's default changed, this browser follows it again. */
export function forgetSavedFormat(): void {
  try {
    window.localStorage.removeItem(FORMAT_KEY);
  } catch {
    /* nothing saved; fine */
  }
}
