// The downloads screen: submit a link, and the history with live progress. Server state (the
// list, submit/cancel/retry/delete) goes through TanStack Query; live updates come from
// `useLiveDownloads`. Local state is only what the form and the filters show.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useMutation, useMutationState, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { useLiveDownloads } from "../api/live";
import { queries, queryKeys } from "../api/queries";
import {
  DOWNLOAD_FORMATS,
  DOWNLOAD_STATUSES,
  formatLabel,
  isDownloadFormat,
  isDownloadStatus,
  statusLabel,
  type Download,
  type DownloadFormat,
  type Page,
} from "../api/types";
import { DownloadItem } from "../components/DownloadItem";
import { Pager } from "../components/Pager";
import { Bookmarklet } from "../components/Bookmarklet";
import { Player } from "../components/Player";
import { PlayContext, type PlayRequest } from "../lib/player";
import { applyUpdate, isActive, mediaIds, visibleRows, type ListFilters } from "../lib/downloads";
import { describeError } from "../lib/errors";
import { PENDING_SHARE_KEY } from "../lib/share";
import { saveFormat, savedFormat } from "../lib/preferences";

interface Props {
  client: ApiClient;
  /** The session's token: the live stream reconnects when it changes, and only then. */
  token: string;
}

/** Without the live stream, a list with active downloads is refreshed this often. */
const POLL_MS = 4000;


function takePendingShare(): string | null {
  try {
    const url = window.sessionStorage.getItem(PENDING_SHARE_KEY);
    window.sessionStorage.removeItem(PENDING_SHARE_KEY);
    return url;
  } catch {
    return null;
  }
}

type RowAction = { id: number } & (
  | { kind: "cancel" }
  | { kind: "retry" }
  | { kind: "delete"; deleteFile: boolean }
);
const ROW_ACTION = ["downloads", "row-action"] as const;

