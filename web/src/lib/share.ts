// The share target (manifest `share_target`, GET /share?title=&text=&url=) and the bookmarklet
// both land here. Android apps often put the link in `text` ("Listen to X https://…"), not `url`.
// Any web site can open /share, so a shared link only prefills the form (SEC-47).

const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/i;

function cleanUrl(candidate: string): string | null {
  // Trailing punctuation is usually the sentence, not the link.
  const trimmed = candidate.trim().replace(/[).,;:!?\]]+$/, "");
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.toString();
  } catch {
    return null;
  }
}

/** Picks the shared link from `url`, then `text`, then `title`; null when none is an http(s) URL. */
export function extractSharedUrl(params: URLSearchParams): string | null {
  for (const key of ["url", "text", "title"]) {
    const value = params.get(key);
    if (!value) continue;
    const direct = cleanUrl(value);
    if (direct && /^https?:\/\//i.test(value.trim())) return direct;
    const found = URL_IN_TEXT.exec(value);
    if (found) {
      const url = cleanUrl(found[0]);
      if (url) return url;
    }
  }
  return null;
}

/** A `javascript:` link that opens this page's share route with the current tab's URL. */
export function bookmarkletHref(origin: string): string {
  const target = `${origin.replace(/\/$/, "")}/share?url=`;
  return `javascript:(()=>{window.open(${JSON.stringify(target)}+encodeURIComponent(location.href),'_blank')})()`;
}

export const PENDING_SHARE_KEY = "nmd.pendingShare";
