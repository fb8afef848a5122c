import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import type { ApiClient } from "../api/client";
import { openEventStream, type StreamState } from "../api/sse";
import { DOWNLOAD_FORMATS, DOWNLOAD_STATUSES, type Download, type DownloadFormat, type Page } from "../api/types";
import { DownloadItem } from "../components/DownloadItem";
import { Pager } from "../components/Pager";
import { Bookmarklet } from "../components/Bookmarklet";
import { applyUpdate, isActive, type ListFilters } from "../lib/downloads";
import { describeError } from "../lib/errors";
import { PENDING_SHARE_KEY } from "../lib/share";

interface Props {
  client: ApiClient;
  getToken: () => string | null;
  onUnauthorized: () => void;
}

const FORMAT_KEY = "nmd.format";
const PER_PAGE = 20;

function savedFormat(): DownloadFormat {
  try {
    const f = window.localStorage.getItem(FORMAT_KEY) as DownloadFormat | null;
    return f && DOWNLOAD_FORMATS.includes(f) ? f : "best";
  } catch {
    return "best";
  }
}

function takePendingShare(): string | null {
  try {
    const url = window.sessionStorage.getItem(PENDING_SHARE_KEY);
    window.sessionStorage.removeItem(PENDING_SHARE_KEY);
    return url;
  } catch {
    return null;
  }
}

