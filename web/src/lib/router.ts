// A tiny history-API router: five screens do not need a routing library. The server falls
// back to index.html for unknown non-API paths, so every route here can be reloaded.
import { useEffect, useState } from "react";

export function navigate(path: string, replace = false): void {
  if (window.location.pathname + window.location.search === path) return;
  if (replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(() => window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  return path;
}

/** Same-origin links that navigate without a page load (and still open in a new tab). */
export function linkClick(path: string) {
  return (e: React.MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
      return;
    e.preventDefault();
    navigate(path);
  };
}
