// The page's one `<audio controls>` player. The browser cannot send our bearer token with a
// media request, so the player asks the server for a signed, short-lived link to the track
// (`POST /api/downloads/media-links`) and plays that; the server streams it in byte ranges,
// so seeking works. A link that has expired mid-track (the element reports an error) is
// renewed once and playback resumes where it stopped.
import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../api/client";
import { describeError } from "../lib/errors";
import type { PlayRequest } from "../lib/player";

interface Props {
  client: ApiClient;
  track: PlayRequest;
  onClose: () => void;
}

export function Player({ client, track, onClose }: Props) {
  const audio = useRef<HTMLAudioElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const resumeAt = useRef(0);
  const renewed = useRef(false);

  useEffect(() => {
    let current = true;
    renewed.current = false;
    resumeAt.current = 0;
    setSrc(null);
    setProblem(null);
    client
      .mediaLinks([track.id])
      .then((set) => {
        if (!current) return;
        const link = set.items.find((l) => l.id === track.id);
        if (link) setSrc(link.file_url);
        else setProblem("This track cannot be played.");
      })
      .catch((e: unknown) => current && setProblem(describeError(e)));
    return () => {
      current = false;
    };
  }, [client, track.id]);

  // Play once the link is there: the click that asked for it was a moment ago, which the
  // browser's autoplay rules accept. If it refuses anyway, the controls are there to press.
  useEffect(() => {
    if (!src || !audio.current) return;
    // Older engines (and jsdom) return nothing from play(); newer ones a promise.
    const started: Promise<void> | undefined = audio.current.play();
    started?.catch(() => {});
  }, [src]);

  function onError() {
    const el = audio.current;
    if (!el || !src) return;
    if (renewed.current) {
      setProblem("This track cannot be played right now.");
      return;
    }
    renewed.current = true;
    resumeAt.current = el.currentTime;
    client
      .mediaLinks([track.id])
      .then((set) => setSrc(set.items.find((l) => l.id === track.id)?.file_url ?? null))
      .catch((e: unknown) => setProblem(describeError(e)));
  }

  return (
    <section className="player card" aria-label="Player">
      <div className="player-head">
        <p className="player-title">
          <span className="visually-hidden">Now playing: </span>
          <strong>{track.title}</strong>
          {track.subtitle && <span className="small muted">{track.subtitle}</span>}
        </p>
        <button type="button" className="secondary icon-button" onClick={onClose} aria-label="Close player">
          ✕
        </button>
      </div>
      <audio
        ref={audio}
        controls
        preload="metadata"
        src={src ?? undefined}
        data-id={track.id}
        aria-label={`Player: ${track.title}`}
        onError={onError}
        onLoadedMetadata={(e) => {
          if (resumeAt.current > 0) e.currentTarget.currentTime = resumeAt.current;
          resumeAt.current = 0;
        }}
      />
      {problem && (
        <p className="message error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