export function DownloadsScreen({ client, getToken, onUnauthorized }: Props) {
  const [url, setUrl] = useState("");
  const [format, setFormat] = useState<DownloadFormat>(savedFormat);
  const [submitting, setSubmitting] = useState(false);
  const [formMessage, setFormMessage] = useState<{ kind: "info" | "error"; text: string } | null>(null);

  const [filters, setFilters] = useState<ListFilters>({ page: 1, status: "", q: "" });
  const [search, setSearch] = useState("");
  const [data, setData] = useState<Page<Download> | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [busyIds, setBusyIds] = useState<Set<number>>(new Set());
  // A running download stays `downloading` until its worker has stopped it.
  const [cancelling, setCancelling] = useState<Set<number>>(new Set());
  const [stream, setStream] = useState<StreamState>("connecting");
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const loadSeq = useRef(0);

  const load = useCallback(async () => {
    const seq = ++loadSeq.current;
    const f = filtersRef.current;
    try {
      const page = await client.listDownloads({ page: f.page, per_page: PER_PAGE, status: f.status, q: f.q.trim() });
      if (seq !== loadSeq.current) return; // a newer request won
      setData(page);
      setListError(null);
    } catch (e) {
      if (seq === loadSeq.current) setListError(describeError(e));
    }
  }, [client]);

  useEffect(() => {
    void load();
  }, [filters, load]);

  // Debounced search box.
  useEffect(() => {
    const t = window.setTimeout(() => {
      setFilters((f) => (f.q === search ? f : { ...f, q: search, page: 1 }));
    }, 300);
    return () => window.clearTimeout(t);
  }, [search]);

  // Live progress.
  useEffect(() => {
    return openEventStream({
      url: "/api/downloads/events",
      getToken,
      onUnauthorized,
      onStateChange: setStream,
      onEvent: (event) => {
        if (event.event !== "download") return;
        try {
          const d = JSON.parse(event.data) as Download;
          setData((page) => applyUpdate(page, d, filtersRef.current));
        } catch {
          /* a malformed event is skipped; the next refresh corrects the list */
        }
      },
    });
  }, [getToken, onUnauthorized]);

  // Without the stream, active items are refreshed by polling.
  const anyActive = data?.items.some(isActive) ?? false;
  useEffect(() => {
    if (stream === "open" || !anyActive) return;
    const t = window.setInterval(() => void load(), 4000);
    return () => window.clearInterval(t);
  }, [stream, anyActive, load]);

  const submit = useCallback(
    async (target: string, fmt: DownloadFormat) => {
      setSubmitting(true);
      setFormMessage(null);
      try {
        const { download: d, created } = await client.createDownload(target, fmt);
        setUrl("");
        setFormMessage({
          kind: "info",
          text: created ? `Added: ${d.title ?? d.url}` : `Already in progress: ${d.title ?? d.url}`,
        });
        setData((page) => applyUpdate(page, d, filtersRef.current));
        void load();
      } catch (e) {
        setUrl(target);
        setFormMessage({ kind: "error", text: describeError(e) });
      } finally {
        setSubmitting(false);
      }
    },
    [client, load],
  );

  // A link shared to the app (share target or bookmarklet) is submitted once signed in.
  const sharedHandled = useRef(false);
  useEffect(() => {
    if (sharedHandled.current) return;
    sharedHandled.current = true;
    const shared = takePendingShare();
    if (shared) void submit(shared, savedFormat());
  }, [submit]);

  // Confirmations fade; errors stay until the next attempt.
  useEffect(() => {
    if (formMessage?.kind !== "info") return;
    const t = window.setTimeout(() => setFormMessage(null), 8000);
    return () => window.clearTimeout(t);
  }, [formMessage]);

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    const target = url.trim();
    if (!target) {
      setFormMessage({ kind: "error", text: "Paste a link first." });
      return;
    }
    void submit(target, format);
  }

  async function pasteFromClipboard() {
    try {
      const text = await navigator.clipboard.readText();
      if (text) setUrl(text.trim());
    } catch {
      setFormMessage({ kind: "error", text: "The browser did not allow reading the clipboard; paste into the box instead." });
    }
  }

  async function act(id: number, action: () => Promise<unknown>) {
    setBusyIds((s) => new Set(s).add(id));
    try {
      const result = await action();
      if (result && typeof result === "object" && "id" in result) {
        setData((page) => applyUpdate(page, result as Download, filtersRef.current));
      }
      await load();
    } catch (e) {
      setListError(describeError(e));
    } finally {
      setBusyIds((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  }

  const canPaste = typeof navigator !== "undefined" && !!navigator.clipboard?.readText;

  return (
    <div className="stack-lg">
      <section className="card" aria-labelledby="new-heading">
        <h1 id="new-heading">New download</h1>
        <form className="stack" onSubmit={onSubmit}>
          <label htmlFor="url">Link to a track, album or playlist</label>
          <div className="row url-row">
            <input
              id="url"
              name="url"
              type="url"
              inputMode="url"
              placeholder="https://…"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              required
            />
            {canPaste && (
              <button type="button" className="secondary" onClick={pasteFromClipboard}>
                Paste
              </button>
            )}
          </div>
          <div className="row">
            <label className="inline grow">
              Format
              <select
                name="format"
                value={format}
                onChange={(e) => {
                  const f = e.target.value as DownloadFormat;
                  setFormat(f);
                  try {
                    window.localStorage.setItem(FORMAT_KEY, f);
                  } catch {
                    /* not remembered; fine */
                  }
                }}
              >
                {DOWNLOAD_FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {f === "best" ? "Best available" : f.toUpperCase()}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" className="primary" disabled={submitting}>
              {submitting ? "Adding…" : "Download"}
            </button>
          </div>
          {formMessage && (
            <p className={`message ${formMessage.kind}`} role={formMessage.kind === "error" ? "alert" : "status"}>
              {formMessage.text}
            </p>
          )}
        </form>
      </section>

      <section aria-labelledby="history-heading" className="stack">
        <div className="row spread">
          <h2 id="history-heading">History</h2>
          <span className={`live live-${stream}`} role="status">
            {stream === "open" ? "● Live" : stream === "closed" ? "Offline" : "Connecting…"}
          </span>
        </div>
        <div className="row filters">
          <label className="inline grow search">
            <span className="visually-hidden">Search</span>
            <input
              type="search"
              placeholder="Search title, artist, link"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              aria-label="Search downloads"
            />
          </label>
          <label className="inline status">
            <span className="visually-hidden">Status</span>
            <select
              aria-label="Filter by status"
              value={filters.status}
              onChange={(e) => setFilters((f) => ({ ...f, status: e.target.value as ListFilters["status"], page: 1 }))}
            >
              <option value="">All statuses</option>
              {DOWNLOAD_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s[0].toUpperCase() + s.slice(1)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => void load()} aria-label="Refresh list">
            ↻
          </button>
        </div>
        {listError && (
          <p className="message error" role="alert">
            {listError}
          </p>
        )}
        {data === null && !listError && <p className="muted">Loading…</p>}
        {data && data.items.length === 0 && (
          <p className="muted empty">
            {filters.q || filters.status ? "Nothing matches these filters." : "No downloads yet. Paste a link above to start."}
          </p>
        )}
        {data && data.items.length > 0 && (
          <ul className="list" aria-label="Downloads">
            {data.items.map((d) => (
              <DownloadItem
                key={d.id}
                download={d}
                busy={busyIds.has(d.id)}
                cancelling={cancelling.has(d.id) && isActive(d)}
                onCancel={() =>
                  void act(d.id, async () => {
                    const result = await client.cancelDownload(d.id);
                    if (isActive(result)) setCancelling((s) => new Set(s).add(d.id));
                    return result;
                  })
                }
                onRetry={() =>
                  void act(d.id, () => {
                    setCancelling((s) => {
                      const next = new Set(s);
                      next.delete(d.id);
                      return next;
                    });
                    return client.retryDownload(d.id);
                  })
                }
                onDelete={(deleteFile) => void act(d.id, () => client.deleteDownload(d.id, deleteFile))}
              />
            ))}
          </ul>
        )}
        {data && (
          <Pager
            label="Download pages"
            page={data.page}
            pages={data.pages}
            total={data.total}
            onPage={(p) => {
              setFilters((f) => ({ ...f, page: p }));
              document.getElementById("history-heading")?.scrollIntoView({ block: "start" });
            }}
          />
        )}
      </section>

      <Bookmarklet />
    </div>
  );
}
