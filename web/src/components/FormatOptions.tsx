// The audio formats as `<option>`s, in the schema's order with their labels (the download
// form and the account's default format share them).
import { DOWNLOAD_FORMATS, formatLabel } from "../api/types";

export function FormatOptions() {
  return (
    <>
      {DOWNLOAD_FORMATS.map((f) => (
        <option key={f} value={f}>
          {formatLabel(f)}
        </option>
      ))}
    </>
  );
}
