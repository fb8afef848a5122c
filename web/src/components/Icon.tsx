// Inline icons: system fonts on phones lack many symbol glyphs, and an icon font is overkill.
const PATHS = {
  downloads: "M12 3v12m0 0-5-5m5 5 5-5M4 19h16",
  plugins: "M9 3v4H5v4h4v4h4v-4h4V7h-4V3zM7 21h10",
  admin: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z",
  account: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9c0-4 3-6 7-6s7 2 7 6",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
