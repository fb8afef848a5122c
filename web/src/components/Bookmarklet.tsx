import { useEffect, useRef } from "react";
import { bookmarkletHref } from "../lib/share";

/** React refuses to render `javascript:` URLs, so the link's href is set on the element directly. */
export function Bookmarklet() {
  const link = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    link.current?.setAttribute("href", bookmarkletHref(window.location.origin));
  }, []);
  return (
    <section className="card small-card" aria-labelledby="elsewhere-heading">
      <h2 id="elsewhere-heading">Add from other apps</h2>
      <p className="small">
        On a phone, install this page (browser menu → <em>Add to Home screen</em> or <em>Install app</em>), then
        use <em>Share → NAS Music</em> from any app, then press <em>Download</em>.
      </p>
      <p className="small">
        On a computer, drag this link to your bookmarks bar and click it on any music page (the page opens with
        the link filled in; press <em>Download</em> to confirm):{" "}
        <a ref={link} className="bookmarklet" href="#" onClick={(e) => e.preventDefault()} draggable>
          ↓ Send to NAS
        </a>
      </p>
    </section>
  );
}
