import { ApiError } from "../api/client";

/** The message to show for a failed call: the server's `detail`, plus a wait time when throttled. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429 && e.retryAfter !== null && !/\d/.test(e.message)) {
      return `${e.message} Try again in ${e.retryAfter} s.`;
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Bytes, not characters: the server's bcrypt limit is 72 bytes. */
export function passwordProblem(password: string): string | null {
  const bytes = new TextEncoder().encode(password).length;
  if (bytes < 8) return "Password must be at least 8 characters.";
  if (bytes > 72) return "Password must be at most 72 bytes (fewer characters if you use accents or emoji).";
  return null;
}
