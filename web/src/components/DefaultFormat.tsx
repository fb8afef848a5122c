// The account's default format: what a download gets when its request names none (the web
// form starts from it; the share sheet, the bookmarklet and API clients use it too).
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { queryKeys } from "../api/queries";
import { DOWNLOAD_FORMATS, formatLabel, isDownloadFormat, type DownloadFormat, type User } from "../api/types";
import { describeError } from "../lib/errors";
import { forgetSavedFormat } from "../lib/preferences";

export function DefaultFormat({ client, user }: { client: ApiClient; user: User }) {
  const queryClient = useQueryClient();
  const [message, setMessage] = useState<{ kind: "info" | "error"; text: string } | null>(null);
  const save = useMutation({
    mutationFn: (format: DownloadFormat) => client.updateMe({ default_format: format }),
    onSuccess: (updated) => {
      queryClient.setQueryData(queryKeys.me, updated);
      forgetSavedFormat();
      setMessage({ kind: "info", text: `New downloads default to ${formatLabel(updated.default_format)}.` });
    },
    onError: (err) => setMessage({ kind: "error", text: describeError(err) }),
  });

  return (
    <section className="card" aria-labelledby="format-heading">
      <h2 id="format-heading">Default format</h2>
      <p className="small muted">
        &ldquo;Best available&rdquo; keeps the site&rsquo;s audio as it is served, without re-encoding.
      </p>
      <label className="inline">
        Default format
        <select
          name="default_format"
          value={save.isPending && save.variables ? save.variables : user.default_format}
          disabled={save.isPending}
          onChange={(e) => {
            const f = e.target.value;
            if (isDownloadFormat(f)) save.mutate(f);
          }}
        >
          {DOWNLOAD_FORMATS.map((f) => (
            <option key={f} value={f}>
              {formatLabel(f)}
            </option>
          ))}
        </select>
      </label>
      {message && (
        <p className={`message ${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>
          {message.text}
        </p>
      )}
    </section>
  );
}
