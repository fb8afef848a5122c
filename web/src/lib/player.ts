// The page's one audio player: what plays now, and how any row asks to play a track. A
// context, so a track deep in an album's list reaches the player without props through
// every level in between.
import { createContext, useContext } from "react";

/** A completed download to play, with what the player shows about it. */
export interface PlayRequest {
  id: number;
  title: string;
  subtitle?: string;
}

/** Plays a track in the page's player; `null` outside a screen that has one. */
export const PlayContext = createContext<((track: PlayRequest) => void) | null>(null);

export function usePlay(): ((track: PlayRequest) => void) | null {
  return useContext(PlayContext);
}
