// A download's cover, served by our own server through a signed link (never hot-linked from
// the site it came from). Decorative next to the title it illustrates, so `alt=""`; a
// placeholder stands in while there is no link or the server has no cover.
import { useState } from "react";

interface Props {
  /** The signed `cover_url`, when there is one. */
  src: string | undefined;
  size: "thumb" | "large";
}

export function Cover({ src, size }: Props) {
  // Remembered per URL: a new link (they are renewed every few minutes) is tried again.
  const [failed, setFailed] = useState<string | null>(null);
  if (!src || failed === src) return <span className={`cover cover-${size} cover-none`} aria-hidden="true" />;
  return (
    <img
      className={`cover cover-${size}`}
      src={src}
      alt=""
      loading="lazy"
      decoding="async"
      onError={() => setFailed(src)}
    />
  );
}