export function DownloadsScreen({ client, token }: Props) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  // This browser's last choice, else the account's default format.
  const [chosenFormat, setChosenFormat] = useState<DownloadFormat | null>(savedFormat);
  const me = useQuery(queries.me(client));
  const format: DownloadFormat = chosenFormat ?? me.data?.default_format ?? "best";
  const [formMessage, setFormMessage] = useState<{ kind: "info" | "error"; text: string } | null>(null);
  const [filters, setFilters] = useState<ListFilters>({ page: 1, status: "", q: "" });
  const [search, setSearch] = useState("");
  // A running download stays `downloading` until its worker has stopped it.
  const [cancelling, setCancelling] = useState<ReadonlySet<number>>(new Set());

  const [playing, setPlaying] = useState<PlayRequest | null>(null);

  const stream = useLiveDownloads(client, token);
  const list = useQuery({
    ...queries.downloadList(client, filters),
    refetchInterval: (query) =>
      stream !== "open" && query.state.data?.items.some(isActive) ? POLL_MS : false,
  });
  // A set's tracks show inside its row; only tracks whose set is on another page stand alone.
  const rows = useMemo(() => (list.data ? visibleRows(list.data.items) : []), [list.data]);
  const ids = useMemo(() => mediaIds(rows), [rows]);
  const links = useQuery(queries.mediaLinks(client, ids)).data;

  /** A download the server just returned goes into every cached page that shows it. */
  const putInCache = useCallback(
    (d: Download) => {
      queryClient.setQueriesData<Page<Download>>({ queryKey: queryKeys.downloadLists }, (page) =>
        page ? (applyUpdate(page, d) ?? page) : page,
      );
    },
    [queryClient],
  );
  const refetchLists = useCallback(
    () => queryClient.invalidateQueries({ queryKey: queryKeys.downloadLists }),
    [queryClient],
  );

  // Debounced search box.
  useEffect(() => {
    const t = window.setTimeout(() => {
      setFilters((f) => (f.q === search ? f : { ...f, q: search, page: 1 }));
    }, 300);
    return () => window.clearTimeout(t);
  }, [search]);

  const submitMutation = useMutation({
    mutationFn: ({ target, fmt }: { target: string; fmt: DownloadFormat }) => client.createDownload(target, fmt),
    onMutate: () => setFormMessage(null),
    onSuccess: ({ download: d, created }) => {
      setUrl("");
      setFormMessage({
        kind: "info",
        text: created ? `Added: ${d.title ?? d.url}` : `Already in progress: ${d.title ?? d.url}`,
      });
      putInCache(d);
    },
    onError: (e, { target }) => {
      setUrl(target);
      setFormMessage({ kind: "error", text: describeError(e) });
    },
    onSettled: refetchLists,
  });
  const submit = submitMutation.mutate;

  const rowAction = useMutation({
    mutationKey: ROW_ACTION,
    mutationFn: async (a: RowAction): Promise<Download | null> => {
      switch (a.kind) {
        case "cancel":
          return client.cancelDownload(a.id);
        case "retry":
          return client.retryDownload(a.id);
        case "delete":
          await client.deleteDownload(a.id, a.deleteFile);
          return null;
      }
    },
    onMutate: (a) => {
      if (a.kind === "retry") setCancelling((s) => without(s, a.id));
    },
    onSuccess: (d, a) => {
      if (!d) return;
      if (a.kind === "cancel" && isActive(d)) setCancelling((s) => new Set(s).add(a.id));
      putInCache(d);
    },
    onSettled: refetchLists,
  });
  const busyIds = new Set(
    useMutationState({
      filters: { mutationKey: ROW_ACTION, status: "pending" },
      select: (m) => idOf(m.state.variables),
    }),
  );

  // A link shared to the app (share target or bookmarklet) only fills the form: any web site
  // can open /share?url=…, so a person must press Download to confirm (SEC-47).
  const sharedHandled = useRef(false);
  const downloadButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (sharedHandled.current) return;
    sharedHandled.current = true;
    const shared = takePendingShare();
    if (!shared) return;
    setUrl(shared);
    setFormMessage({ kind: "info", text: "Shared link ready: check it, then press Download." });
    downloadButton.current?.focus();
  }, []);

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
    submit({ target, fmt: format });
  }

  async function pasteFromClipboard() {
    try {
      const text = await navigator.clipboard.readText();
      if (text) setUrl(text.trim());
    } catch {
      setFormMessage({ kind: "error", text: "The browser did not allow reading the clipboard; paste into the box instead." });
    }
  }

  const data = list.data;
  const listError = rowAction.error ?? list.error;
  const canPaste = typeof navigator !== "undefined" && !!navigator.clipboard?.readText;

  return (
    <PlayContext.Provider value={setPlaying}>
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
                  const f = e.target.value;
                  if (!isDownloadFormat(f)) return;
                  setChosenFormat(f);
                  saveFormat(f);
                }}
              >
                {DOWNLOAD_FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {formatLabel(f)}
                  </option>
                ))}
              </select>
            </label>
            <button ref={downloadButton} type="submit" className="primary" disabled={submitMutation.isPending}>
              {submitMutation.isPending ? "Adding…" : "Download"}
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
              onChange={(e) => {
                const status = e.target.value;
                setFilters((f) => ({ ...f, status: isDownloadStatus(status) ? status : "", page: 1 }));
              }}
            >
              <option value="">All statuses</option>
              {DOWNLOAD_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusLabel(s)}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="secondary" onClick={() => void list.refetch()} aria-label="Refresh list">
            ↻
          </button>
        </div>
        {listError && (
          <p className="message error" role="alert">
            {describeError(listError)}
          </p>
        )}
        {!data && !listError && <p className="muted">Loading…</p>}
        {data && data.items.length === 0 && (
          <p className="muted empty">
            {filters.q || filters.status ? "Nothing matches these filters." : "No downloads yet. Paste a link above to start."}
          </p>
        )}
        {data && data.items.length > 0 && (
          <ul className="list" aria-label="Downloads">
            {rows.map((d) => (
              <DownloadItem
                key={d.id}
                client={client}
                download={d}
                coverUrl={links?.byId.get(d.id)?.cover_url}
                busy={busyIds.has(d.id)}
                cancelling={cancelling.has(d.id) && isActive(d)}
                onCancel={() => rowAction.mutate({ kind: "cancel", id: d.id })}
                onRetry={() => rowAction.mutate({ kind: "retry", id: d.id })}
                onDelete={(deleteFile) => rowAction.mutate({ kind: "delete", id: d.id, deleteFile })}
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

      {playing && <Player client={client} track={playing} onClose={() => setPlaying(null)} />}

      <Bookmarklet />
    </div>
    </PlayContext.Provider>
  );
}

function without(set: ReadonlySet<number>, id: number): ReadonlySet<number> {
  const next = new Set(set);
  next.delete(id);
  return next;
}

/** The download id a pending row action was started with (the mutation cache types it `unknown`). */
function idOf(variables: unknown): number | undefined {
  if (typeof variables !== "object" || variables === null || !("id" in variables)) return undefined;
  return typeof variables.id === "number" ? variables.id : undefined;
}
